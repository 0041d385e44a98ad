// Optional, synchronous hooks into the server (go-control-plane's Callbacks, with CallbackFuncs'
// no-op default for every hook left out). They run on the stream's own path, so keep them short.
//
// What a thrown error does:
// - onStreamOpen, onRequest, onResponse, onAck, onNack: the stream ends at once with status
//   INTERNAL and "hook <name> failed: <message>"; a throwing onResponse also stops that response
//   from being sent. The client reconnects as after any stream error.
// - onStreamClose, onDenied: the stream is ending anyway; the error is only counted.
// Every throw is counted in metrics.hookErrors.
import type { NodeInfo } from './node.js';

/** The transport facts of a stream. */
export interface PeerInfo {
  /** `ip:port` as gRPC reports it. */
  address: string;
  /** URI SANs of the client certificate (mTLS only). */
  uriSans: readonly string[];
  /** Whether the connection is TLS with a verified client certificate. */
  authenticated: boolean;
}

export interface StreamInfo {
  /** Unique within the server process. */
  readonly id: number;
  readonly protocol: 'sotw' | 'delta';
  /** `ads` (AggregatedDiscoveryService) or `ecds` (ExtensionConfigDiscoveryService). */
  readonly service: 'ads' | 'ecds';
  readonly peer: PeerInfo;
  /** Known from the first request on. */
  readonly node: NodeInfo | undefined;
  /** The snapshot key the node maps to (node-key.ts), known from the first request on. */
  readonly key: string | undefined;
}

export interface RequestEvent {
  typeUrl: string;
  nonce: string;
  /** SotW: version_info; Delta: empty. */
  versionInfo: string;
  /** SotW: resource_names. */
  resourceNames: readonly string[];
  /** Delta: resource_names_subscribe / _unsubscribe / initial_resource_versions. */
  subscribe: readonly string[];
  unsubscribe: readonly string[];
  initialVersions: Readonly<Record<string, string>>;
  /** The NACK's reason, when error_detail is set. */
  errorDetail: string | undefined;
}

export interface ResponseEvent {
  typeUrl: string;
  nonce: string;
  /** SotW version_info / Delta system_version_info. */
  version: string;
  /** The resources sent: the cache's own objects, read-only (they carry their body too). */
  resources: readonly { readonly name: string; readonly version: string }[];
  /** Delta only. */
  removed: readonly string[];
  /** `request`: answering a request; `push`: the cache changed. */
  cause: 'request' | 'push';
}

export interface AckEvent {
  typeUrl: string;
  nonce: string;
  /** The version the client now runs (the acknowledged response's version). */
  version: string;
  /** The resources acknowledged, as in ResponseEvent. */
  resources: readonly { readonly name: string; readonly version: string }[];
  /** ms from the cache change to this ACK, for pushes. */
  latencyMs: number | undefined;
}

/** A NACK, as the server records it (server.nacks()). */
export interface NackRecord {
  /** ISO time it arrived. */
  time: string;
  streamId: number;
  nodeId: string;
  key: string;
  typeUrl: string;
  nonce: string;
  /** The version the client rejected. */
  rejectedVersion: string;
  /** SotW: the version the client says it keeps (version_info); Delta: empty. */
  keptVersion: string;
  /** The resources (name and version) of the rejected response. */
  resources: readonly { name: string; version: string }[];
  /** error_detail.code and .message. */
  code: number;
  message: string;
}

export interface DeniedEvent {
  peer: PeerInfo;
  node: NodeInfo;
  key: string;
  reason: string;
}

export interface XdsHooks {
  onStreamOpen?(stream: StreamInfo): void;
  onStreamClose?(stream: StreamInfo): void;
  onRequest?(stream: StreamInfo, request: RequestEvent): void;
  onResponse?(stream: StreamInfo, response: ResponseEvent): void;
  onAck?(stream: StreamInfo, ack: AckEvent): void;
  onNack?(stream: StreamInfo, nack: NackRecord): void;
  onDenied?(stream: StreamInfo, denied: DeniedEvent): void;
}

const noop = (): void => {};

/** Every hook, the unset ones as no-ops. */
export function withDefaults(hooks: XdsHooks = {}): Required<XdsHooks> {
  return {
    onStreamOpen: hooks.onStreamOpen?.bind(hooks) ?? noop,
    onStreamClose: hooks.onStreamClose?.bind(hooks) ?? noop,
    onRequest: hooks.onRequest?.bind(hooks) ?? noop,
    onResponse: hooks.onResponse?.bind(hooks) ?? noop,
    onAck: hooks.onAck?.bind(hooks) ?? noop,
    onNack: hooks.onNack?.bind(hooks) ?? noop,
    onDenied: hooks.onDenied?.bind(hooks) ?? noop,
  };
}

/** The hooks actually given: streams skip building events nobody listens to. */
export function hooksGiven(hooks: XdsHooks = {}): ReadonlySet<keyof XdsHooks> {
  return new Set((Object.keys(hooks) as (keyof XdsHooks)[]).filter((k) => typeof hooks[k] === 'function'));
}

/** A hook threw; the stream ends with INTERNAL carrying this message. */
export class HookError extends Error {
  override readonly name = 'HookError';

  constructor(
    readonly hook: keyof XdsHooks,
    override readonly cause: unknown,
  ) {
    super(`hook ${hook} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
