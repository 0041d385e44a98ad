// The proxy_* host functions (module "env"), each with the signature V8 checks at link time and
// the argument checks and results of proxy-wasm-cpp-host's exports.cc plus Envoy's Context.
// Every function acts on cpp-host's contextOrEffectiveContext(): the context whose callback is
// running, or the one chosen with proxy_set_effective_context. Pointers and sizes are u32; the
// order of checks (type range, then memory, then the operation) follows exports.cc so the status
// a guest sees is the one Envoy would return.

import { parsePairs, pairsSize, writePairs } from './pairs.js';
import { sharedData } from './shared-data.js';
import { sharedQueues } from './shared-queue.js';
import { callForeignFunction } from './foreign-functions.js';
import {
  BUFFER_TYPE_MAX,
  GRPC_STATUS_MAX,
  LogLevelNumber,
  MAP_TYPE_MAX,
  STREAM_TYPE_MAX,
  WasmResult,
  type BufferType,
  type MapType,
  type StreamType,
} from './status.js';
import { sig, type FuncType } from './module-inspect.js';
import type { WasmVm } from './vm.js';

export interface HostFunctionDef {
  module: string;
  name: string;
  type: FuncType;
  /** Builds the implementation bound to one VM. */
  make(vm: WasmVm): (...args: never[]) => number | void;
}

const OK = WasmResult.Ok;
const BAD = WasmResult.BadArgument;
const MEM = WasmResult.InvalidMemoryAccess;
const u = (x: number) => x >>> 0;

function proxy(name: string, signature: string, make: (vm: WasmVm) => (...args: never[]) => number | void): HostFunctionDef {
  return { module: 'env', name: `proxy_${name}`, type: sig(signature), make };
}

