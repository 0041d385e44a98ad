import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedData } from '../../src/wasm-host/shared-data.js';
import { WasmResult } from '../../src/wasm-host/status.js';
import { start, withPlugin } from './support.js';

describe('shared data', () => {
  it('CAS: 0 is unconditional, a stale CAS mismatches, a missing key is created whatever the CAS', () => {
    const d = new SharedData();
    assert.equal(d.get('vm', 'k').result, WasmResult.NotFound);
    assert.equal(d.set('vm', 'k', Buffer.from('1'), 0), WasmResult.Ok);
    const first = d.get('vm', 'k').cas!;
    assert.equal(first, 1, 'the first CAS handed out is 1');
    assert.equal(d.set('vm', 'k', Buffer.from('2'), first), WasmResult.Ok);
    assert.equal(d.set('vm', 'k', Buffer.from('3'), first), WasmResult.CasMismatch);
    assert.equal(d.set('vm', 'new', Buffer.from('x'), 777), WasmResult.Ok);
    assert.equal(d.get('other-vm', 'k').result, WasmResult.NotFound, 'partitioned by vm_id');
  });

  it('seen from the module', async () => {
    await withPlugin('shared-data', async (s) => {
      const l = s.logs;
      // The canary ran first on the same vm_id, so the live run finds its data.
      const [canaryMissing, liveMissing] = l.matching('sd.get_missing=');
      assert.equal(canaryMissing, `sd.get_missing=<${WasmResult.NotFound}>`);
      assert.match(liveMissing, /^sd\.get_missing=v4@\d+$/);
      assert.equal(l.get('sd.set'), '0');
      assert.match(l.get('sd.get'), /^v1@\d+$/);
      assert.equal(l.get('sd.set_cas'), '0');
      assert.equal(l.get('sd.set_stale'), String(WasmResult.CasMismatch));
      assert.match(l.get('sd.get2'), /^v2@\d+$/);
      assert.equal(l.matching('sd.set_missing_cas=')[0], 'sd.set_missing_cas=0', 'a missing key is created');
      assert.equal(l.get('sd.set_missing_cas'), String(WasmResult.CasMismatch), 'it exists by the live run');
      assert.equal(l.get('sd.unconditional'), '0');
      const cas = (v: string) => Number(v.split('@')[1]);
      assert.ok(cas(l.get('sd.get3')) > cas(l.get('sd.get2')), 'every write gets a new CAS');
    }, {}, { vmId: 'sd-module' });
  });

  it('is shared by VMs with the same vm_id, and dropped with the last of them', async () => {
    const writer = await start('shared-data', {}, { vmId: 'sd-shared' });
    const reader = await start('shared-get:k', {}, { vmId: 'sd-shared' });
    const stranger = await start('shared-get:k', {}, { vmId: 'sd-other' });
    try {
      assert.match(reader.logs.get('sd.read'), /^v4@\d+$/);
      assert.equal(stranger.logs.get('sd.read'), `<${WasmResult.NotFound}>`);
    } finally {
      await writer.close();
      await reader.close();
      await stranger.close();
    }
    await withPlugin('shared-get:k', async (after) => {
      assert.equal(after.logs.get('sd.read'), `<${WasmResult.NotFound}>`);
    }, {}, { vmId: 'sd-shared' });
  });
});
