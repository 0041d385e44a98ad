// Learning end to end: a workload in discover mode behind `meshward proxy --xds` is called by the
// storefront; `meshward learn` proposes the policy that admits exactly that; `meshward policy
// dry-run` reports exactly the flows a stricter candidate would block; promotion to protect
// passes only after a clean dry-run; in protect the same traffic passes and a new caller is blocked.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { UpstreamApp } from '../support/upstream-app.js';
import { request, startCpHarness, waitForStored, waitUntil, type CpHarness, type Sidecar } from '../support/control-plane-harness.js';

const STOREFRONT = 'spiffe://cluster.local/ns/shop/sa/storefront';
const PEERS = `- {ip: 127.0.0.2, principal: "${STOREFRONT}", namespace: shop, workload: storefront}
- {ip: 127.0.0.3, principal: "spiffe://cluster.local/ns/shop/sa/intruder", namespace: shop, workload: intruder}
`;
const TRAFFIC: Array<[string, string]> = [['GET', '/api/orders/1'], ['GET', '/api/orders/2'], ['GET', '/api/orders/3'], ['GET', '/api/orders'], ['POST', '/api/orders'], ['DELETE', '/api/orders/7']];

describe('learning: discover → learned policy → dry-run → protect', { timeout: 60_000 }, () => {
  let h: CpHarness;
  let app: UpstreamApp;
  let orders: Sidecar;
  const mode = () => (JSON.parse(orders.proxy.proxy.configuration()!) as { mode: string }).mode;

  before(async () => {
    app = await new UpstreamApp().start();
    h = await startCpHarness({ inventory: 'workloads:\n  - {namespace: shop, name: orders}\n' });
    orders = await h.sidecar({ namespace: 'shop', name: 'orders', upstream: app.url, peers: PEERS });
  });
  after(async () => {
    await h.close();
    await app.close();
  });

  it('records the storefront\'s calls in discover mode', async () => {
    assert.equal(mode(), 'discover');
    for (const [method, path] of TRAFFIC) assert.equal((await request(`${orders.url}${path}`, { method, from: '127.0.0.2' })).status, 200);
    await waitForStored(h, (e) => (e.http as { method?: string }).method === 'DELETE', 'the last flow');
    await h.cp.ingest.flush();
    assert.equal(h.cp.learner.baseline('shop', 'orders')?.events, TRAFFIC.length);
  });

  it('`meshward learn` proposes a policy with path templates for that caller only', async () => {
    const r = await h.cli(['learn', '--workload', 'shop/orders']);
    assert.equal(r.code, 0, r.stderr);
    const policy = parse(r.stdout) as { spec: { mode: string; ingress: Array<{ from: Array<{ principal: string }>; http: Array<{ methods: string[]; paths: string[] }> }> } };
    assert.equal(policy.spec.mode, 'monitor');
    assert.equal(policy.spec.ingress.length, 1);
    assert.deepEqual(policy.spec.ingress[0].from, [{ principal: STOREFRONT }]);
    const ops = policy.spec.ingress[0].http.flatMap((m) => m.paths.map((p) => `${m.methods.join(',')} ${p}`)).sort();
    assert.deepEqual(ops, ['DELETE,GET /api/orders/*', 'GET,POST /api/orders']);
    const baseline = await h.cli(['learn', 'baseline', '--workload', 'shop/orders']);
    assert.match(baseline.stdout, /GET \/api\/orders\/\{id\}\s+3/);
  });

  it('dry-run lists exactly the recorded flows a stricter candidate would block', async () => {
    const learned = (await h.cli(['learn', '--workload', 'shop/orders', '--mode', 'protect'])).stdout;
    const stricter = learned.replace('- DELETE\n', '');
    assert.notEqual(stricter, learned);
    writeFileSync(join(h.dir, 'stricter.yaml'), stricter);
    const r = await h.cli(['policy', 'dry-run', '-f', join(h.dir, 'stricter.yaml'), '--since', '1h', '--json']);
    assert.equal(r.code, 3, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { workload: string; caller: { principal: string }; method: string; path: string; count: number; kind: string });
    assert.deepEqual(rows.map((x) => [x.workload, x.caller.principal, x.method, x.path, x.count, x.kind]), [['shop/orders', STOREFRONT, 'DELETE', '/api/orders/7', 1, 'http.policy']]);
    writeFileSync(join(h.dir, 'learned.yaml'), learned);
    const clean = await h.cli(['policy', 'dry-run', '-f', join(h.dir, 'learned.yaml'), '--since', '1h']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /6 recorded flows \(6 requests\); would block 0 flows/);
    const invalid = await h.cli(['policy', 'dry-run', '-f', join(h.dir, 'learned.yaml').replace('learned', 'missing')]);
    assert.equal(invalid.code, 1);
  });

  it('a broken policy is refused by apply with its line and field', async () => {
    writeFileSync(join(h.dir, 'broken.yaml'), 'apiVersion: meshward.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  selector: {workloads: [orders]}\n  mode: strict\n');
    const r = await h.cli(['policy', 'apply', '-f', join(h.dir, 'broken.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.yaml:6:\d+: spec\.mode: /);
  });

  it('applied in monitor, promoted to protect after a clean dry-run: same traffic passes, a new caller is blocked', async () => {
    const applied = await h.cli(['learn', '--workload', 'shop/orders', '--apply']);
    assert.equal(applied.code, 0, applied.stderr);
    await waitUntil(() => mode() === 'monitor', 'the learned policy at the sidecar (monitor)');
    const promoted = await h.cli(['learn', 'promote', '--workload', 'shop/orders', '--mode', 'protect', '--since', '1h']);
    assert.equal(promoted.code, 0, promoted.stderr);
    await waitUntil(() => mode() === 'protect', 'protect at the sidecar');
    for (const [method, path] of [...TRAFFIC, ['GET', '/api/orders/99'] as [string, string]]) {
      assert.equal((await request(`${orders.url}${path}`, { method, from: '127.0.0.2' })).status, 200, `${method} ${path}`);
    }
    assert.equal((await request(`${orders.url}/api/orders/1`, { from: '127.0.0.3' })).status, 403);
    assert.equal((await request(`${orders.url}/api/admin`, { from: '127.0.0.2' })).status, 403);
    const list = await h.cli(['learn', 'list']);
    assert.match(list.stdout, /shop\/orders\s+protect\s+shop\/orders-learned/);
  });

  it('promotion to protect is refused while the dry-run is not clean', async () => {
    const stricter = (await h.cli(['learn', '--workload', 'shop/orders'])).stdout.replace('- DELETE\n', '');
    writeFileSync(join(h.dir, 'stricter.yaml'), stricter);
    assert.equal((await h.cli(['policy', 'apply', '-f', join(h.dir, 'stricter.yaml')])).code, 0);
    await waitUntil(() => !orders.proxy.proxy.configuration()!.includes('"DELETE"'), 'the stricter policy at the sidecar');
    assert.equal((await h.cli(['learn', 'promote', '--workload', 'shop/orders', '--mode', 'monitor'])).code, 0);
    const r = await h.cli(['learn', 'promote', '--workload', 'shop/orders', '--mode', 'protect', '--since', '1h']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /would block DELETE \/api\/orders\/7 from spiffe:\/\/cluster\.local\/ns\/shop\/sa\/storefront/);
  });
});