/** Host functions every 0.2.x module may import. */
const COMMON: HostFunctionDef[] = [
  proxy('log', 'iii:i', (vm) => (level: number, ptr: number, size: number) => {
    if (u(level) > LogLevelNumber.Critical) return BAD;
    const msg = vm.memory.utf8(u(ptr), u(size));
    if (msg === null) return MEM;
    vm.guestLog(vm.activeContext(), u(level), msg);
    return OK;
  }),

  proxy('get_status', 'iii:i', (vm) => (codePtr: number, msgPtrPtr: number, msgSizePtr: number) => {
    const root = vm.activeContext().root;
    if (!vm.memory.setU32(u(codePtr), root.statusCode)) return MEM;
    return vm.memory.copyToPointerSize(Buffer.from(root.statusMessage, 'utf8'), u(msgPtrPtr), u(msgSizePtr)) ? OK : MEM;
  }),

  proxy('set_property', 'iiii:i', (vm) => (kp: number, ks: number, vp: number, vs: number) => {
    const key = vm.memory.copyOut(u(kp), u(ks));
    const value = vm.memory.copyOut(u(vp), u(vs));
    if (!key || !value) return MEM;
    return vm.activeContext().setProperty(key, value);
  }),

  proxy('get_property', 'iiii:i', (vm) => (pp: number, ps: number, vpp: number, vsp: number) => {
    const path = vm.memory.copyOut(u(pp), u(ps));
    if (!path) return MEM;
    const r = vm.activeContext().getProperty(path);
    if (r.result !== OK) return r.result;
    return vm.memory.copyToPointerSize(r.value!, u(vpp), u(vsp)) ? OK : MEM;
  }),

  proxy(
    'send_local_response',
    'iiiiiiii:i',
    (vm) =>
      (code: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number) => {
        const details = vm.memory.utf8(u(dp), u(ds));
        const body = vm.memory.copyOut(u(bp), u(bs));
        const headerBytes = vm.memory.view(u(hp), u(hs));
        if (details === null || !body || !headerBytes) return MEM;
        const headers = parsePairs(headerBytes);
        const g = u(grpc);
        vm.activeContext().sendLocalResponse(u(code), body, headers, g <= GRPC_STATUS_MAX ? g : -1, details);
        // cpp-host: whatever the callback returns, the stream stops iterating.
        vm.stopIteration = true;
        return OK;
      },
  ),

  proxy('get_shared_data', 'iiiii:i', (vm) => (kp: number, ks: number, vpp: number, vsp: number, casPtr: number) => {
    const key = vm.memory.utf8(u(kp), u(ks));
    if (key === null) return MEM;
    const r = sharedData.get(vm.vmId, key);
    if (r.result !== OK) return r.result;
    if (!vm.memory.copyToPointerSize(r.value!, u(vpp), u(vsp))) return MEM;
    return vm.memory.setU32(u(casPtr), r.cas!) ? OK : MEM;
  }),

  proxy('set_shared_data', 'iiiii:i', (vm) => (kp: number, ks: number, vp: number, vs: number, cas: number) => {
    const key = vm.memory.utf8(u(kp), u(ks));
    const value = vm.memory.copyOut(u(vp), u(vs));
    if (key === null || !value) return MEM;
    return sharedData.set(vm.vmId, key, value, u(cas));
  }),

  proxy('register_shared_queue', 'iii:i', (vm) => (np: number, ns: number, tokenPtr: number) => {
    const name = vm.memory.utf8(u(np), u(ns));
    if (name === null) return MEM;
    // proxy_on_queue_ready goes to the root context, even when a stream context registers.
    const token = sharedQueues.register(vm.vmId, name, vm, vm.activeContext().root.id);
    return vm.memory.setU32(u(tokenPtr), token) ? OK : MEM;
  }),

  proxy('resolve_shared_queue', 'iiiii:i', (vm) => (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
    const vmId = vm.memory.utf8(u(vp), u(vs));
    const name = vm.memory.utf8(u(np), u(ns));
    if (vmId === null || name === null) return MEM;
    const token = sharedQueues.resolve(vmId === '' ? vm.vmId : vmId, name);
    if (vm.failed || token === 0) return WasmResult.NotFound;
    return vm.memory.setU32(u(tokenPtr), token) ? OK : MEM;
  }),

  proxy('dequeue_shared_queue', 'iii:i', (vm) => (token: number, vpp: number, vsp: number) => {
    const r = sharedQueues.dequeue(u(token));
    if (r.result !== OK) return r.result;
    return vm.memory.copyToPointerSize(r.value!, u(vpp), u(vsp)) ? OK : MEM;
  }),

  proxy('enqueue_shared_queue', 'iii:i', (vm) => (token: number, vp: number, vs: number) => {
    const value = vm.memory.copyOut(u(vp), u(vs));
    if (!value) return MEM;
    return sharedQueues.enqueue(u(token), value);
  }),

  proxy('get_header_map_value', 'iiiii:i', (vm) => (type: number, kp: number, ks: number, vpp: number, vsp: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const key = vm.memory.latin1(u(kp), u(ks));
    if (key === null) return MEM;
    const ctx = vm.activeContext();
    const map = ctx.getConstMap(u(type) as MapType);
    if (!map) return ctx.accessLogPhase ? WasmResult.NotFound : BAD;
    // Envoy returns the first value of a repeated header.
    const value = map.get(key);
    if (value === undefined) return WasmResult.NotFound;
    return vm.memory.copyLatin1ToPointerSize(value, u(vpp), u(vsp)) ? OK : MEM;
  }),

  proxy('add_header_map_value', 'iiiii:i', (vm) => (type: number, kp: number, ks: number, vp: number, vs: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const key = vm.memory.latin1(u(kp), u(ks));
    const value = vm.memory.latin1(u(vp), u(vs));
    if (key === null || value === null) return MEM;
    const map = vm.activeContext().getMap(u(type) as MapType);
    if (!map) return BAD;
    map.add(key, value);
    return OK;
  }),

  proxy('replace_header_map_value', 'iiiii:i', (vm) => (type: number, kp: number, ks: number, vp: number, vs: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const key = vm.memory.latin1(u(kp), u(ks));
    const value = vm.memory.latin1(u(vp), u(vs));
    if (key === null || value === null) return MEM;
    const map = vm.activeContext().getMap(u(type) as MapType);
    if (!map) return BAD;
    map.replace(key, value);
    return OK;
  }),

  proxy('remove_header_map_value', 'iii:i', (vm) => (type: number, kp: number, ks: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const key = vm.memory.latin1(u(kp), u(ks));
    if (key === null) return MEM;
    const map = vm.activeContext().getMap(u(type) as MapType);
    if (!map) return BAD;
    map.remove(key);
    return OK;
  }),

  proxy('get_header_map_pairs', 'iii:i', (vm) => (type: number, ptrPtr: number, sizePtr: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const map = vm.activeContext().getConstMap(u(type) as MapType);
    const pairs = map ? map.pairs() : [];
    if (pairs.length === 0) {
      return vm.memory.setU32(u(ptrPtr), 0) && vm.memory.setU32(u(sizePtr), 0) ? OK : MEM;
    }
    const size = pairsSize(pairs);
    const p = vm.memory.allocate(size);
    if (p === 0) return MEM;
    if (!writePairs(vm.memory, p, pairs)) return MEM;
    return vm.memory.setU32(u(ptrPtr), p) && vm.memory.setU32(u(sizePtr), size) ? OK : MEM;
  }),

  proxy('set_header_map_pairs', 'iii:i', (vm) => (type: number, ptr: number, size: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const bytes = vm.memory.view(u(ptr), u(size));
    if (!bytes) return MEM;
    const map = vm.activeContext().getMap(u(type) as MapType);
    if (!map) return BAD;
    map.setAll(parsePairs(bytes));
    return OK;
  }),

  proxy('get_header_map_size', 'ii:i', (vm) => (type: number, sizePtr: number) => {
    if (u(type) > MAP_TYPE_MAX) return BAD;
    const map = vm.activeContext().getMap(u(type) as MapType);
    if (!map) return BAD;
    return vm.memory.setU32(u(sizePtr), map.byteSize()) ? OK : MEM;
  }),

  proxy('get_buffer_status', 'iii:i', (vm) => (type: number, lengthPtr: number, flagsPtr: number) => {
    if (u(type) > BUFFER_TYPE_MAX) return BAD;
    const buffer = vm.activeContext().getBuffer(u(type) as BufferType);
    if (!buffer) return WasmResult.NotFound;
    if (!vm.memory.setU32(u(lengthPtr), buffer.size())) return MEM;
    return vm.memory.setU32(u(flagsPtr), 0) ? OK : MEM;
  }),

  proxy('get_buffer_bytes', 'iiiii:i', (vm) => (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
    if (u(type) > BUFFER_TYPE_MAX) return BAD;
    const buffer = vm.activeContext().getBuffer(u(type) as BufferType);
    if (!buffer) return WasmResult.NotFound;
    // cpp-host computes in 64 bits, so start + length cannot overflow for a 32-bit guest; it
    // clips the range to the buffer instead of failing.
    const size = buffer.size();
    const s = u(start);
    let len = u(length);
    if (s > size) len = 0;
    else if (s + len > size) len = size - s;
    if (len === 0) return vm.memory.setU32(u(ptrPtr), 0) && vm.memory.setU32(u(sizePtr), 0) ? OK : MEM;
    return buffer.copyTo(vm.memory, s, len, u(ptrPtr), u(sizePtr));
  }),

  proxy('set_buffer_bytes', 'iiiii:i', (vm) => (type: number, start: number, length: number, dp: number, ds: number) => {
    if (u(type) > BUFFER_TYPE_MAX) return BAD;
    const buffer = vm.activeContext().getBuffer(u(type) as BufferType);
    if (!buffer) return WasmResult.NotFound;
    const data = vm.memory.view(u(dp), u(ds));
    if (!data) return MEM;
    return buffer.copyFrom(u(start), u(length), data);
  }),

  proxy(
    'http_call',
    'iiiiiiiiii:i',
    (vm) =>
      (up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number) => {
        const root = vm.activeContext().root;
        const upstream = vm.memory.utf8(u(up), u(us));
        const body = vm.memory.copyOut(u(bp), u(bs));
        const headerBytes = vm.memory.view(u(hp), u(hs));
        const headers = headerBytes ? parsePairs(headerBytes) : null;
        const trailerBytes = vm.memory.view(u(tp), u(ts));
        const trailers = trailerBytes ? parsePairs(trailerBytes) : null;
        if (upstream === null || !body || !headers || !trailers) return MEM;
        // cpp-host writes the token slot first to validate it before starting anything.
        if (!vm.memory.setU32(u(tokenPtr), 0)) return MEM;
        const r = vm.httpCall(root, upstream, headers, body, trailers, timeout | 0);
        vm.memory.setU32(u(tokenPtr), r.token);
        return r.result;
      },
  ),

  proxy(
    'grpc_call',
    'iiiiiiiiiiii:i',
    (vm) =>
      (sp: number, ss: number, np: number, ns: number, mp: number, ms: number, dp: number, ds: number, qp: number, qs: number, timeout: number, tokenPtr: number) => {
        const root = vm.activeContext().root;
        const service = vm.memory.copyOut(u(sp), u(ss));
        const serviceName = vm.memory.utf8(u(np), u(ns));
        const method = vm.memory.utf8(u(mp), u(ms));
        const mdBytes = vm.memory.view(u(dp), u(ds));
        const metadata = mdBytes ? parsePairs(mdBytes) : null;
        const message = vm.memory.copyOut(u(qp), u(qs));
        if (!service || serviceName === null || method === null || !metadata || !message) return MEM;
        const r = vm.grpc(root).call(service, serviceName, method, metadata, message, u(timeout));
        if (r.result !== OK) return r.result;
        return vm.memory.setU32(u(tokenPtr), r.token) ? OK : MEM;
      },
  ),

  proxy(
    'grpc_stream',
    'iiiiiiiii:i',
    (vm) =>
      (sp: number, ss: number, np: number, ns: number, mp: number, ms: number, dp: number, ds: number, tokenPtr: number) => {
        const root = vm.activeContext().root;
        const service = vm.memory.copyOut(u(sp), u(ss));
        const serviceName = vm.memory.utf8(u(np), u(ns));
        const method = vm.memory.utf8(u(mp), u(ms));
        const mdBytes = vm.memory.view(u(dp), u(ds));
        const metadata = mdBytes ? parsePairs(mdBytes) : null;
        if (!service || serviceName === null || method === null || !metadata) return MEM;
        const r = vm.grpc(root).stream(service, serviceName, method, metadata);
        if (r.result !== OK) return r.result;
        return vm.memory.setU32(u(tokenPtr), r.token) ? OK : MEM;
      },
  ),

  proxy('grpc_close', 'i:i', (vm) => (token: number) => vm.grpc(vm.activeContext().root).close(u(token))),
  proxy('grpc_cancel', 'i:i', (vm) => (token: number) => vm.grpc(vm.activeContext().root).cancel(u(token))),
  proxy('grpc_send', 'iiii:i', (vm) => (token: number, mp: number, ms: number, end: number) => {
    const message = vm.memory.copyOut(u(mp), u(ms));
    if (!message) return MEM;
    return vm.grpc(vm.activeContext().root).send(u(token), message, end !== 0);
  }),

  proxy('set_tick_period_milliseconds', 'i:i', (vm) => (period: number) => {
    vm.setTimerPeriod(vm.activeContext().root.id, u(period));
    return OK;
  }),

  proxy('get_current_time_nanoseconds', 'i:i', (vm) => (ptr: number) =>
    vm.memory.setU64(u(ptr), vm.realtimeNs()) ? OK : MEM,
  ),

  proxy('define_metric', 'iiii:i', (vm) => (type: number, np: number, ns: number, idPtr: number) => {
    const name = vm.memory.utf8(u(np), u(ns));
    if (name === null) return MEM;
    const r = vm.metricIds.define(u(type), name);
    if (r.result !== OK) return r.result;
    return vm.memory.setU32(u(idPtr), r.id) ? OK : MEM;
  }),

  proxy('increment_metric', 'iI:i', (vm) => (id: number, delta: bigint) =>
    vm.metricIds.increment(u(id), BigInt.asIntN(64, delta)),
  ),

  proxy('record_metric', 'iI:i', (vm) => (id: number, value: bigint) => vm.metricIds.record(u(id), value)),

  proxy('get_metric', 'ii:i', (vm) => (id: number, ptr: number) => {
    const r = vm.metricIds.get(u(id));
    if (r.result !== OK) return r.result;
    return vm.memory.setU64(u(ptr), r.value) ? OK : MEM;
  }),

  proxy('set_effective_context', 'i:i', (vm) => (id: number) => {
    const cid = u(id);
    if (!vm.contexts.has(cid)) return BAD;
    vm.effectiveId = cid;
    return OK;
  }),

  proxy('done', ':i', (vm) => () => vm.done(vm.activeContext())),

  proxy('call_foreign_function', 'iiiiii:i', (vm) => (np: number, ns: number, ap: number, as: number, rpp: number, rsp: number) => {
    const name = vm.memory.utf8(u(np), u(ns));
    if (name === null) return MEM;
    const args = vm.memory.copyOut(u(ap), u(as));
    if (!args) return MEM;
    return callForeignFunction(vm, name, args, u(rpp), u(rsp));
  }),
];

