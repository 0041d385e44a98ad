// Allowed traffic after discover, end to end through real sockets: a `meshward proxy --xds`
// sidecar in monitor mode sends flow records of the requests its policy allows; the control plane
// stores them (counted, path templates), the map's /v1/flows shows them, the learner learns them,
// and `meshward policy dry-run` says which of these observed flows a stricter candidate would
// block. Then the live stream: GET /v1/events/stream delivers an event as it is stored,
// `meshward events --follow` prints it, and a client that does not read gets a `dropped` count.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { UpstreamApp } from '../support/upstream-app.js';
import { request, startCpHarness, waitForStored, waitUntil, waitUntilAsync, type CpHarness, type Sidecar } from '../support/control-plane-harness.js';
import { readEventStream, type SseMessage } from '../../control-plane/src/api/sse-reader.js';
import type { FlowRow } from '../../control-plane/src/store/store.js';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));
const STOREFRONT = 'spiffe://cluster.local/ns/shop/sa/storefront';
const PEERS = `- {ip: 127.0.0.2, principal: "${STOREFRONT}", namespace: shop, workload: storefront}\n`;
const policy = (methods: string) => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: monitor
  ingress:
    - name: storefront
      from: [{principal: "${STOREFRONT}"}]
      http: [{methods: [${methods}], paths: ["/api/orders", "/api/orders/*"]}]
