// The public surface of the proxy-wasm host: what the proxy, the filter tests and later the
// agent use. The implementation lives in the sibling files; this file only declares shapes, so
// that every consumer depends on one narrow contract (the way go-control-plane's server sees the
// cache only through ConfigWatcher).

import type { WasmModule } from './wasm-types.js';

/** One HTTP field. Names are lower-case; pseudo-headers (`:method`, `:path`, `:authority`,
 * `:scheme`, `:status`) come first, as Envoy's header maps keep them. Order is preserved and a
 * name may repeat. Names and values are byte strings: one character per byte (latin1), which is
 * how Node's HTTP parsers hand header bytes over, so what the filter reads is exactly what came
 * off the wire; a character above U+00FF cannot occur in such a string. */
export type HeaderList = Array<[name: string, value: string]>;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

export interface HostLogger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** What the plugin does when its VM has failed (trapped) or could not start:
 * `closed` answers new HTTP streams with 503 (`wasm_fail_stream`) and closes new TCP connections;
 * `open` lets traffic through unfiltered. Either way it is counted and logged. */
export type FailurePolicy = 'open' | 'closed';

/** A cluster that `proxy_http_call` may reach, by name, as Envoy's cluster manager would. */
export interface HttpCallCluster {
  /** Base URL, e.g. `http://127.0.0.1:7070`; the call's `:path` is appended to its origin. */
  url: string;
}

/** TLS facts of a connection, for the `connection.*` properties. */
export interface TlsInfo {
  version: string; // e.g. "TLSv1.3"
  sni?: string;
  /** True when a client certificate was presented and validated. */
  mtls: boolean;
  peerSubject?: string;
  peerUriSan?: string; // first URI SAN of the peer certificate
  peerDnsSan?: string;
  peerSha256?: string; // hex digest of the peer certificate (DER)
  localSubject?: string;
  localUriSan?: string;
  localDnsSan?: string;
}

/** The downstream connection, as Envoy's StreamInfo/connection would describe it. */
export interface ConnectionInfo {
  id: number;
  sourceAddress: string; // IP only
  sourcePort: number;
  destinationAddress: string; // IP only
  destinationPort: number;
  tls?: TlsInfo;
}

/** A property value the host hands to the filter, already typed so it can be encoded as Envoy
 * encodes it: strings as bytes, ints as 8-byte little-endian, bools as one byte, maps as
 * serialized header pairs, timestamps/durations as int64 nanoseconds. */
export type PropertyValue =
  | { type: 'string'; value: string }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'int'; value: bigint | number }
  | { type: 'uint'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'double'; value: number }
  | { type: 'timestamp'; nanos: bigint }
  | { type: 'duration'; nanos: bigint }
  | { type: 'map'; value: Array<[string, string]> }
  | { type: 'struct'; value: Record<string, PropertyValue> };

/** Extra properties by path (segments joined with '.', e.g. `downstream_peer.workload`). */
export type PropertyMap = Record<string, PropertyValue>;

export interface VmOptions {
  /** The compiled module or its bytes. */
  module: WasmModule | Uint8Array;
  /** Envoy's `vm_config.vm_id`; VMs with the same id share shared-data and queues. */
  vmId?: string;
  /** Readable only inside `proxy_on_vm_start`. */
  vmConfiguration?: Uint8Array | string;
  /** Environment variables exposed through WASI `environ_get` (Envoy: `vm_config.environment_variables`). */
  environment?: Record<string, string>;
  logger?: HostLogger;
  /** Host log level reported by `proxy_get_log_level`; lower levels are dropped. Default 'info'. */
  logLevel?: LogLevel;
}

export interface PluginOptions {
  /** Envoy's `PluginConfig.name`; the `plugin_name` property. */
  name: string;
  /** Envoy's `root_id`; the `plugin_root_id` property. */
  rootId?: string;
  /** Readable only inside `proxy_on_configure`. */
  configuration: Uint8Array | string;
  failurePolicy?: FailurePolicy; // default 'closed'
  /** Clusters reachable by `proxy_http_call`, by name. */
  clusters?: Record<string, HttpCallCluster>;
  /** Node metadata (Envoy's bootstrap node.metadata), readable as `node.metadata.<KEY>`. */
  nodeMetadata?: Record<string, PropertyValue>;
  nodeId?: string;
  /** Per-buffer limit for StopIterationAndBuffer (Envoy: per_connection_buffer_limit_bytes). Default 1 MiB. */
  bufferLimitBytes?: number;
}

/** Result of (re)configuring a plugin. */
export interface ConfigureResult {
  ok: boolean;
  /** When `ok` is false: why (the plugin returned false, trapped, or the VM has failed). */
  reason?: string;
}

/** Counters of the host itself, beside the plugin's own metrics. */
export interface HostStats {
  vmFailed: boolean;
  failReason?: string;
  streamsFailedOpen: number;
  streamsFailedClosed: number;
  configureRejected: number;
  httpCallsStarted: number;
  httpCallsFailed: number;
  bufferOverflows: number;
  activeStreams: number;
}

/** The proxy side of one HTTP stream: the filter manager calls these to move the (possibly
 * modified) stream on, exactly where Envoy's filter manager would hand it to the next filter
 * (request direction: the router/upstream) or to the codec (response direction: downstream). */
