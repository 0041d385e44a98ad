// Failure handling through real sockets: a filter that traps fails closed (503) or, with
// `--fail open`, open; a plugin configuration the filter rejects changes nothing.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ordersPolicy, startHarness } from '../support/proxy-harness.js';

const TRAP_WASM = fileURLToPath(new URL('../../fixtures/trap-on-header.wasm', import.meta.url));

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const r = await fetch(url, init);
  await r.arrayBuffer();
  return r.status;
}

describe('meshward proxy, filter failure', { timeout: 30_000 }, () => {
  it('fails closed: the trapping stream and every later one get 503', async () => {
    const h = await startHarness({ wasm: TRAP_WASM, fail: 'closed' });
    try {
      assert.equal(await status(`${h.url}/api/orders`), 200, 'healthy before the trap');
      assert.equal(await status(`${h.url}/api/orders`, { headers: { 'x-trap': '1' } }), 503);
      assert.equal(await status(`${h.url}/api/orders`), 503, 'the VM stays failed');
      const s = h.proxy.proxy.stats();
      assert.equal(s.host?.vmFailed, true);
      assert.ok((s.host?.streamsFailedClosed ?? 0) >= 2);
      assert.equal(h.app.seen.length, 1, 'nothing reached the upstream after the trap');
      assert.ok(h.logs.some((l) => /trap|unreachable|failed/i.test(l)), 'the failure is logged');
    } finally {
      await h.close();
    }
  });

  it('fails open with --fail open: traffic passes unfiltered and is counted', async () => {
    const h = await startHarness({ wasm: TRAP_WASM, fail: 'open' });
    try {
      assert.equal(await status(`${h.url}/api/orders`, { headers: { 'x-trap': '1' } }), 200);
      assert.equal(await status(`${h.url}/api/orders`), 200);
      const s = h.proxy.proxy.stats();
      assert.equal(s.host?.vmFailed, true);
      assert.ok((s.host?.streamsFailedOpen ?? 0) >= 1);
      assert.equal(h.app.seen.length, 2);
    } finally {
      await h.close();
    }
  });
});

describe('meshward proxy, plugin configuration updates', { timeout: 30_000 }, () => {
  it('rejects a bad configuration with the reason and keeps enforcing the last good one', async () => {
    const h = await startHarness({ policy: ordersPolicy('protect') });
    try {
      const admin = `http://127.0.0.1:${h.proxy.admin!.address.port}`;
      const good = await (await fetch(`${admin}/config`)).text();
      assert.equal(await status(`${h.url}/api/orders/1`, { method: 'DELETE' }), 403);

      const bad = JSON.stringify({ ...JSON.parse(good), mode: 'relaxed' });
      const r = await fetch(`${admin}/config`, { method: 'PUT', body: bad });
      assert.equal(r.status, 400);
      const result = (await r.json()) as { ok: boolean; reason?: string };
      assert.equal(result.ok, false);

      assert.equal(await (await fetch(`${admin}/config`)).text(), good, 'the good one is still in force');
      assert.equal(await status(`${h.url}/api/orders/1`, { method: 'DELETE' }), 403, 'and still enforced');
      assert.equal(h.proxy.proxy.stats().filter['meshward.config_rejected'], '1');
      assert.ok(h.logs.some((l) => l.includes('mode')), 'the filter logged why');

      const relaxed = JSON.stringify({ ...JSON.parse(good), mode: 'monitor' });
      const ok = await fetch(`${admin}/config`, { method: 'PUT', body: relaxed });
      assert.equal(ok.status, 200);
      assert.equal(await status(`${h.url}/api/orders/1`, { method: 'DELETE' }), 200, 'a good update applies to new streams');
    } finally {
      await h.close();
    }
  });

  it('reloads the policy file, and keeps the old policy when the edit is broken', async () => {
    const h = await startHarness({ policy: ordersPolicy('protect') });
    try {
      assert.equal(await status(`${h.url}/api/orders/1`, { method: 'DELETE' }), 403);
      h.write('policy.yaml', ordersPolicy('protect').replace('mode: protect', 'mode: protect\n  bogus: [') );
      assert.equal(h.proxy.reload(), false);
      assert.ok(h.logs.some((l) => l.includes('policy reload rejected') && l.includes('policy.yaml:')), 'names the file and line');
      assert.equal(await status(`${h.url}/api/orders/1`, { method: 'DELETE' }), 403);
      h.write('policy.yaml', ordersPolicy('monitor'));
      assert.equal(h.proxy.reload(), true);
      assert.equal(await status(`${h.url}/api/orders/1`, { method: 'DELETE' }), 200);
    } finally {
      await h.close();
    }
  });
});
