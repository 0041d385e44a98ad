// Two control-plane replicas on one PostgreSQL store, as the Helm chart runs them: the steps of
// one attack reaching different replicas become one incident (one replica processes every
// replica's events); a token issued by one replica is good at the other (a shared ingest key); a
// quarantine set through one replica's API reaches the sidecar subscribed to the other; when the
// processing replica goes away, the other takes over and loses nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMeshwardProxy, type MeshwardProxy } from '../../cli/commands/proxy.js';
import { createLogger } from '../../cli/logger.js';
import { FILTER_WASM } from '../../cli/paths.js';
import { startControlPlane, type RunningControlPlane } from '../../control-plane/src/index.js';
import { makeEvent, makePgDatabase } from '../../control-plane/test/support/event-fixtures.js';
import type { MeshwardEvent } from '../../control-plane/src/events/event-types.js';
import { request, startCpHarness, waitUntilAsync, type CpHarness } from '../support/control-plane-harness.js';
import { UpstreamApp } from '../support/upstream-app.js';
import { readEventStream, type SseMessage } from '../../control-plane/src/api/sse-reader.js';
import { ORDERS_READS_PROTECT } from '../support/policies.js';

const POLICY = ORDERS_READS_PROTECT;
const INVENTORY = 'workloads:\n  - {namespace: shop, name: orders, pods: [{name: orders-1, node: node-a}]}\n';
const KEY = randomBytes(32).toString('hex');
const TOKEN = 'test-api-token';

interface IncidentView {
  id: string;
  steps: Array<{ tactic: string }>;
}

