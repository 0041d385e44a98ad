// Events end to end through real sockets: `meshward proxy --xds` sidecars post their batches
// (with the per-workload token from their compiled configuration) to the control plane's ingest;
// attacks and policy violations are stored, listed by `meshward events`, and still there after
// the control plane restarts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UpstreamApp } from '../support/upstream-app.js';
import { request, startCpHarness, waitForStored, type CpHarness, type Sidecar } from '../support/control-plane-harness.js';
import { ORDERS_READS_PROTECT } from '../support/policies.js';

const POLICY = ORDERS_READS_PROTECT;

describe('events: proxy → ingest → store → meshward events', { timeout: 60_000 }, () => {
  let h: CpHarness;
  let app: UpstreamApp;
  let orders: Sidecar;

  before(async () => {
    app = await new UpstreamApp().start();
    h = await startCpHarness({ inventory: 'workloads:\n  - {namespace: shop, name: orders}\n', policies: { 'orders.yaml': POLICY } });
    orders = await h.sidecar({ namespace: 'shop', name: 'orders', upstream: app.url });
  });
  after(async () => {
    await h.close();
    await app.close();
  });

  it('stores the policy violation and the attack the sidecar blocked, sent with its own workload token', async () => {
    assert.equal((await request(`${orders.url}/api/orders/1`)).status, 200);
    assert.equal((await request(`${orders.url}/api/orders/1`, { method: 'DELETE' })).status, 403);
    assert.equal((await request(`${orders.url}/api/search?name=1'%20OR%20'1'%3D'1`)).status, 403);
    const violation = await waitForStored(h, (e) => e.kind === 'http.policy', 'the policy violation');
    assert.equal(violation.action, 'block');
    assert.deepEqual((violation.http as { method: string }).method, 'DELETE');
    const attack = await waitForStored(h, (e) => e.kind === 'http.attack', 'the attack');
    assert.equal((attack.attack as { class: string }).class, 'sqli');
    const config = JSON.parse(orders.proxy.proxy.configuration()!) as { events: { token: string } };
    assert.equal(config.events.token, h.cp.ingestAuth.workloadToken('shop', 'orders'));
    assert.equal(h.cp.ingest.stats().batchesUnauthorized, 0);
  });

  it('`meshward events` lists them as a table and as JSON lines, filtered', async () => {
    const table = await h.cli(['events', '--since', '1h']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout.split('\n')[0], /^TIME\s+KIND\s+SEVERITY\s+ACTION\s+WORKLOAD/);
    assert.match(table.stdout, /http\.attack\s+(high|critical)\s+block\s+shop\/orders/);
    assert.match(table.stdout, /http\.policy\s+medium\s+block\s+shop\/orders.*DELETE \/api\/orders\/1/);
    const json = await h.cli(['events', '--kind', 'http.attack', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; attack: { class: string; tactic: string } });
    assert.equal(lines.length, 1);
    assert.equal(lines[0].attack.class, 'sqli');
    assert.equal(lines[0].attack.tactic, 'initial-access');
  });

  it('the API refuses a missing or wrong token, with a stable code', async () => {
    const r = await h.cli(['events'], { MESHWARD_API_TOKEN: '' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNAUTHENTICATED/);
    const forged = await fetch(`${h.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${h.cp.ingestAuth.workloadToken('shop', 'payments')}` }, body: JSON.stringify({ schema: 1, workload: { namespace: 'shop', name: 'orders' }, events: [] }) });
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  });

  it('events survive a control-plane restart', async () => {
    const before = (await h.cp.store.stats()).events;
    await h.restart();
    assert.equal((await h.cp.store.stats()).events, before);
    const json = await h.cli(['events', '--json', '--workload', 'shop/orders']);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(json.stdout.includes('"kind":"http.attack"'));
    // The restarted control plane derives the same workload token from the kept key, so the
    // sidecar's next batches are accepted without a new configuration.
    assert.equal((await request(`${orders.url}/api/orders/1`, { method: 'PATCH' })).status, 403);
    await waitForStored(h, (e) => (e.http as { method?: string } | undefined)?.method === 'PATCH', 'an event after the restart');
  });
});
