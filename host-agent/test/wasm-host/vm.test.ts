import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVm, WasmHostError } from '../../src/wasm-host/index.js';
import { WA } from '../../src/wasm-host/wasm-types.js';
import { GET, Logs, fixture, httpStream, start, withPlugin } from './support.js';

async function loadError(name: string): Promise<WasmHostError> {
  try {
    const vm = await createVm({ module: fixture(name), logger: new Logs() });
    await vm.close();
  } catch (e) {
    if (e instanceof WasmHostError) return e;
    throw e;
  }
  throw new Error(`${name} loaded, but it should not`);
}

describe('loading a module as Envoy would', () => {
  it('refuses an import the host does not provide, naming it', async () => {
    const e = await loadError('bad_import');
    assert.equal(e.code, 'WASM_MISSING_IMPORT');
    assert.equal(e.message, 'Failed to load Wasm module due to a missing import: env.proxy_not_a_real_function');
  });

  it('refuses an import whose signature differs from the host function', async () => {
    const e = await loadError('bad_import_signature');
    assert.equal(e.code, 'WASM_IMPORT_SIGNATURE');
    assert.match(e.message, /env\.proxy_log, want: \(i32, i32\) -> \(i32\), but host exports: \(i32, i32, i32\) -> \(i32\)/);
  });

  it('refuses a callback exported with the wrong signature', async () => {
    const e = await loadError('bad_export_signature');
    assert.equal(e.code, 'WASM_EXPORT_SIGNATURE');
    assert.match(e.message, /Bad function signature for: proxy_on_request_headers/);
  });

  it('refuses a module without an ABI marker, and an ABI 0.1.0 module', async () => {
    assert.equal((await loadError('no_abi')).code, 'WASM_ABI_VERSION');
    const v010 = await loadError('abi_v010');
    assert.equal(v010.code, 'WASM_ABI_VERSION');
    assert.match(v010.message, /0\.1\.0/);
  });

  it('refuses a module without an allocator', async () => {
    const e = await loadError('no_malloc');
    assert.equal(e.code, 'WASM_MISSING_EXPORT');
    assert.match(e.message, /malloc/);
  });

  it('refuses bytes that are not Wasm', async () => {
    await assert.rejects(createVm({ module: Buffer.from('hello') }), (e: WasmHostError) => e.code === 'WASM_INVALID_MODULE');
  });

  it('accepts an ABI 0.2.0 module, without proxy_get_log_level', async () => {
    const e = await loadError('v020_get_log_level');
    assert.equal(e.code, 'WASM_MISSING_IMPORT');
    assert.match(e.message, /env\.proxy_get_log_level/);
    await withPlugin('', async (s) => {
      assert.equal(s.logs.matching('v020 configure')[0], 'v020 configure continue=0');
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.deepEqual(sink.first('requestHeaders')![1].at(-1), ['x-abi', '0.2.0']);
    }, {}, { fixture: 'abi_v020' });
  });

  it('uses `malloc` when the module exports both allocators, as cpp-host does', async () => {
    await withPlugin('', async (s) => {
      const { stream } = httpStream(s);
      stream.decodeHeaders([[':path', '/m']], true);
      assert.equal(s.logs.matching('pairs')[0], 'pairs :path=/m');
      assert.equal(s.plugin.stats().vmFailed, false);
    }, {}, { fixture: 'malloc_preferred' });
  });

  it('accepts an already compiled module', async () => {
    const module = await WA.compile(fixture('noop-filter'));
    const vm = await createVm({ module, vmId: 'compiled', logger: new Logs() });
    assert.equal(vm.vmId, 'compiled');
    assert.equal(vm.failed, false);
    const { plugin, result } = vm.startPlugin({ name: 'noop', configuration: '' });
    assert.deepEqual(result, { ok: true });
    await plugin!.close();
    await vm.close();
    assert.throws(() => vm.startPlugin({ name: 'late', configuration: '' }), /closed/);
  });
});

describe('ticks', () => {
  it('call proxy_on_tick on the root every period until set to 0', async () => {
    await withPlugin('tick:2', async (s) => {
      await s.logs.waitFor('tick_stop');
      assert.deepEqual(s.logs.matching('tick'), ['tick 1', 'tick 2', 'tick 3', 'tick_stop 0']);
    });
  });

  it('stop when the VM closes (timers are cleared, nothing keeps the process alive)', async () => {
    const s = await start('tick:1000');
    await s.close();
    assert.equal(s.logs.matching('tick ').length, 0);
  });
});
