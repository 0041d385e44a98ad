// proxy_get_property / proxy_set_property as Envoy answers them (wasm context.cc getProperty,
// filters/common/expr/context.cc wrappers, evaluator.cc activation):
//
// - the path is split on NUL; the first part names an attribute, the others walk into maps;
// - attributes that need stream info (request, response, connection, upstream, source,
//   destination, metadata, filter_state, connection_id) are NotFound in a root context;
// - values are encoded as Envoy's serializeValue does: strings and bytes raw, int64/uint64 as 8
//   little-endian bytes, double as 8-byte IEEE-754, bool as one byte, timestamp and duration as
//   int64 nanoseconds, maps as serialized pairs (values serialized recursively);
// - a map that cannot list its keys (request, response, connection, source...) and a null value
//   (e.g. a TLS connection without a peer URI SAN) are SerializationFailure, as in Envoy;
// - request.* values that come from request headers exist only while the filter holds the request
//   headers (during and while paused in proxy_on_request_headers) and in proxy_on_log, because
//   Envoy drops its pointer to them once the filter continues; the same holds for response.*;
// - set_property stores the value in the stream's filter state (key "wasm." + path, with the raw
//   path bytes); get_property reads it back through a one-part path; in a root context set is
//   NotFound.

import type { ConnectionInfo, PropertyMap, PropertyValue } from './api.js';
import type { HeaderMap } from './header-map.js';
import { encodePairs } from './pairs.js';
import { GrpcStatus, WasmResult } from './status.js';
import { httpToGrpcStatus } from './local-reply.js';

/** What a stream knows about itself (Envoy's StreamInfo, reduced to what properties read). */
export interface StreamInfoState {
  connection: ConnectionInfo;
  protocol?: string;
  startTimeMs: number;
  startMonotonicNs: bigint;
  /** Monotonic ns when the request completed (set at the end of the stream). */
  completedMonotonicNs?: bigint;
  bytesReceived: number;
  bytesSent: number;
  responseCode?: number;
  responseCodeDetails?: string;
  extra: PropertyMap;
  /** set_property values, keyed by the raw path (latin1). */
  filterState: Map<string, Uint8Array>;
}

export interface PluginPropertyInfo {
  name: string;
  rootId: string;
  vmId: string;
  nodeId?: string;
  nodeMetadata?: Record<string, PropertyValue>;
}

/** What one context exposes to property lookups at the moment of the call. */
export interface PropertyEnv {
  vmId: string;
  plugin?: PluginPropertyInfo;
  stream?: StreamInfoState;
  requestHeaders?: HeaderMap | null;
  responseHeaders?: HeaderMap | null;
  responseTrailers?: HeaderMap | null;
}

type Val =
  | { k: 'str'; v: string }
  | { k: 'latin1'; v: string }
  | { k: 'bytes'; v: Uint8Array }
  | { k: 'i64'; v: bigint }
  | { k: 'u64'; v: bigint }
  | { k: 'f64'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'ts'; ns: bigint }
  | { k: 'dur'; ns: bigint }
  | { k: 'null' }
  | { k: 'map'; get(key: string): Val | undefined; keys(): string[] | undefined }
  | { k: 'message'; bytes(): Uint8Array; get(key: string): Val | undefined };

const str = (v: string): Val => ({ k: 'str', v });
const latin1 = (v: string | undefined): Val | undefined => (v === undefined ? undefined : { k: 'latin1', v });
const i64 = (v: number | bigint): Val => ({ k: 'i64', v: BigInt(v) });
const u64 = (v: number | bigint): Val => ({ k: 'u64', v: BigInt(v) });
const NULL: Val = { k: 'null' };

function headersMap(map: HeaderMap | null | undefined): Val {
  return {
    k: 'map',
    get(key) {
      if (!map) return undefined;
      const values = map.getAll(key);
      // Envoy's getAllOfHeaderAsString joins repeated headers with ','.
      return values.length === 0 ? undefined : { k: 'latin1', v: values.join(',') };
    },
    keys() {
      if (!map) return [];
      const seen: string[] = [];
      for (const [k] of map.pairs()) if (!seen.includes(k)) seen.push(k);
      return seen;
    },
  };
}

function fixedMap(entries: Record<string, () => Val | undefined>, listable = false): Val {
  return {
    k: 'map',
    get: (key) => (Object.prototype.hasOwnProperty.call(entries, key) ? entries[key]() : undefined),
    keys: () => (listable ? Object.keys(entries).filter((k) => entries[k]() !== undefined) : undefined),
  };
}

export function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function parseInt64(s: string): bigint | undefined {
  // absl::SimpleAtoi: optional surrounding whitespace and sign, decimal digits.
  const m = /^\s*([+-]?\d+)\s*$/.exec(s);
  if (!m) return undefined;
  const v = BigInt(m[1]);
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return v;
}

