// The dashboard's files on the control plane's HTTP port: index.html for the app's own routes, hashed
// assets cached for good, a missing asset a 404 (not the page), /v1 left to the API.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHttpServer, type ApiServer } from '../../src/api/http-server.js';
import { staticUi } from '../../src/api/static-ui.js';

describe('api: the dashboard files', () => {
  let dir: string;
  let server: ApiServer;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshward-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets/index-abc123.js'), 'console.log(1)');
    server = await startHttpServer('127.0.0.1', 0, { ready: () => ({ ready: true }), metrics: () => '', status: () => ({ ok: true }), ui: staticUi(dir) });
    base = `http://127.0.0.1:${server.address.port}`;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for the app\'s routes, never cached', async () => {
    for (const path of ['/', '/incidents/inc-1', '/policies/shop/orders']) {
      const r = await fetch(base + path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type')!, /text\/html/);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      assert.match(await r.text(), /id="root"/);
    }
  });

  it('serves hashed assets cached for good, and answers 404 for a missing one', async () => {
    const r = await fetch(`${base}/assets/index-abc123.js`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /javascript/);
    assert.match(r.headers.get('cache-control')!, /immutable/);
    assert.equal((await fetch(`${base}/assets/index-old.js`)).status, 404);
    assert.equal((await fetch(`${base}/favicon.ico`)).status, 404);
  });

  it('leaves /v1 and the health endpoints alone', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const status = await fetch(`${base}/v1/status`);
    assert.deepEqual(await status.json(), { ok: true });
    assert.equal((await fetch(`${base}/v1/nothing`)).status, 404);
  });

  it('refuses a folder without index.html', () => {
    const empty = mkdtempSync(join(tmpdir(), 'meshward-ui-'));
    try {
      assert.throws(() => staticUi(empty), /no index\.html/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
