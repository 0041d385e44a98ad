import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { quarantineView, QUARANTINE_LABEL } from '../../src/respond/quarantine.js';
import { parseResponseConfig, ResponseConfigError } from '../../src/respond/rules.js';
import { formatRfc5424, SyslogSink } from '../../src/respond/syslog.js';
import { WebhookSink, sign } from '../../src/respond/webhook.js';
import { compile } from '../../src/compile/compile.js';
import { loadPolicies } from '../../src/policy/load.js';

async function receiver(answers: number[]): Promise<{ url: string; hits: Array<{ headers: http.IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const hits: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let n = 0;
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      res.writeHead(answers[Math.min(n++, answers.length - 1)]).end();
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`, hits, close: () => new Promise((r) => { s.close(() => r()); s.closeAllConnections(); }) };
}

describe('response rules', () => {
  it('load with every problem named by field path', () => {
    const err = (() => {
      try {
        parseResponseConfig({
          webhooks: [{ name: 'Soc', url: 'ftp://x' }],
          syslog: [{ name: 's', address: 'udp://host' }],
          rules: [{ name: 'r', on: 'alert', when: { minSeverity: 'huge', tactics: ['hacking'] }, actions: [{ webhook: 'nope' }, { capture: { seconds: 0 } }, { page: 'x' }] }],
          extra: 1,
        }, 'responses.yaml');
      } catch (e) {
        return e as ResponseConfigError;
      }
      throw new Error('expected an error');
    })();
    assert.equal(err.code, 'RESPONSE_CONFIG_INVALID');
    assert.deepEqual(err.problems.map((p) => p.split(':')[0]), [
      'extra', 'webhooks[0].name', 'webhooks[0].url', 'syslog[0].address', 'rules[0].on', 'rules[0].when.minSeverity',
      'rules[0].actions[0].webhook', 'rules[0].actions[1].capture.seconds', 'rules[0].actions[2]', 'rules[0].when.tactics[0]',
    ]);
    assert.match(err.message, /^responses\.yaml: 10 problems/);
  });
});

describe('webhooks', () => {
  it('signs, retries 5xx with backoff, and stops at a 4xx', async () => {
    const r = await receiver([500, 503, 200]);
    const sink = new WebhookSink({ name: 'a', url: r.url, secret: 'k', baseDelayMs: 5, maxDelayMs: 20 });
    sink.send({ hello: 1 });
    await sink.drain();
    assert.equal(r.hits.length, 3);
    assert.deepEqual(r.hits.map((h) => h.headers['x-meshward-attempt']), ['1', '2', '3']);
    assert.equal(new Set(r.hits.map((h) => h.headers['x-meshward-delivery'])).size, 1);
    const last = r.hits[2];
    assert.equal(last.headers['x-meshward-signature'], sign('k', Number(last.headers['x-meshward-timestamp']), last.body));
    assert.deepEqual(sink.stats(), { queued: 0, delivered: 1, retried: 2, failed: 0, dropped: 0 });
    await r.close();
    const four = await receiver([400]);
    const s4 = new WebhookSink({ name: 'b', url: four.url, baseDelayMs: 5 });
    s4.send({});
    await s4.drain();
    assert.deepEqual([four.hits.length, s4.stats().failed, s4.stats().retried], [1, 1, 0]);
    await four.close();
  });

  it('gives up after maxAttempts and drops beyond its queue limit', async () => {
    const sink = new WebhookSink({ name: 'c', url: 'http://127.0.0.1:1/', maxAttempts: 2, baseDelayMs: 5, queueLimit: 2 });
    assert.equal(sink.send(1), true);
    assert.equal(sink.send(2), true);
    assert.equal(sink.send(3), false);
    await sink.drain();
    assert.deepEqual(sink.stats(), { queued: 0, delivered: 0, retried: 2, failed: 2, dropped: 1 });
  });
});

describe('syslog', () => {
  it('formats RFC 5424 with escaped structured data', () => {
    const line = formatRfc5424({ severity: 'high', msgId: 'http.attack', message: 'attack on shop/orders', data: { rule: 'a"b]c\\d' }, time: new Date('2024-05-01T12:00:00.000Z') }, { facility: 10, appName: 'meshward', host: 'node 1', procId: '42' });
    assert.equal(line, '<83>1 2024-05-01T12:00:00.000Z node_1 meshward 42 http.attack [meshward@32473 rule="a\\"b\\]c\\\\d"] attack on shop/orders');
  });

  it('TCP: octet-counted frames; while the receiver is away messages wait, bounded, and are delivered when it comes', async () => {
    const port = await new Promise<number>((r) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => r(p));
      });
    });
    const sink = new SyslogSink({ name: 't', address: `tcp://127.0.0.1:${port}`, queueLimit: 2 });
    for (const m of ['one', 'two', 'three']) sink.send({ severity: 'info', msgId: 'x', message: m, data: {} });
    assert.equal(sink.stats().dropped, 1);
    let data = '';
    const server = net.createServer((s) => s.on('data', (d) => (data += d)));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    sink.send({ severity: 'info', msgId: 'x', message: 'four', data: {} }); // over the limit too: the queue is still full
    while (!data.includes(' two')) await new Promise((r) => setTimeout(r, 20));
    // RFC 6587 octet counting: "<length> <message>" back to back, no separator.
    const frames: string[] = [];
    let rest = Buffer.from(data);
    while (rest.length) {
      const sp = rest.indexOf(0x20);
      const len = Number(rest.subarray(0, sp).toString());
      frames.push(rest.subarray(sp + 1, sp + 1 + len).toString());
      rest = rest.subarray(sp + 1 + len);
    }
    assert.deepEqual(frames.slice(0, 2).map((f) => f.split(' ').pop()), ['one', 'two']);
    assert.ok(frames.every((f) => f.startsWith('<86>1 ')));
    sink.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('quarantine', () => {
  it('the workload gets only a deny-all policy; others keep theirs', () => {
    const policies = loadPolicies(`apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: by-label, namespace: shop}
spec: {selector: {matchLabels: {tier: web}}, mode: monitor, ingress: [{name: all}]}
---
apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: by-name, namespace: shop}
spec: {selector: {workloads: [orders, cart]}, mode: monitor, ingress: [{name: all}]}
`);
    const inventory = [{ namespace: 'shop', name: 'orders', labels: { tier: 'web' } }, { namespace: 'shop', name: 'cart', labels: { tier: 'web' } }];
    const view = quarantineView({ policies, inventory }, new Set(['shop/orders']));
    const orders = view.inventory.find((w) => w.name === 'orders')!;
    assert.deepEqual(orders.labels, { [QUARANTINE_LABEL]: 'true' });
    const c = compile(view.policies, { namespace: 'shop', name: 'orders', labels: orders.labels }).config;
    assert.deepEqual([c.mode, c.policies, c.ingress.length], ['protect', ['shop/quarantine-orders'], 0]);
    const cart = compile(view.policies, { namespace: 'shop', name: 'cart', labels: { tier: 'web' } }).config;
    assert.deepEqual(cart.policies, ['shop/by-label', 'shop/by-name']);
    assert.equal(quarantineView({ policies, inventory }, new Set()).policies, policies);
  });
});