describe('control-plane replicas sharing PostgreSQL', { timeout: 90_000 }, () => {
  let db: { url: string; drop(): Promise<void> };
  let a: CpHarness;
  let b: RunningControlPlane | undefined;
  let bUrl = '';
  let bDir: string;
  let app: UpstreamApp;
  let sidecarOnB: MeshwardProxy;

  const post = async (url: string, events: MeshwardEvent[], token = TOKEN) => {
    const r = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ schema: 1, workload: { namespace: 'shop', name: 'orders' }, events }) });
    return { status: r.status, body: (await r.json()) as { accepted: number } };
  };
  const incidents = async (url: string): Promise<IncidentView[]> =>
    ((await (await fetch(`${url}/v1/incidents`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { incidents: IncidentView[] }).incidents;
  const attack = (tactic: string, over: Partial<MeshwardEvent> = {}) =>
    makeEvent({ kind: 'http.attack', severity: 'high', action: 'block', mode: 'protect', source: { ip: '10.7.7.7', port: 40000, principal: '', namespace: '', workload: '' }, attack: { class: 'sqli', technique: 'T1190', tactic }, ...over });

  before(async () => {
    db = await makePgDatabase();
    const events = { syncIntervalMs: 100 };
    a = await startCpHarness({ inventory: INVENTORY, policies: { 'orders.yaml': POLICY }, options: { store: db.url, ingestKey: KEY, events } });
    bDir = mkdtempSync(join(tmpdir(), 'meshward-replica-b-'));
    b = await startControlPlane({
      policies: [join(a.dir, 'policies')],
      inventory: join(a.dir, 'inventory.yaml'),
      xds: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      wasm: { code: { local: { filename: FILTER_WASM } }, failOpen: false },
      compileOptions: { events: { cluster: 'meshward_events', flushIntervalMs: 100 } },
      logger: { log() {} },
      dataDir: bDir,
      store: db.url,
      ingestKey: KEY,
      apiToken: TOKEN,
      events,
    });
    bUrl = `http://127.0.0.1:${b.http.address.port}`;
    app = await new UpstreamApp().start();
    sidecarOnB = await startMeshwardProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: app.url,
      policies: [],
      workload: { namespace: 'shop', name: 'orders' },
      labels: {},
      fail: 'closed',
      eventsUrl: bUrl,
      upstreamProtocol: 'auto',
      noFilter: false,
      wasm: FILTER_WASM,
      logger: createLogger('error', () => {}, () => {}),
      watch: false,
      xds: { server: `127.0.0.1:${b.xds.port}`, initial: 'wait', timeoutMs: 15_000 },
    });
    await waitUntilAsync(async () => a.cp.processing!.leader !== b!.processing!.leader, 'one replica holding the processing lease');
  });

  after(async () => {
    await sidecarOnB?.close();
    await b?.close();
    await a?.close();
    await app?.close();
    rmSync(bDir, { recursive: true, force: true });
    await db?.drop();
  });

  it('runs event processing on exactly one replica', () => {
    assert.equal(a.cp.processing!.leader, true, 'the first to start');
    assert.equal(b!.processing!.leader, false);
  });

  it('joins the steps of one attack that reached different replicas into one incident', async () => {
    assert.equal((await post(a.url, [attack('reconnaissance', { kind: 'http.attack' })])).status, 200);
    assert.equal((await post(bUrl, [attack('initial-access', { at: Date.now() + 5 })])).status, 200);
    const exec = makeEvent({ at: Date.now() + 10, kind: 'process.exec', severity: 'high', action: 'alert', mode: 'monitor', source: undefined, destination: undefined, protocol: undefined, http: undefined, process: { pid: 4242, ppid: 1, exe: '/bin/sh', args: ['-c', 'id'] } } as Partial<MeshwardEvent>);
    assert.equal((await post(bUrl, [exec])).status, 200);
    let list: IncidentView[] = [];
    await waitUntilAsync(async () => {
      list = await incidents(bUrl);
      return list.length === 1 && list[0].steps.length === 3;
    }, 'one incident with three steps, seen through either replica', 10_000);
    assert.deepEqual(list[0].steps.map((s) => s.tactic), ['reconnaissance', 'initial-access', 'execution']);
    assert.deepEqual((await incidents(a.url)).map((i) => i.id), [list[0].id]);
  });

  it('streams live to a client of one replica the events another replica stored', async () => {
    const controller = new AbortController();
    const messages: SseMessage[] = [];
    const reading = readEventStream(`${bUrl}/v1/events/stream?workload=shop/orders`, { token: TOKEN, signal: controller.signal }, (m) => messages.push(m)).catch(() => undefined);
    try {
      await waitUntilAsync(async () => messages.some((m) => m.event === 'hello'), 'the stream to open');
      const e = attack('initial-access', { source: { ip: '10.8.8.8', port: 40000, principal: '', namespace: '', workload: '' } });
      assert.equal((await post(a.url, [e])).status, 200);
      await waitUntilAsync(async () => messages.some((m) => m.event === 'event' && m.data.includes(e.id)), 'the event stored through the other replica, on this stream', 10_000);
    } finally {
      controller.abort();
      await reading;
    }
  });

  it('streams on the processing replica from the rows its processing reads, each event once', async () => {
    const controller = new AbortController();
    const messages: SseMessage[] = [];
    const reading = readEventStream(`${a.url}/v1/events/stream?workload=shop/orders`, { token: TOKEN, signal: controller.signal }, (m) => messages.push(m)).catch(() => undefined);
    try {
      await waitUntilAsync(async () => messages.some((m) => m.event === 'hello'), 'the stream to open');
      const fedBefore = a.cp.streamFollower!.stats().rowsFed;
      const e = attack('initial-access', { source: { ip: '10.9.9.9', port: 40000, principal: '', namespace: '', workload: '' } });
      assert.equal((await post(bUrl, [e])).status, 200);
      const copies = () => messages.filter((m) => m.event === 'event' && m.data.includes(e.id)).length;
      await waitUntilAsync(async () => copies() > 0, 'the event stored through the other replica, on the processing replica\'s stream', 10_000);
      await a.cp.processing!.settled();
      await a.cp.streamFollower!.settled();
      assert.equal(copies(), 1);
      assert.ok(a.cp.streamFollower!.stats().rowsFed > fedBefore, 'fed by the processing');
    } finally {
      controller.abort();
      await reading;
    }
  });

  it('takes a workload\'s events token issued by either replica, and its sidecar\'s events land through the other', async () => {
    const token = a.cp.ingestAuth.workloadToken('shop', 'orders');
    assert.equal(token, b!.ingestAuth.workloadToken('shop', 'orders'), 'one key for both');
    const r = await post(bUrl, [makeEvent({ mode: 'protect' })], token);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
  });

  it('brings a quarantine set through one replica to the sidecar subscribed to the other', async () => {
    const url = `http://127.0.0.1:${sidecarOnB.proxy.address.port}`;
    assert.equal((await request(`${url}/api/orders/1`)).status, 200);
    const q = await fetch(`${a.url}/v1/workloads/shop/orders/quarantine`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(q.status, 200);
    await waitUntilAsync(async () => sidecarOnB.proxy.configuration()?.includes('quarantine-orders') ?? false, 'the deny-all policy at the sidecar on the other replica', 10_000);
    assert.equal((await request(`${url}/api/orders/1`)).status, 403);
    const lifted = await fetch(`${bUrl}/v1/workloads/shop/orders/quarantine`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(lifted.status, 200);
    await waitUntilAsync(async () => !(sidecarOnB.proxy.configuration()?.includes('quarantine-orders') ?? true), 'lifted through the other replica', 10_000);
  });

  it('hands processing over when the processing replica goes away, losing no event', async () => {
    const before = (await incidents(bUrl))[0];
    const closing = a.cp;
    a.cp = { ...a.cp, close: async () => undefined }; // after() closes the harness: not this twice
    await closing.close();
    await waitUntilAsync(async () => b!.processing!.leader, 'the other replica taking the lease', 10_000);
    const egress = makeEvent({ at: Date.now(), kind: 'net.egress', severity: 'high', action: 'alert', mode: 'monitor', source: undefined, http: undefined, process: { pid: 4243, ppid: 4242, exe: '/usr/bin/curl' }, destination: { ip: '203.0.113.7', port: 4444, fqdn: 'evil.example' }, protocol: 'tcp' } as Partial<MeshwardEvent>);
    assert.equal((await post(bUrl, [egress])).status, 200);
    await waitUntilAsync(async () => (await incidents(bUrl)).find((i) => i.id === before.id)?.steps.length === 4, 'the chain going on at the new processing replica', 10_000);
  });
});
