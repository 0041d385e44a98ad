// `meshward proxy` over real sockets, HTTP/1.1: what is allowed reaches the upstream intact,
// what is denied is blocked (protect) or reported (monitor), and bodies stream both ways.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ordersPolicy, startHarness, type Harness } from '../support/proxy-harness.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  url: string,
  opts: { method?: string; body?: Buffer | string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const PEERS = `- ip: 127.0.0.2
  principal: "spiffe://cluster.local/ns/shop/sa/admin"
  namespace: shop
  workload: admin-console
`;

describe('meshward proxy, protect mode', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ policy: ordersPolicy('protect'), peers: PEERS });
  });
  after(() => h.close());

  it('passes an allowed request to the upstream with method, path, headers and body intact', async () => {
    const body = JSON.stringify({ item: 'beans', note: 'ünïcödé' });
    const r = await request(`${h.url}/upload?id=small`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upstream'], 'app');
    const seen = JSON.parse(r.body.toString()) as { method: string; path: string; headers: Record<string, string>; sha256: string; bodyBytes: number };
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/upload?id=small');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.match(seen.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    assert.equal(seen.bodyBytes, Buffer.byteLength(body));
    assert.equal(seen.sha256, createHash('sha256').update(body).digest('hex'));
  });

  it('answers a denied request 403 with a JSON body naming the event, which reaches the control plane', async () => {
    const r = await request(`${h.url}/api/orders/1`, { method: 'DELETE' });
    assert.equal(r.status, 403);
    assert.equal(r.headers['content-type'], 'application/json');
    const body = JSON.parse(r.body.toString()) as { error: string; event: string };
    assert.equal(body.error, 'blocked');
    assert.ok(body.event.length > 8);
    assert.equal(h.app.seen.filter((s) => s.method === 'DELETE').length, 0, 'the upstream never saw it');
    const e = await h.events.waitFor((ev) => ev.id === body.event);
    assert.equal(e.kind, 'http.policy');
    assert.equal(e.action, 'block');
    assert.equal(e.mode, 'protect');
    assert.deepEqual((e.workload as { namespace: string; name: string }).name, 'orders');
    assert.deepEqual((e.http as { method: string; path: string }).method, 'DELETE');
    assert.deepEqual((e.http as { method: string; path: string }).path, '/api/orders/1');
    assert.equal((e.source as { ip: string }).ip, '127.0.0.1');
  });

  it('allows the same request from the admin identity', async () => {
    const r = await request(`${h.url}/api/orders/1`, { method: 'DELETE', localAddress: '127.0.0.2' });
    assert.equal(r.status, 200);
    assert.ok(h.app.seen.some((s) => s.method === 'DELETE' && s.path === '/api/orders/1'));
  });

  it('streams a 10 MB upload: the upstream sees bytes before the client has finished sending', async () => {
    const total = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    const half = total / 2;
    const hash = createHash('sha256');
    const started = new Promise<void>((resolve) => {
      h.app.onUploadStarted = (id) => id === 'big' && resolve();
    });
    const reply = new Promise<Reply>((resolve, reject) => {
      const req = http.request(`${h.url}/upload?id=big`, { method: 'POST', headers: { 'content-length': String(total) }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      const send = async () => {
        let sent = 0;
        const writeUpTo = async (limit: number) => {
          while (sent < limit) {
            hash.update(chunk);
            sent += chunk.length;
            if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          }
        };
        await writeUpTo(half);
        await started; // the first half arrived upstream while the second is still unsent
        await writeUpTo(total);
        req.end();
      };
      send().catch(reject);
    });
    const r = await reply;
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body.toString()) as { bodyBytes: number; sha256: string };
    assert.equal(seen.bodyBytes, total);
    assert.equal(seen.sha256, hash.digest('hex'));
  });

  it('streams a 10 MB download: the client receives bytes before the upstream has sent the rest', async () => {
    const total = 10 * 1024 * 1024;
    const r = await new Promise<{ status: number; bytes: number; digest: string }>((resolve, reject) => {
      http
        .get(`${h.url}/download?size=${total}&gate=dl1`, { agent: false }, (res) => {
          const hash = createHash('sha256');
          let bytes = 0;
          let opened = false;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            hash.update(c);
            if (!opened && bytes >= total / 2) {
              opened = true;
              h.app.open('dl1'); // only now does the upstream send the second half
            }
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, digest: hash.digest('hex') }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    assert.equal(r.status, 200);
    assert.equal(r.bytes, total);
    assert.equal(r.digest, createHash('sha256').update(Buffer.alloc(total, 0x61)).digest('hex'));
  });

  it('answers 503 through the filter when the upstream is down, and counts it', async () => {
    const down = await startHarness({ policy: ordersPolicy('protect'), upstream: 'http://127.0.0.1:9' });
    try {
      const r = await request(`${down.url}/api/orders`);
      assert.equal(r.status, 503);
      assert.match(r.body.toString(), /upstream connect error/);
      assert.equal(down.proxy.proxy.stats().proxy.upstreamFailures, 1);
    } finally {
      await down.close();
    }
  });

  it('counts requests, violations and blocks in the filter metrics', async () => {
    const before = h.proxy.proxy.stats().filter;
    await request(`${h.url}/api/orders`);
    await request(`${h.url}/api/orders/2`, { method: 'DELETE' });
    const after = h.proxy.proxy.stats().filter;
    const delta = (k: string) => Number(after[k] ?? 0) - Number(before[k] ?? 0);
    assert.equal(delta('meshward.requests'), 2);
    assert.equal(delta('meshward.violations'), 1);
    assert.equal(delta('meshward.blocked'), 1);
  });
});

describe('meshward proxy, monitor mode', { timeout: 30_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ policy: ordersPolicy('monitor') });
  });
  after(() => h.close());

  it('passes a violation to the upstream and reports it as an alert', async () => {
    const r = await request(`${h.url}/api/orders/7`, { method: 'DELETE' });
    assert.equal(r.status, 200);
    assert.ok(h.app.seen.some((s) => s.method === 'DELETE' && s.path === '/api/orders/7'));
    const e = await h.events.waitFor((ev) => ev.kind === 'http.policy' && (ev.http as { path: string }).path === '/api/orders/7');
    assert.equal(e.action, 'alert');
    assert.equal(e.mode, 'monitor');
    assert.equal(e.rule, null);
  });

  it('reports no event per allowed request, only its flow record (counted on the tick)', async () => {
    const before = h.events.events.length;
    const r = await request(`${h.url}/api/orders`);
    assert.equal(r.status, 200);
    await request(`${h.url}/api/orders/8`, { method: 'DELETE' }); // a marker that does produce one
    await h.events.waitFor((ev) => (ev.http as { path: string }).path === '/api/orders/8');
    const record = await h.events.waitFor((ev) => ev.kind === 'flow.http' && (ev.http as { path: string }).path === '/api/orders');
    assert.equal((record.flow as { count: number }).count, 1);
    assert.equal(record.action, 'allow');
    const since = h.events.events.slice(before);
    assert.equal(since.filter((e) => e.kind !== 'flow.http' && (e.http as { path: string }).path === '/api/orders').length, 0);
  });
});