function fromPropertyValue(p: PropertyValue, numbersAsDouble = false): Val {
  switch (p.type) {
    case 'string':
      return str(p.value);
    case 'bytes':
      return { k: 'bytes', v: p.value };
    case 'int':
      return numbersAsDouble ? { k: 'f64', v: Number(p.value) } : i64(p.value);
    case 'uint':
      return numbersAsDouble ? { k: 'f64', v: Number(p.value) } : u64(p.value);
    case 'bool':
      return { k: 'bool', v: p.value };
    case 'double':
      return { k: 'f64', v: p.value };
    case 'timestamp':
      return { k: 'ts', ns: p.nanos };
    case 'duration':
      return { k: 'dur', ns: p.nanos };
    case 'map': {
      const entries = p.value;
      return {
        k: 'map',
        get: (key) => {
          const e = entries.find(([k]) => k === key);
          return e ? str(e[1]) : undefined;
        },
        keys: () => entries.map(([k]) => k),
      };
    }
    case 'struct': {
      const fields = p.value;
      return {
        k: 'map',
        get: (key) =>
          Object.prototype.hasOwnProperty.call(fields, key) ? fromPropertyValue(fields[key], numbersAsDouble) : undefined,
        keys: () => Object.keys(fields),
      };
    }
  }
}

// --- a minimal protobuf writer, for the `node` message (envoy.config.core.v3.Node) ---

function varint(out: number[], v: number): void {
  let x = v >>> 0;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x >>>= 7;
  }
  out.push(x);
}

function lenField(out: number[], field: number, bytes: Uint8Array): void {
  varint(out, (field << 3) | 2);
  varint(out, bytes.byteLength);
  for (const b of bytes) out.push(b);
}

function structBytes(fields: Record<string, PropertyValue>): Uint8Array {
  const out: number[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const entry: number[] = [];
    lenField(entry, 1, Buffer.from(key, 'utf8'));
    lenField(entry, 2, valueBytes(value));
    lenField(out, 1, Uint8Array.from(entry));
  }
  return Uint8Array.from(out);
}

function valueBytes(p: PropertyValue): Uint8Array {
  const out: number[] = [];
  switch (p.type) {
    case 'string':
      lenField(out, 3, Buffer.from(p.value, 'utf8'));
      break;
    case 'bytes':
      lenField(out, 3, p.value);
      break;
    case 'bool':
      out.push((4 << 3) | 0, p.value ? 1 : 0);
      break;
    case 'struct':
      lenField(out, 5, structBytes(p.value));
      break;
    case 'map': {
      const s: Record<string, PropertyValue> = {};
      for (const [k, v] of p.value) s[k] = { type: 'string', value: v };
      lenField(out, 5, structBytes(s));
      break;
    }
    default: {
      const n =
        p.type === 'timestamp' || p.type === 'duration' ? Number(p.nanos) : Number((p as { value: number | bigint }).value);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(n);
      out.push((2 << 3) | 1, ...b);
    }
  }
  return Uint8Array.from(out);
}

function nodeMessage(plugin: PluginPropertyInfo | undefined): Val {
  const id = plugin?.nodeId ?? '';
  const metadata = plugin?.nodeMetadata ?? {};
  return {
    k: 'message',
    bytes() {
      const out: number[] = [];
      if (id) lenField(out, 1, Buffer.from(id, 'utf8'));
      if (Object.keys(metadata).length > 0) lenField(out, 3, structBytes(metadata));
      return Uint8Array.from(out);
    },
    get(key) {
      if (key === 'id') return str(id);
      if (key === 'cluster') return str('');
      if (key === 'metadata') return fromPropertyValue({ type: 'struct', value: metadata }, true);
      return undefined;
    },
  };
}

function requestMap(env: PropertyEnv, s: StreamInfoState): Val {
  const h = env.requestHeaders ?? null;
  const header = (name: string) => (h ? latin1(h.get(name)) : undefined);
  const path = () => (h ? h.get(':path') ?? '' : undefined);
  return fixedMap({
    headers: () => headersMap(h),
    time: () => ({ k: 'ts', ns: BigInt(s.startTimeMs) * 1_000_000n }),
    size: () => {
      const cl = h?.get('content-length');
      if (cl !== undefined) {
        const v = parseInt64(cl);
        if (v !== undefined) return i64(v);
      }
      return i64(s.bytesReceived);
    },
    total_size: () => i64(s.bytesReceived + (h ? h.byteSize() : 0)),
    duration: () =>
      s.completedMonotonicNs === undefined ? undefined : { k: 'dur', ns: s.completedMonotonicNs - s.startMonotonicNs },
    protocol: () => (s.protocol ? str(s.protocol) : undefined),
    path: () => header(':path'),
    url_path: () => {
      const p = path();
      if (p === undefined) return undefined;
      const q = p.indexOf('?');
      return latin1(q < 0 ? p : p.slice(0, q));
    },
    host: () => header(':authority'),
    scheme: () => header(':scheme'),
    method: () => header(':method'),
    referer: () => header('referer'),
    id: () => header('x-request-id'),
    useragent: () => header('user-agent'),
    query: () => {
      const p = path();
      if (p === undefined) return undefined;
      const q = p.indexOf('?');
      if (q < 0) return latin1('');
      const rest = p.slice(q + 1);
      const f = rest.indexOf('#');
      return latin1(f < 0 ? rest : rest.slice(0, f));
    },
  });
}

