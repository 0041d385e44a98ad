import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectModule, sig, sameFuncType, formatFuncType } from '../../src/wasm-host/module-inspect.js';
import { WasmHostError } from '../../src/wasm-host/errors.js';
import { fixture } from './support.js';

describe('module inspection', () => {
  it('reads imports with their signatures and exported function signatures', () => {
    const info = inspectModule(fixture('abi'));
    const log = info.imports.find((i) => i.module === 'env' && i.name === 'proxy_log');
    assert.ok(log && log.kind === 'function');
    assert.ok(sameFuncType(log.type, sig('iii:i')), formatFuncType(log.type));
    const inc = info.imports.find((i) => i.name === 'proxy_increment_metric');
    assert.ok(inc && inc.kind === 'function' && sameFuncType(inc.type, sig('iI:i')));
    const onHeaders = info.exports.find((e) => e.name === 'proxy_on_request_headers');
    assert.ok(onHeaders?.type && sameFuncType(onHeaders.type, sig('iii:i')));
    assert.equal(info.exports.find((e) => e.name === 'memory')?.kind, 'memory');
  });

  it('rejects bytes that are not a Wasm module, naming the problem', () => {
    assert.throws(
      () => inspectModule(Buffer.from('not wasm at all')),
      (e: unknown) => e instanceof WasmHostError && e.code === 'WASM_INVALID_MODULE' && /\\0asm/.test(e.message),
    );
    const truncated = fixture('abi').subarray(0, 100);
    assert.throws(() => inspectModule(truncated), (e: unknown) => e instanceof WasmHostError && e.code === 'WASM_INVALID_MODULE');
  });
});