export interface HttpStreamSink {
  // Request direction, toward the upstream.
  requestHeaders(headers: HeaderList, endStream: boolean): void;
  requestData(data: Uint8Array, endStream: boolean): void;
  requestTrailers(trailers: HeaderList): void;
  // Response direction, toward the downstream client.
  responseHeaders(headers: HeaderList, endStream: boolean): void;
  responseData(data: Uint8Array, endStream: boolean): void;
  responseTrailers(trailers: HeaderList): void;
  /** Abort both directions (close_stream, buffer overflow once headers were sent, ...). */
  reset(reason: string): void;
  /** Flow control: the filter manager holds more than its limit (watermark) in one direction. */
  pauseRequestBody?(): void;
  resumeRequestBody?(): void;
  pauseResponseBody?(): void;
  resumeResponseBody?(): void;
}

/** What the proxy knows about a stream when it starts. */
export interface HttpStreamInfo {
  connection: ConnectionInfo;
  /** `request.protocol`: "HTTP/1.0", "HTTP/1.1" or "HTTP/2". */
  protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';
  /** Stream-level extra properties (e.g. `downstream_peer.workload`). */
  properties?: PropertyMap;
  /** Milliseconds since epoch of the first byte; defaults to now. */
  startTime?: number;
}

/** One HTTP request/response pair driven through the plugin the way Envoy's filter manager
 * drives one HTTP filter. The proxy calls decode* as the downstream request arrives and encode*
 * as the upstream (or its own router error) response arrives; the stream calls the sink. */
export interface HttpFilterStream {
  decodeHeaders(headers: HeaderList, endStream: boolean): void;
  decodeData(data: Uint8Array, endStream: boolean): void;
  decodeTrailers(trailers: HeaderList): void;
  encodeHeaders(headers: HeaderList, endStream: boolean): void;
  encodeData(data: Uint8Array, endStream: boolean): void;
  encodeTrailers(trailers: HeaderList): void;
  /** The downstream or upstream went away; no more callbacks but the end of life ones. */
  onReset(reason: string): void;
  /** The exchange ended (response fully sent or reset): runs on_log, on_done, on_delete once.
   * As in Envoy, the stream also ends by itself once the end of the response has gone to the
   * sink, or when it resets itself; later calls (including complete()) are then ignored. */
  complete(): void;
}

export interface WasmPluginHandle {
  readonly name: string;
  /** Create the per-stream context. When the VM has failed, returns a pass-through stream
   * (fail open) or one that answers 503 (fail closed). */
  createHttpStream(info: HttpStreamInfo, sink: HttpStreamSink): HttpFilterStream;
  /** Apply a new plugin configuration as Envoy applies an ECDS update: a new root context on the
   * same VM; if `proxy_on_configure` returns false the old one stays in force. New streams use
   * the new configuration, streams in flight keep the one they started with. */
  reconfigure(configuration: Uint8Array | string): ConfigureResult;
  /** Values of the metrics the plugin defined, by name. For a histogram `value` is the last
   * recorded sample, `count` and `sum` summarize all of them. */
  metrics(): Map<string, { type: 'counter' | 'gauge' | 'histogram'; value: bigint; count?: bigint; sum?: bigint }>;
  stats(): HostStats;
  /** Stop ticks, cancel http calls, run on_done/on_delete on the root context. */
  close(): Promise<void>;
}

/** The proxy side of one TCP connection (Envoy network filter chain ending in tcp_proxy). */
export interface NetworkStreamSink {
  /** Downstream bytes the filter let through, toward the upstream. */
  upstreamWrite(data: Uint8Array, endStream: boolean): void;
  /** Upstream bytes the filter let through, toward the downstream. */
  downstreamWrite(data: Uint8Array, endStream: boolean): void;
  /** close_stream(DOWNSTREAM|UPSTREAM) or a failed VM (fail closed): close that side (flush first). */
  close(side: 'downstream' | 'upstream', reason: string): void;
}

/** One TCP connection driven through the plugin the way Envoy drives a Wasm network filter. */
export interface NetworkFilterStream {
  /** Runs proxy_on_new_connection; data arriving while it (or a data callback) paused is held. */
  onNewConnection(): void;
  onDownstreamData(data: Uint8Array, endStream: boolean): void;
  onUpstreamData(data: Uint8Array, endStream: boolean): void;
  /** A side closed; peer says who closed it (Envoy: LOCAL when the proxy closed it, REMOTE otherwise). */
  onDownstreamClose(peer: 'local' | 'remote'): void;
  onUpstreamClose(peer: 'local' | 'remote'): void;
}

export interface NetworkStreamInfo {
  connection: ConnectionInfo;
  properties?: PropertyMap;
}

export interface WasmPluginNetwork {
  createNetworkStream(info: NetworkStreamInfo, sink: NetworkStreamSink): NetworkFilterStream;
}

/** A loaded module: one VM instance, able to host several plugins (root contexts). */
export interface WasmVmHandle {
  readonly vmId: string;
  readonly failed: boolean;
  /** Create a root context, call proxy_on_configure; on false/trap `plugin` is undefined. */
  startPlugin(options: PluginOptions): { plugin?: WasmPluginHandle & WasmPluginNetwork; result: ConfigureResult };
  close(): Promise<void>;
}