function grpcStatusOf(map: HeaderMap | null | undefined): number | undefined {
  const v = map?.get('grpc-status');
  if (v === undefined) return undefined;
  const n = parseInt64(v);
  if (n === undefined || n < 0n || n > BigInt(GrpcStatus.Unauthenticated)) return -1;
  return Number(n);
}

function responseMap(env: PropertyEnv, s: StreamInfoState): Val {
  const h = env.responseHeaders ?? null;
  const t = env.responseTrailers ?? null;
  return fixedMap({
    code: () => (s.responseCode === undefined ? undefined : i64(s.responseCode)),
    code_details: () => (s.responseCodeDetails === undefined ? undefined : str(s.responseCodeDetails)),
    flags: () => i64(0),
    grpc_status: () => {
      const fromTrailers = grpcStatusOf(t);
      if (fromTrailers !== undefined) return i64(fromTrailers);
      const fromHeaders = grpcStatusOf(h);
      if (fromHeaders !== undefined) return i64(fromHeaders);
      return s.responseCode === undefined ? undefined : i64(httpToGrpcStatus(s.responseCode));
    },
    headers: () => headersMap(h),
    trailers: () => headersMap(t),
    size: () => i64(s.bytesSent),
    total_size: () => i64(s.bytesSent + (h ? h.byteSize() : 0) + (t ? t.byteSize() : 0)),
  });
}

function connectionMap(s: StreamInfoState): Val {
  const tls = s.connection.tls;
  const ssl = (f: () => Val): (() => Val | undefined) => () => (tls ? f() : undefined);
  const orNull = (v: string | undefined): Val => (v ? str(v) : NULL);
  return fixedMap({
    mtls: () => ({ k: 'bool', v: !!tls && tls.mtls }),
    requested_server_name: () => str(tls?.sni ?? ''),
    id: () => u64(s.connection.id),
    tls_version: ssl(() => str(tls!.version)),
    subject_local_certificate: ssl(() => str(tls!.localSubject ?? '')),
    subject_peer_certificate: ssl(() => str(tls!.peerSubject ?? '')),
    uri_san_local_certificate: ssl(() => orNull(tls!.localUriSan)),
    uri_san_peer_certificate: ssl(() => orNull(tls!.peerUriSan)),
    dns_san_local_certificate: ssl(() => orNull(tls!.localDnsSan)),
    dns_san_peer_certificate: ssl(() => orNull(tls!.peerDnsSan)),
    sha256_peer_certificate_digest: ssl(() => orNull(tls!.peerSha256)),
  });
}

function peerMap(ip: string, port: number): Val {
  return fixedMap({ address: () => str(formatAddress(ip, port)), port: () => i64(port) });
}

/** The extra properties the proxy passed (dotted paths), seen as a tree under `prefix`. */
function extraLookup(extra: PropertyMap, segments: string[]): { value: Val; consumed: number } | undefined {
  for (let n = segments.length; n >= 1; n--) {
    const key = segments.slice(0, n).join('.');
    if (Object.prototype.hasOwnProperty.call(extra, key)) return { value: fromPropertyValue(extra[key]), consumed: n };
  }
  const prefix = segments[0] + '.';
  const children = Object.keys(extra).filter((k) => k.startsWith(prefix));
  if (children.length === 0) return undefined;
  const subtree = (base: string): Val => ({
    k: 'map',
    get(key) {
      const full = `${base}.${key}`;
      if (Object.prototype.hasOwnProperty.call(extra, full)) return fromPropertyValue(extra[full]);
      return Object.keys(extra).some((k) => k.startsWith(full + '.')) ? subtree(full) : undefined;
    },
    keys() {
      const names: string[] = [];
      for (const k of Object.keys(extra)) {
        if (!k.startsWith(base + '.')) continue;
        const first = k.slice(base.length + 1).split('.')[0];
        if (!names.includes(first)) names.push(first);
      }
      return names;
    },
  });
  return { value: subtree(segments[0]), consumed: 1 };
}

