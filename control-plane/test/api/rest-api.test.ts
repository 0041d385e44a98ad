// The REST API of a running control plane: authentication, error codes, and an OpenAPI document
// that lists exactly the routes served.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS, openApiKey } from '../../src/api/openapi.js';
import { startControlPlane, type RunningControlPlane } from '../../src/index.js';

describe('REST API', () => {
  let dir: string;
  let cp: RunningControlPlane;
  let base: string;
  const get = (path: string, token: string | null = 'tok') => fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshward-api-'));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'inventory.yaml'), 'workloads:\n  - {namespace: shop, name: orders}\n');
    cp = await startControlPlane({
      policies: [join(dir, 'policies')],
      inventory: join(dir, 'inventory.yaml'),
      xds: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      wasm: { code: { local: { filename: '/nonexistent/meshward.wasm' } }, failOpen: false },
      logger: { log: () => {} },
      apiToken: 'tok',
    });
    base = `http://127.0.0.1:${cp.http.address.port}`;
  });
  after(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves an OpenAPI 3.1 document, without a token, covering every route and nothing else', async () => {
    const r = await get('/v1/openapi.json', null);
    assert.equal(r.status, 200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(doc.openapi, '3.1.0');
    const served = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    assert.deepEqual([...served].sort(), Object.keys(OPERATIONS).sort());
    assert.equal(openApiKey({ method: 'GET', path: '/v1/events/:id' }), 'GET /v1/events/{id}');
  });

  it('answers errors as JSON with stable codes', async () => {
    const cases: Array<[Promise<Response>, number, string]> = [
      [get('/v1/events', null), 401, 'UNAUTHENTICATED'],
      [get('/v1/events', 'wrong'), 401, 'UNAUTHENTICATED'],
      [get('/v1/events?severity=huge'), 400, 'BAD_REQUEST'],
      [get('/v1/events?since=yesterdayish'), 400, 'BAD_REQUEST'],
      [get('/v1/events?cursor=bm9wZQ'), 400, 'BAD_REQUEST'],
      [get('/v1/events/none'), 404, 'NOT_FOUND'],
      [get('/v1/nothing'), 404, 'NOT_FOUND'],
      [fetch(`${base}/v1/events/x`, { method: 'DELETE', headers: { authorization: 'Bearer tok' } }), 405, 'METHOD_NOT_ALLOWED'],
      [get('/v1/baselines/shop/orders'), 404, 'NOT_FOUND'],
      [get('/v1/workloads/shop/missing'), 404, 'NOT_FOUND'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      assert.equal(r.status, status);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, code);
      assert.ok(body.error.message.length > 0);
    }
  });

  it('refuses an invalid policy with every issue (line, field, rule), and a protect switch without policy', async () => {
    const r = await fetch(`${base}/v1/policies`, { method: 'PUT', headers: { authorization: 'Bearer tok', 'content-type': 'application/yaml' }, body: 'apiVersion: meshward.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: x}\nspec:\n  selector: {workloads: [orders]}\n  mode: strict\n  ingres: []\n' });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: { code: string; details: { issues: Array<{ line: number; path: string; rule: string }> } } };
    assert.equal(body.error.code, 'POLICY_INVALID');
    assert.deepEqual(body.error.details.issues.map((i) => [i.line, i.path, i.rule]), [[6, 'spec.mode', 'enum'], [7, 'spec.ingres', 'unknown-field']]);
    const m = await fetch(`${base}/v1/workloads/shop/orders/mode`, { method: 'PUT', headers: { authorization: 'Bearer tok', 'content-type': 'application/json' }, body: '{"mode":"protect"}' });
    assert.equal(m.status, 409);
    assert.equal(((await m.json()) as { error: { code: string } }).error.code, 'CONFLICT');
  });

  it('health, readiness and metrics stay open; metrics include ingest counters', async () => {
    assert.equal((await get('/healthz', null)).status, 200);
    const metrics = await (await get('/metrics', null)).text();
    assert.match(metrics, /meshward_events_received_total 0/);
    assert.match(metrics, /meshward_events_queue_limit 50000/);
  });
});