const STREAM_CONTROL: HostFunctionDef[] = [
  proxy('continue_stream', 'i:i', (vm) => (type: number) => {
    if (u(type) > STREAM_TYPE_MAX) return BAD;
    return vm.activeContext().continueStream(u(type) as StreamType);
  }),
  proxy('close_stream', 'i:i', (vm) => (type: number) => {
    if (u(type) > STREAM_TYPE_MAX) return BAD;
    return vm.activeContext().closeStream(u(type) as StreamType);
  }),
];

const GET_LOG_LEVEL: HostFunctionDef = proxy('get_log_level', 'i:i', (vm) => (ptr: number) =>
  vm.memory.setU32(u(ptr), vm.logLevel) ? OK : MEM,
);

/** Emscripten helpers cpp-host registers in "env" for every ABI version. */
const EMSCRIPTEN: HostFunctionDef[] = [
  { module: 'env', name: 'pthread_equal', type: sig('ii:i'), make: () => (a: number, b: number) => (a === b ? 1 : 0) },
  { module: 'env', name: 'emscripten_notify_memory_growth', type: sig('i:'), make: () => () => undefined },
];

/** The "env" functions registered for a module of the given ABI version (cpp-host registerCallbacks). */
export function proxyHostFunctions(abi: '0.2.0' | '0.2.1'): HostFunctionDef[] {
  return abi === '0.2.1'
    ? [...EMSCRIPTEN, ...COMMON, ...STREAM_CONTROL, GET_LOG_LEVEL]
    : [...EMSCRIPTEN, ...COMMON, ...STREAM_CONTROL];
}