`;

describe('flows: monitor-mode allowed traffic → store, map, learning, dry-run; the live stream', { timeout: 90_000 }, () => {
  let h: CpHarness;
  let app: UpstreamApp;
  let orders: Sidecar;

  before(async () => {
    app = await new UpstreamApp().start();
    h = await startCpHarness({
      inventory: 'workloads:\n  - {namespace: shop, name: orders}\n',
      policies: { 'orders.yaml': policy('GET, POST') },
      options: { events: { stream: { clientBuffer: 5, heartbeatMs: 200 } } },
    });
    orders = await h.sidecar({ namespace: 'shop', name: 'orders', upstream: app.url, peers: PEERS });
  });
  after(async () => {
    await h.close();
    await app.close();
  });

  it('allowed requests in monitor mode are stored as flow records, ids collapsed, and shown by /v1/flows', async () => {
    for (const id of ['1', '2', '3', '0b1e8a2c-4d5f-4a6b-9c8d-7e6f5a4b3c2d']) assert.equal((await request(`${orders.url}/api/orders/${id}`, { from: '127.0.0.2' })).status, 200);
    assert.equal((await request(`${orders.url}/api/orders`, { method: 'POST', from: '127.0.0.2', body: '{"sku":"a"}' })).status, 200);
    // Requests spread over the filter's ticks give one record per tick; /v1/flows sums them.
    const flows = async () => {
      const res = await fetch(`${h.url}/v1/flows?workload=shop/orders&since=1h`, { headers: { authorization: `Bearer ${h.token}` } });
      return (await res.json()) as { flows: FlowRow[]; flowsOverflow: Record<string, number> };
    };
    let body = await flows();
    await waitUntilAsync(async () => {
      body = await flows();
      return body.flows.find((f) => f.method === 'GET')?.count === 4 && body.flows.some((f) => f.method === 'POST');
    }, 'the four GETs and the POST counted');
    const get = body.flows.find((f) => f.method === 'GET')!;
    assert.equal(get.path, '/api/orders/{id}', 'numbers and the UUID collapsed into one flow');
    assert.equal(get.srcPrincipal, STOREFRONT);
    assert.deepEqual(get.actions, ['allow']);
    assert.equal(get.maxStatus, 200);
    assert.equal(body.flows.find((f) => f.method === 'POST')?.count, 1);
    assert.equal(body.flows.length, 2);
    const record = await waitForStored(h, (e) => e.kind === 'flow.http', 'a flow record');
    assert.equal(record.mode, 'monitor');
    assert.equal(record.action, 'allow');
    assert.equal((record.flow as { statusClass: string }).statusClass, '2xx');
    assert.equal((await h.cp.store.queryEvents({ kind: 'http.policy' })).items.length, 0, 'nothing was a violation');
    assert.deepEqual(body.flowsOverflow, {});
  });

  it('the learner learns the monitor-mode flows, with their counts', async () => {
    await h.cp.ingest.flush();
    const caller = Object.values(h.cp.learner.baseline('shop', 'orders')?.callers ?? {}).find((c) => c.principal === STOREFRONT);
    assert.ok(caller, 'the storefront is a learned caller');
    assert.equal(caller.operations['GET /api/orders/{id}'], 4);
    assert.equal(caller.operations['POST /api/orders'], 1);
  });

  it('dry-run reports the observed allowed flow a stricter candidate would block', async () => {
    writeFileSync(join(h.dir, 'stricter.yaml'), policy('GET'));
    const r = await h.cli(['policy', 'dry-run', '-f', join(h.dir, 'stricter.yaml'), '--since', '1h', '--json']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { workload: string; caller: { principal: string }; method: string; path: string; count: number });
    assert.deepEqual(rows.map((x) => [x.workload, x.caller.principal, x.method, x.path, x.count]), [['shop/orders', STOREFRONT, 'POST', '/api/orders', 1]]);
    writeFileSync(join(h.dir, 'same.yaml'), policy('GET, POST'));
    const clean = await h.cli(['policy', 'dry-run', '-f', join(h.dir, 'same.yaml'), '--since', '1h']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  });

  it('the live stream delivers an event as it is stored, and `meshward events --follow` prints it', async () => {
    const controller = new AbortController();
    const messages: SseMessage[] = [];
    const reading = readEventStream(`${h.url}/v1/events/stream?workload=shop/orders`, { token: h.token, signal: controller.signal }, (m) => messages.push(m)).catch(() => {});
    await waitUntil(() => messages.some((m) => m.event === 'hello'), 'the stream to open');
    const cli = spawn(process.execPath, [BIN, 'events', '--follow', '--json', '--since', '1s', '--kind', 'http.policy', '--server', h.url], { env: { ...process.env, MESHWARD_API_TOKEN: h.token } });
    let printed = '';
    cli.stdout.on('data', (c: Buffer) => (printed += c.toString()));
    await waitUntil(() => h.cp.eventStream.stats().clients === 2, 'the CLI to subscribe');
    assert.equal((await request(`${orders.url}/api/orders/9`, { method: 'DELETE', from: '127.0.0.2' })).status, 200, 'monitor lets it through');
    await waitUntil(() => messages.some((m) => m.event === 'event' && (JSON.parse(m.data) as { event: { kind: string } }).event.kind === 'http.policy'), 'the violation on the stream');
    const item = JSON.parse(messages.find((m) => m.event === 'event')!.data) as { event: { http: { method: string; status: number } } };
    assert.equal(item.event.http.method, 'DELETE');
    assert.equal(item.event.http.status, 200, 'the violation carries the response status');
    await waitUntil(() => printed.includes('"kind":"http.policy"'), 'the CLI to print it');
    assert.equal(JSON.parse(printed.trim().split('\n')[0]).http.method, 'DELETE');
    await waitUntil(() => messages.some((m) => m.event === 'heartbeat'), 'a heartbeat');
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    cli.kill('SIGINT');
    assert.equal(await exited, 0, 'the CLI ends cleanly on Ctrl-C');
    controller.abort();
    await reading;
  });

  it('a client that does not read loses events beyond its buffer, and is told how many', async () => {
    const dropsBefore = h.cp.eventStream.stats().dropped;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${h.url}/v1/events/stream?workload=shop/orders`, { headers: { authorization: `Bearer ${h.token}` } }, resolve).on('error', reject);
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    res.pause();
    // Large events, posted with the API token, until the paused socket pushes back and the
    // client's buffer (5) overflows.
    const filler = 'x'.repeat(6000);
    let n = 0;
    await waitUntilAsync(async () => {
      const events = Array.from({ length: 200 }, () => ({
        id: `evt-slow-${n++}`, time: new Date().toISOString(), kind: 'http.policy', severity: 'medium', action: 'alert', mode: 'monitor',
        workload: { namespace: 'shop', name: 'orders' }, source: { ip: '10.9.9.9' }, evidence: { reason: 'load', filler },
      }));
      const r = await fetch(`${h.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ schema: 1, workload: { namespace: 'shop', name: 'orders' }, events }) });
      assert.equal(r.status, 200);
      return h.cp.eventStream.stats().dropped > dropsBefore;
    }, 'events dropped for the paused client', 60_000);
    const dropped = h.cp.eventStream.stats().dropped - dropsBefore;
    // Reading again: the queued events come, preceded by the count of the lost ones.
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.resume();
    await waitUntil(() => /event: dropped\ndata: \{"dropped":\d+/.test(text), 'the dropped message');
    const m = /event: dropped\ndata: (\{[^\n]*\})/.exec(text)!;
    assert.equal((JSON.parse(m[1]) as { dropped: number }).dropped, dropped);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`meshward_stream_dropped_total ${h.cp.eventStream.stats().dropped}`));
    res.destroy();
    await waitUntil(() => h.cp.eventStream.stats().clients === 0, 'the client to be gone');
  });
});
