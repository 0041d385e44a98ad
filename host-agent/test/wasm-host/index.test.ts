import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as host from '../../src/wasm-host/index.js';
import { fixture } from './support.js';

describe('the public entry point', () => {
  it('exports createVm and WasmHostError, with stable error codes', async () => {
    assert.equal(typeof host.createVm, 'function');
    const err = await host.createVm({ module: fixture('no_abi') }).catch((e: unknown) => e);
    assert.ok(err instanceof host.WasmHostError);
    assert.equal((err as host.WasmHostError).code, 'WASM_ABI_VERSION');
  });

  it('defaults: empty vm_id, a console logger, streams through a plugin with default options', async () => {
    const vm = await host.createVm({ module: fixture('noop-filter') });
    try {
      assert.equal(vm.vmId, '');
      const { plugin } = vm.startPlugin({ name: 'noop', configuration: new Uint8Array(0) });
      assert.ok(plugin);
      assert.equal(plugin.name, 'noop');
      const stats = plugin.stats();
      assert.equal(stats.vmFailed, false);
      assert.equal(stats.activeStreams, 0);
    } finally {
      await vm.close();
    }
  });
});
