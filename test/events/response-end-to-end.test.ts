// Response end to end: an attack through `meshward proxy` fires response rules: a signed webhook
// (retried after the receiver's first 503), syslog lines over UDP and TCP in RFC 5424, a capture
// request down the node's agent stream, and quarantine: the workload's sidecar then refuses
// everything until the quarantine is lifted through the API.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseResponseConfig } from '../../control-plane/src/respond/rules.js';
import { AgentEventsClient } from '../support/agent-events-client.js';
import { UpstreamApp } from '../support/upstream-app.js';
import { request, startCpHarness, waitUntil, type CpHarness, type Sidecar } from '../support/control-plane-harness.js';
import { ORDERS_READS_PROTECT } from '../support/policies.js';

const POLICY = ORDERS_READS_PROTECT;

describe('response: webhook, syslog, capture and quarantine on an attack', { timeout: 60_000 }, () => {
  let h: CpHarness;
  let app: UpstreamApp;
  let orders: Sidecar;
  let agent: AgentEventsClient;
  let hook: http.Server;
  const hooks: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let udp: dgram.Socket;
  const udpLines: string[] = [];
  let tcp: net.Server;
  let tcpData = '';

  before(async () => {
    let first = true;
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        if (first) {
          first = false;
          res.writeHead(503).end();
          return;
        }
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    udp = dgram.createSocket('udp4');
    udp.on('message', (m) => udpLines.push(m.toString()));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    tcp = net.createServer((s) => s.on('data', (d) => (tcpData += d.toString())));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const responses = parseResponseConfig({
      webhooks: [{ name: 'soc', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, secret: 'hook-secret' }],
      syslog: [
        { name: 'siem-udp', address: `udp://127.0.0.1:${(udp.address() as AddressInfo).port}` },
        { name: 'siem-tcp', address: `tcp://127.0.0.1:${(tcp.address() as AddressInfo).port}` },
      ],
      rules: [{
        name: 'attacks',
        on: 'event',
        when: { kinds: ['http.attack'], minSeverity: 'high' },
        actions: [{ webhook: 'soc' }, { syslog: 'siem-udp' }, { syslog: 'siem-tcp' }, { capture: { seconds: 30 } }, { quarantine: true }],
      }],
    });
    app = await new UpstreamApp().start();
    h = await startCpHarness({
      inventory: 'workloads:\n  - {namespace: shop, name: orders, pods: [{name: orders-1, node: node-a}]}\n',
      policies: { 'orders.yaml': POLICY },
      options: { events: { agentEvents: { host: '127.0.0.1', port: 0 }, responses } },
    });
    orders = await h.sidecar({ namespace: 'shop', name: 'orders', upstream: app.url });
    agent = new AgentEventsClient(h.cp.agentEvents!.address, 'node-a', h.cp.ingestAuth.nodeToken('node-a'));
    await waitUntil(() => h.cp.agentEvents!.stats().streamsActive === 1, 'the agent stream');
  });
  after(async () => {
    agent.close();
    await h.close();
    await app.close();
    await new Promise((r) => hook.close(r));
    udp.close();
    await new Promise((r) => tcp.close(r));
  });

  it('an attack fires every action of the rule', async () => {
    assert.equal((await request(`${orders.url}/api/orders/1`)).status, 200);
    assert.equal((await request(`${orders.url}/api/search?name=1'%20OR%20'1'%3D'1`)).status, 403);
    await waitUntil(() => hooks.length === 1, 'the webhook (after one retry)', 10_000);
    const { headers, body } = hooks[0];
    const payload = JSON.parse(body) as { type: string; rule: string; event: { kind: string } };
    assert.equal(payload.type, 'event');
    assert.equal(payload.event.kind, 'http.attack');
    assert.equal(headers['x-meshward-attempt'], '2');
    const expected = 'sha256=' + createHmac('sha256', 'hook-secret').update(`${headers['x-meshward-timestamp']}.${body}`).digest('hex');
    assert.equal(headers['x-meshward-signature'], expected);
    await waitUntil(() => udpLines.length === 1 && tcpData.length > 0, 'both syslog lines');
    assert.match(udpLines[0], /^<8[23]>1 \d{4}-\d\d-\d\dT[\d:.]+Z \S+ meshward \d+ http\.attack \[meshward@32473 rule="attacks" event="[^"]+" kind="http\.attack" workload="shop\/orders" action="block" tactic="initial-access"\] http\.attack block on shop\/orders/);
    const m = /^(\d+) (.*)$/s.exec(tcpData);
    assert.ok(m);
    assert.equal(Number(m[1]), Buffer.byteLength(m[2]));
    const capture = await agent.waitForCapture();
    assert.deepEqual([capture.namespace, capture.workload, capture.pods, capture.duration_seconds], ['shop', 'orders', ['orders-1'], 30]);
  });

  it('the quarantined workload refuses everything until the quarantine is lifted', async () => {
    await waitUntil(() => orders.proxy.proxy.configuration()!.includes('quarantine-orders'), 'the deny-all policy at the sidecar');
    assert.equal((await request(`${orders.url}/api/orders/1`)).status, 403);
    const list = await h.cli(['learn', 'list']);
    assert.match(list.stdout, /shop\/orders\s+protect \(QUARANTINED\)/);
    const lifted = await fetch(`${h.url}/v1/workloads/shop/orders/quarantine`, { method: 'DELETE', headers: { authorization: `Bearer ${h.token}` } });
    assert.equal(lifted.status, 200);
    await waitUntil(() => !orders.proxy.proxy.configuration()!.includes('quarantine-orders'), 'the policy back at the sidecar');
    assert.equal((await request(`${orders.url}/api/orders/1`)).status, 200);
    const status = (await (await fetch(`${h.url}/v1/status`, { headers: { authorization: `Bearer ${h.token}` } })).json()) as { respond: { quarantines: number; webhooks: { soc: { delivered: number; retried: number } } } };
    assert.equal(status.respond.quarantines, 1);
    assert.deepEqual([status.respond.webhooks.soc.delivered, status.respond.webhooks.soc.retried], [1, 1]);
  });
});