describe('meshward proxy, discover mode and the --mode override', { timeout: 30_000 }, () => {
  it('discover reports each request it saw, with the rule that matched', async () => {
    const h = await startHarness({ policy: ordersPolicy('protect'), mode: 'discover' });
    try {
      const r1 = await request(`${h.url}/api/orders/3`, { method: 'DELETE' });
      const r2 = await request(`${h.url}/api/orders`);
      assert.equal(r1.status, 200, 'discover never blocks');
      assert.equal(r2.status, 200);
      const del = await h.events.waitFor((e) => (e.http as { path: string }).path === '/api/orders/3');
      const get = await h.events.waitFor((e) => (e.http as { path: string }).path === '/api/orders');
      assert.equal(del.kind, 'http.flow');
      assert.equal(del.action, 'allow');
      assert.equal(del.rule, null);
      assert.equal(get.kind, 'http.flow');
      assert.equal((get.rule as { name: string }).name, 'reads');
    } finally {
      await h.close();
    }
  });

  it('a workload with no policy is in discover mode', async () => {
    const h = await startHarness({ policy: ordersPolicy('protect'), workload: { namespace: 'shop', name: 'payments' }, labels: { app: 'payments' } });
    try {
      const r = await request(`${h.url}/anything`, { method: 'DELETE' });
      assert.equal(r.status, 200);
      const e = await h.events.waitFor((ev) => (ev.http as { path: string }).path === '/anything');
      assert.equal(e.mode, 'discover');
      assert.equal(e.kind, 'http.flow');
    } finally {
      await h.close();
    }
  });
});
