// Byte-level wrappers over the proxy-wasm imports (ABI 0.2.1). Nothing here allocates a string:
// values the host returns arrive in memory it took through our exported `malloc` (a pinned
// ArrayBuffer); `takeValue` unpins it and hands it back as an ordinary managed ArrayBuffer, so it
// lives exactly as long as something references it. Out-parameters live in static memory.
import * as imports from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";
import { takeHostBuffer } from "./memory";

export const enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  Empty = 7,
}

export const enum MapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  HttpCallResponseHeaders = 6,
}

export const enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  VmConfiguration = 6,
  PluginConfiguration = 7,
}

export const enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

export const enum MetricType {
  Counter = 0,
  Gauge = 1,
}

// WASI: only random_get, for the per-VM random part of event ids.
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function wasi_random_get(buf: usize, len: usize): u16;

const OUT_PTR: usize = memory.data(8, 8);
const OUT_SIZE: usize = memory.data(8, 8);
const OUT_U64: usize = memory.data(8, 8);

/** Size of the value returned by the last successful get* call (0 when it returned null). */
export let valueSize: usize = 0;

function clearOut(): void {
  store<u32>(OUT_PTR, 0);
  store<u32>(OUT_SIZE, 0);
  valueSize = 0;
}

/** Take ownership of the buffer the host wrote into OUT_PTR/OUT_SIZE. */
function takeValue(result: u32): ArrayBuffer | null {
  const ptr = <usize>load<u32>(OUT_PTR);
  let size = <usize>load<u32>(OUT_SIZE);
  if (ptr == 0) return null;
  const buf = changetype<ArrayBuffer>(ptr);
  // Unpin before anything else can fail: from here the buffer is an ordinary GC object.
  takeHostBuffer(ptr);
  if (result != WasmResult.Ok) return null;
  const cap = <usize>buf.byteLength;
  if (size > cap) size = cap;
  valueSize = size;
  return buf;
}

/** The serialized header pairs of a map: u32 count, count × (u32 name len, u32 value len), then
 * every name and value followed by a NUL. One host call for the whole map. */
export function getHeaderPairs(map: MapType): ArrayBuffer | null {
  clearOut();
  const r = imports.proxy_get_header_map_pairs(map, OUT_PTR, OUT_SIZE);
  return takeValue(r);
}

/** One header value; the key is an ASCII literal. */
export function getHeaderValue(map: MapType, key: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  const r = imports.proxy_get_header_map_value(
    map, changetype<usize>(key), <usize>key.byteLength, OUT_PTR, OUT_SIZE);
  return takeValue(r);
}

/** A property by path: segments separated by NUL bytes, as Envoy expects (see propertyPath). */
export function getProperty(path: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  const r = imports.proxy_get_property(changetype<usize>(path), <usize>path.byteLength, OUT_PTR, OUT_SIZE);
  return takeValue(r);
}

/** Encode a dotted property path (`source.address`) the way proxy_get_property takes it. */
export function propertyPath(dotted: string): ArrayBuffer {
  const b = String.UTF8.encode(dotted);
  const p = changetype<usize>(b);
  for (let i = 0; i < b.byteLength; i++) {
    if (load<u8>(p + i) == 0x2e) store<u8>(p + i, 0);
  }
  return b;
}

export function getBufferBytes(type: BufferType, start: u32, length: u32): ArrayBuffer | null {
  clearOut();
  const r = imports.proxy_get_buffer_bytes(type, start, length, OUT_PTR, OUT_SIZE);
  return takeValue(r);
}

export function log(level: LogLevel, p: usize, len: usize): void {
  imports.proxy_log(level, p, len);
}

/** The host's log level, or Info when it cannot say. */
export function hostLogLevel(): LogLevel {
  store<u32>(OUT_U64, <u32>LogLevel.Info);
  if (imports.proxy_get_log_level(OUT_U64) != WasmResult.Ok) return LogLevel.Info;
  const l = load<u32>(OUT_U64);
  return l > <u32>LogLevel.Critical ? LogLevel.Info : <LogLevel>l;
}

export function currentTimeNanos(): u64 {
  store<u64>(OUT_U64, 0);
  imports.proxy_get_current_time_nanoseconds(OUT_U64);
  return load<u64>(OUT_U64);
}

export function setTickPeriod(ms: u32): void {
  imports.proxy_set_tick_period_milliseconds(ms);
}

export function setEffectiveContext(id: u32): u32 {
  return imports.proxy_set_effective_context(id);
}

export function done(): void {
  imports.proxy_done();
}

/** proxy_send_local_response; grpcStatus -1 (0xffffffff) when the request is not gRPC. */
export function sendLocalResponse(
  status: u32, details: ArrayBuffer, body: usize, bodyLen: usize,
  headerPairs: usize, headerPairsLen: usize, grpcStatus: u32,
): u32 {
  return imports.proxy_send_local_response(
    status, changetype<usize>(details), <usize>details.byteLength, body, bodyLen,
    headerPairs, headerPairsLen, grpcStatus);
}

/** proxy_http_call; returns the result and, when Ok, the token in `httpCallToken`. */
export let httpCallToken: u32 = 0;
export function httpCall(
  cluster: ArrayBuffer, headerPairs: usize, headerPairsLen: usize, body: usize, bodyLen: usize,
  trailerPairs: usize, trailerPairsLen: usize, timeoutMs: u32,
): u32 {
  store<u32>(OUT_U64, 0);
  const r = imports.proxy_http_call(
    changetype<usize>(cluster), <usize>cluster.byteLength, headerPairs, headerPairsLen,
    body, bodyLen, trailerPairs, trailerPairsLen, timeoutMs, OUT_U64);
  httpCallToken = load<u32>(OUT_U64);
  return r;
}

/** proxy_define_metric; returns the id, or u32.MAX_VALUE when the host refused. */
export function defineMetric(type: MetricType, name: string): u32 {
  const b = String.UTF8.encode(name);
  store<u32>(OUT_U64, 0);
  const r = imports.proxy_define_metric(type, changetype<usize>(b), <usize>b.byteLength, OUT_U64);
  return r == WasmResult.Ok ? load<u32>(OUT_U64) : u32.MAX_VALUE;
}

export function incrementMetric(id: u32, by: i64): void {
  imports.proxy_increment_metric(id, by);
}

export function recordMetric(id: u32, value: u64): void {
  imports.proxy_record_metric(id, value);
}

/** Fill `len` bytes at `p` from WASI random_get; false when the host could not. */
export function randomBytes(p: usize, len: usize): bool {
  return wasi_random_get(p, len) == 0;
}

/** proxy_remove_header_map_value; the key is an ASCII literal. */
export function removeHeader(map: MapType, key: ArrayBuffer): u32 {
  return imports.proxy_remove_header_map_value(map, changetype<usize>(key), <usize>key.byteLength);
}

/** proxy_set_buffer_bytes: replace [start, start+length) of a body buffer with [p, p+len). */
export function setBufferBytes(type: BufferType, start: u32, length: u32, p: usize, len: usize): u32 {
  return imports.proxy_set_buffer_bytes(type, start, length, p, len);
}

export const enum StreamKind {
  Request = 0,
  Response = 1,
}

/** proxy_close_stream: reset the stream (after the callback returns). */
export function closeStream(kind: StreamKind): u32 {
  return imports.proxy_close_stream(<u32>kind);
}
