import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WasmResult } from '../../src/wasm-host/status.js';
import { withPlugin } from './support.js';

describe('proxy_call_foreign_function', () => {
  it('implements compress/uncompress/clear_route_cache, knows the rest of Envoy names, NotFound otherwise', async () => {
    await withPlugin('foreign', async (s) => {
      const [status, size] = s.logs.get('ff.compress').split(':');
      assert.equal(status, '0');
      assert.ok(Number(size) > 0);
      assert.equal(s.logs.get('ff.uncompress'), '0:hello hello hello hello');
      assert.equal(s.logs.get('ff.unknown'), `<${WasmResult.NotFound}>`);
      assert.equal(s.logs.get('ff.not_emulated'), `<${WasmResult.Unimplemented}>`);
      assert.ok(s.logs.lines.some((l) => l.level === 'warn' && /declare_property.*not emulated/.test(l.message)));
      assert.equal(s.logs.get('ff.clear_route_cache'), '');
    });
  });
});