function topLevel(env: PropertyEnv, name: string): Val | undefined {
  const s = env.stream;
  switch (name) {
    case 'xds':
      return fixedMap({ node: () => nodeMessage(env.plugin) });
    case 'node':
      // Older Envoy releases serve the node at the top level; current ones under `xds.node`.
      return nodeMessage(env.plugin);
    case 'plugin_name':
      return env.plugin ? str(env.plugin.name) : undefined;
    case 'plugin_root_id':
      return str(env.plugin?.rootId ?? '');
    case 'plugin_vm_id':
      return str(env.vmId);
  }
  if (!s) return undefined;
  switch (name) {
    case 'request':
      return requestMap(env, s);
    case 'response':
      return responseMap(env, s);
    case 'connection':
      return connectionMap(s);
    case 'source':
      return peerMap(s.connection.sourceAddress, s.connection.sourcePort);
    case 'destination':
      return peerMap(s.connection.destinationAddress, s.connection.destinationPort);
    case 'upstream':
      return fixedMap({ request_attempt_count: () => u64(0) });
    case 'metadata':
      return { k: 'message', bytes: () => new Uint8Array(0), get: () => undefined };
    case 'connection_id':
      return u64(s.connection.id);
    case 'filter_state':
      return {
        k: 'map',
        get: (key) => {
          const v = key.startsWith('wasm.') ? s.filterState.get(key.slice(5)) : undefined;
          return v ? { k: 'bytes', v } : undefined;
        },
        keys: () => undefined,
      };
  }
  return undefined;
}

function encodeVal(v: Val): Uint8Array | undefined {
  switch (v.k) {
    case 'str':
      return Buffer.from(v.v, 'utf8');
    case 'latin1':
      return Buffer.from(v.v, 'latin1');
    case 'bytes':
      return v.v;
    case 'i64': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt.asIntN(64, v.v));
      return b;
    }
    case 'u64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, v.v));
      return b;
    }
    case 'f64': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v.v);
      return b;
    }
    case 'bool':
      return Uint8Array.of(v.v ? 1 : 0);
    case 'ts':
    case 'dur': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt.asIntN(64, v.ns));
      return b;
    }
    case 'null':
      return undefined;
    case 'message':
      return v.bytes();
    case 'map': {
      const keys = v.keys();
      if (!keys) return undefined;
      const pairs: Array<[string, string]> = [];
      for (const k of keys) {
        const value = v.get(k);
        const bytes = value ? encodeVal(value) : undefined;
        if (!bytes) return undefined;
        pairs.push([Buffer.from(k, 'utf8').toString('latin1'), Buffer.from(bytes).toString('latin1')]);
      }
      return encodePairs(pairs);
    }
  }
}

export function splitPath(path: Uint8Array): string[] {
  const parts: string[] = [];
  const n = path.byteLength;
  let start = 0;
  while (start < n) {
    // Segments are short ASCII names (a filter asks for several per request): read in a loop,
    // UTF-8 decoded only when a byte says so.
    let end = start;
    let ascii = true;
    for (; end < n; end++) {
      const c = path[end];
      if (c === 0) break;
      if (c >= 0x80) ascii = false;
    }
    if (ascii) {
      let seg = '';
      for (let i = start; i < end; i++) seg += String.fromCharCode(path[i]);
      parts.push(seg);
    } else {
      parts.push(Buffer.from(path.buffer, path.byteOffset + start, end - start).toString('utf8'));
    }
    start = end + 1;
  }
  return parts;
}

export function getProperty(env: PropertyEnv, path: Uint8Array): { result: WasmResult; value?: Uint8Array } {
  const parts = splitPath(path);
  if (parts.length === 0) return { result: WasmResult.SerializationFailure };
  let value = topLevel(env, parts[0]);
  let i = 1;
  if (!value && env.stream) {
    // Envoy's fallback: the filter state object "wasm.<name>" (set_property or the proxy's).
    const stored = env.stream.filterState.get(parts[0]);
    if (stored) value = { k: 'bytes', v: stored };
    else {
      const extra = extraLookup(env.stream.extra, parts);
      if (extra) {
        value = extra.value;
        i = extra.consumed;
      }
    }
  }
  if (!value) return { result: WasmResult.NotFound };
  for (; i < parts.length; i++) {
    if (value.k !== 'map' && value.k !== 'message') return { result: WasmResult.NotFound };
    const next: Val | undefined = value.get(parts[i]);
    if (!next) return { result: WasmResult.NotFound };
    value = next;
  }
  const bytes = encodeVal(value);
  if (!bytes) return { result: WasmResult.SerializationFailure };
  return { result: WasmResult.Ok, value: bytes };
}

export function setProperty(stream: StreamInfoState | undefined, path: Uint8Array, value: Uint8Array): WasmResult {
  if (!stream) return WasmResult.NotFound;
  stream.filterState.set(Buffer.from(path.buffer, path.byteOffset, path.byteLength).toString('utf8'), new Uint8Array(value));
  return WasmResult.Ok;
}
