// proxy_call_foreign_function: the functions Envoy registers (extensions/common/wasm/foreign.cc)
// are compress, uncompress, clear_route_cache, set_envoy_filter_state, declare_property,
// verify_signature, sign and, when built with the CEL parser, expr_create / expr_evaluate /
// expr_delete. The cheap ones are implemented here; the others answer Unimplemented with a
// warning, so a module that relies on them fails visibly instead of silently (see README).
// An unknown name is NotFound, as in cpp-host.

import { deflateSync, inflateSync } from 'node:zlib';
import { WasmResult } from './status.js';
import type { WasmVm } from './vm.js';

type ForeignFunction = (vm: WasmVm, args: Uint8Array) => { result: WasmResult; output?: Uint8Array };

const NOT_EMULATED: ForeignFunction = () => ({ result: WasmResult.Unimplemented });

const REGISTRY: Record<string, ForeignFunction> = {
  // zlib compress()/uncompress(): the zlib format (RFC 1950), which deflateSync/inflateSync produce.
  compress: (_vm, args) => ({ result: WasmResult.Ok, output: deflateSync(args) }),
  uncompress: (_vm, args) => {
    try {
      return { result: WasmResult.Ok, output: inflateSync(args) };
    } catch {
      return { result: WasmResult.SerializationFailure };
    }
  },
  // Route caches do not exist here; Envoy answers Ok.
  clear_route_cache: () => ({ result: WasmResult.Ok }),
  set_envoy_filter_state: NOT_EMULATED,
  declare_property: NOT_EMULATED,
  verify_signature: NOT_EMULATED,
  sign: NOT_EMULATED,
  expr_create: NOT_EMULATED,
  expr_evaluate: NOT_EMULATED,
  expr_delete: NOT_EMULATED,
};

export function callForeignFunction(
  vm: WasmVm,
  name: string,
  args: Uint8Array,
  resultsPtr: number,
  resultsSizePtr: number,
): WasmResult {
  if (!Object.prototype.hasOwnProperty.call(REGISTRY, name)) return WasmResult.NotFound;
  const f = REGISTRY[name];
  if (f === NOT_EMULATED) {
    vm.hostLog('warn', `foreign function "${name}" exists in Envoy but is not emulated by this host`);
  }
  const { result, output } = f(vm, args);
  let address = 0;
  let size = 0;
  if (output) {
    size = output.byteLength;
    if (resultsPtr !== 0 && size > 0) {
      address = vm.memory.allocate(size);
      if (address === 0 || !vm.memory.writeBytes(address, output)) return WasmResult.InvalidMemoryAccess;
    }
  }
  if (resultsPtr !== 0 && !vm.memory.setU32(resultsPtr, address)) return WasmResult.InvalidMemoryAccess;
  if (resultsSizePtr !== 0 && !vm.memory.setU32(resultsSizePtr, size)) return WasmResult.InvalidMemoryAccess;
  return result;
}
