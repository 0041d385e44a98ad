// What SotW and Delta streams share: the node from the first request, its snapshot key and the
// identity check, per-stream nonces, the implied type of a single-type service, hooks, metrics,
// and ending the stream with a status. No gRPC here: the server hands a stream a
// StreamTransport and feeds it decoded requests.
import { HookError, type NackRecord, type PeerInfo, type StreamInfo, type XdsHooks } from './hooks.js';
import type { DeltaDiscoveryResponseMsg, DiscoveryResponseMsg, NodeMsg } from './messages.js';
import type { XdsMetrics } from './metrics.js';
import { nodeInfo, type NodeInfo } from './node.js';
import type { TypeTraits } from './type-urls.js';
import { nextNonce, withNonce, type SharedResponse } from './shared-responses.js';
import type { ConfigWatcher } from './watch.js';

/** How a stream ends when it cannot go on; the server maps these to gRPC status codes. */
export type StreamErrorCode = 'INVALID_ARGUMENT' | 'PERMISSION_DENIED' | 'INTERNAL' | 'UNAVAILABLE';

export interface StreamTransport {
  readonly peer: PeerInfo;
  /** One encoded response. */
  send(message: Buffer): void;
  /** Ends the stream with an error status. */
  fail(code: StreamErrorCode, message: string): void;
}

export type AuthorizeResult = { allowed: true } | { allowed: false; reason: string };

export interface AuthorizeRequest {
  peer: PeerInfo;
  node: NodeInfo;
  key: string;
}

/** What every stream of a server shares. */
export interface StreamContext {
  watcher: ConfigWatcher;
  metrics: XdsMetrics;
  hooks: Required<XdsHooks>;
  /** The hooks the user set (the others are no-ops whose events need not be built). */
  hooksGiven: ReadonlySet<keyof XdsHooks>;
  traits(typeUrl: string): TypeTraits;
  /** Node → snapshot key; throws (an Error with a message for the client) for a node it cannot
   * place. */
  nodeKey(node: NodeInfo): string;
  authorize(request: AuthorizeRequest): AuthorizeResult;
  recordNack(record: NackRecord): void;
  /** Wire encoders of the responses (streams send bytes, so identical responses are encoded once). */
  encode: { sotw(message: DiscoveryResponseMsg): Buffer; delta(message: DeltaDiscoveryResponseMsg): Buffer };
  controlPlaneId: string;
  closed(stream: XdsStream): void;
}

/** One type's state on a stream, as server.streams() reports it. */
export interface TypeStatus {
  typeUrl: string;
  wildcard: boolean;
  /** Explicitly subscribed names (without `*`). */
  names: string[];
  /** Latest nonce sent for the type. */
  nonce: string | undefined;
  /** Version of the last response sent. */
  sentVersion: string | undefined;
  /** SotW: version_info of the client's last ACK; Delta: version of the last ACKed response. */
  ackedVersion: string | undefined;
  /** A response is waiting for its ACK or NACK. */
  awaitingAck: boolean;
  /** Resource versions the server believes the client holds (Delta: null = told it is absent). */
  clientVersions: Record<string, string | null>;
  lastNack: NackRecord | undefined;
}

export interface StreamStatus {
  id: number;
  protocol: 'sotw' | 'delta';
  service: 'ads' | 'ecds';
  peer: string;
  identity: string | undefined;
  nodeId: string | undefined;
  key: string | undefined;
  types: TypeStatus[];
}

/** A type's `cancel` until its watch is set. */
export const noWatch = (): void => {};

/** What both protocols keep per type on a stream. */
export interface TypeState {
  typeUrl: string;
  traits: TypeTraits;
  wildcard: boolean;
  /** Explicitly subscribed names (without `*`). */
  names: Set<string>;
  sentVersion: string | undefined;
  ackedVersion: string | undefined;
  nonce: string | undefined;
  outstanding: Outstanding | undefined;
  /** A change arrived while a response awaited its ACK; when it happened. */
  deferredChangeAt: number | undefined;
  lastNack: NackRecord | undefined;
  cancel: () => void;
}

/** A response waiting for its ACK or NACK. */
export interface Outstanding {
  nonce: string;
  version: string;
  resources: readonly { readonly name: string; readonly version: string }[];
  cause: 'request' | 'push';
  /** performance.now() of the cache change a push carries. */
  changedAt: number | undefined;
}

let nextStreamId = 1;

export abstract class XdsStream<
  Req extends { node?: NodeMsg | null; type_url: string } = { node?: NodeMsg | null; type_url: string },
  T extends TypeState = TypeState,
> implements StreamInfo {
  readonly id = nextStreamId++;
  protected readonly types = new Map<string, T>();
  node: NodeInfo | undefined;
  key: string | undefined;
  private ended = false;
  /** The sequence of the last nonce sent (shared-responses.ts). */
  private lastNonce = 0;

  constructor(
    protected readonly ctx: StreamContext,
    protected readonly transport: StreamTransport,
    readonly protocol: 'sotw' | 'delta',
    readonly service: 'ads' | 'ecds',
    /** The type of a single-type service (ECDS): requests may leave type_url empty, and may not
     * name another type. */
    private readonly impliedTypeUrl: string | undefined,
  ) {}

  get peer(): PeerInfo {
    return this.transport.peer;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  open(): void {
    this.ctx.metrics.streamsOpened++;
    try {
      this.callHook('onStreamOpen', this);
    } catch (err) {
      this.failed(err);
    }
  }

  /** Feeds one decoded request. */
  receive(request: Req): void {
    if (this.ended) return;
    this.ctx.metrics.requests++;
    try {
      if (!this.node && !this.start(request.node)) return;
      let typeUrl = request.type_url;
      if (this.impliedTypeUrl !== undefined) {
        if (typeUrl === '') typeUrl = this.impliedTypeUrl;
        else if (typeUrl !== this.impliedTypeUrl) {
          this.invalid(`type_url ${JSON.stringify(typeUrl)}: this service serves only ${this.impliedTypeUrl}`);
          return;
        }
      } else if (typeUrl === '') {
        this.invalid('type_url: required on an aggregated (ADS) stream');
        return;
      }
      this.handle(typeUrl, request);
    } catch (err) {
      this.failed(err);
    }
  }

  /** The client went away or the server is closing: cancel watches, count, call onStreamClose. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.ctx.metrics.streamsClosed++;
    try {
      this.ctx.hooks.onStreamClose(this);
    } catch {
      this.ctx.metrics.hookErrors++;
    }
    this.ctx.closed(this);
  }

  /** Ends the stream with UNAVAILABLE: the server is going away, the client should reconnect. */
  shutdown(): void {
    this.fail('UNAVAILABLE', 'the control plane is shutting down');
  }

  /** The stream and every type's state, as server.streams() reports it. */
  status(): StreamStatus {
    return {
      id: this.id,
      protocol: this.protocol,
      service: this.service,
      peer: this.peer.address,
      identity: this.peer.uriSans[0],
      nodeId: this.node?.id,
      key: this.key,
      types: [...this.types.values()].map((t) => ({
        typeUrl: t.typeUrl,
        wildcard: t.wildcard,
        names: [...t.names],
        nonce: t.nonce,
        sentVersion: t.sentVersion,
        ackedVersion: t.ackedVersion,
        awaitingAck: t.outstanding !== undefined,
        clientVersions: Object.fromEntries(this.clientVersions(t)),
        lastNack: t.lastNack,
      })),
    };
  }

  protected abstract handle(typeUrl: string, request: Req): void;
  /** A response for `t`: to a request, or a push of a change made at `changedAt`. */
  protected abstract respond(t: T, cause: 'request' | 'push', changedAt: number | undefined): void;
  /** What the server believes the client holds of `t`, by name. */
  protected abstract clientVersions(t: T): ReadonlyMap<string, string | null>;

  /** Cancels every watch. */
  protected release(): void {
    for (const t of this.types.values()) t.cancel();
  }

  /** Watches `t`'s type: a change is pushed at once, or after the response awaiting its ACK. */
  protected watchType(t: T): void {
    t.cancel = this.ctx.watcher.watch(this.key!, t.typeUrl, (_resources, changedAt) => {
      try {
        if (t.outstanding) t.deferredChangeAt ??= changedAt;
        else this.respond(t, 'push', changedAt);
      } catch (err) {
        this.failed(err);
      }
    });
  }

  /** The outstanding response of `t` was ACKed; the client now runs `version`. */
  protected acked(t: T, version: string): void {
    const o = t.outstanding!;
    const latencyMs = o.changedAt === undefined ? undefined : performance.now() - o.changedAt;
    if (latencyMs !== undefined) this.ctx.metrics.pushLatencyMs.observe(latencyMs);
    this.ctx.metrics.acks++;
    t.ackedVersion = version;
    if (this.hooked('onAck')) this.callHook('onAck', this, { typeUrl: t.typeUrl, nonce: o.nonce, version, resources: o.resources, latencyMs });
  }

  /** The outstanding response of `t` was NACKed: counted, recorded, and given to onNack. */
  protected nacked(t: T, detail: { code?: number; message?: string } | null | undefined, keptVersion: string): void {
    const o = t.outstanding!;
    if (o.changedAt !== undefined) this.ctx.metrics.pushLatencyMs.observe(performance.now() - o.changedAt);
    this.ctx.metrics.nacks++;
    const record: NackRecord = {
      time: new Date().toISOString(),
      streamId: this.id,
      nodeId: this.node!.id,
      key: this.key!,
      typeUrl: t.typeUrl,
      nonce: o.nonce,
      rejectedVersion: o.version,
      keptVersion,
      resources: o.resources.map((r) => ({ name: r.name, version: r.version })), // kept and served as JSON: no bodies
      code: detail?.code ?? 0,
      message: detail?.message ?? '',
    };
    t.lastNack = record;
    this.ctx.recordNack(record);
    this.callHook('onNack', this, record);
  }

  /** The nonce to send `response` with: its own, if this stream never sent one as high, else a
   * fresh one (sendResponse then appends it). Nonces on a stream only grow. */
  protected nonceFor(response: SharedResponse): string {
    if (response.sequence > this.lastNonce) {
      this.lastNonce = response.sequence;
      return response.nonce;
    }
    const [n, nonce] = nextNonce();
    this.lastNonce = n;
    return nonce;
  }

  /** Sends `response` for `t` with the nonce `outstanding` holds (from nonceFor); `t` then
   * awaits its ACK. Counted as a response, a push if it is one, and its resources. */
  protected sendResponse(t: T, response: SharedResponse, outstanding: NonNullable<T['outstanding']>): void {
    t.sentVersion = outstanding.version;
    t.nonce = outstanding.nonce;
    t.outstanding = outstanding;
    const m = this.ctx.metrics;
    m.responses++;
    if (outstanding.cause === 'push') m.pushes++;
    m.resourcesSent += outstanding.resources.length;
    this.send(outstanding.nonce === response.nonce ? response.bytes : withNonce(response.body, outstanding.nonce));
  }

  protected send(message: Buffer): void {
    if (!this.ended) this.transport.send(message);
  }

  /** Whether a hook was given (so its event is worth building). */
  protected hooked(name: keyof XdsHooks): boolean {
    return this.ctx.hooksGiven.has(name);
  }

  /** Calls a hook; a throw becomes a HookError, which failed() turns into INTERNAL. */
  protected callHook<K extends keyof XdsHooks>(name: K, ...args: Parameters<Required<XdsHooks>[K]>): void {
    try {
      (this.ctx.hooks[name] as (...a: unknown[]) => void)(...args);
    } catch (err) {
      this.ctx.metrics.hookErrors++;
      throw new HookError(name, err);
    }
  }

  /** Ends the stream with INTERNAL for something its work threw (stream work is wrapped in
   * try/catch, not in a closure, since it runs per request and per push). */
  protected failed(err: unknown): void {
    this.fail('INTERNAL', err instanceof Error ? err.message : String(err));
  }

  private start(node: NodeMsg | null | undefined): boolean {
    if (!node || !node.id) {
      this.invalid('node: the first request on a stream must carry the node, with an id');
      return false;
    }
    const info = nodeInfo(node);
    let key: string;
    try {
      key = this.ctx.nodeKey(info);
    } catch (err) {
      this.invalid(`node ${JSON.stringify(info.id)}: ${(err as Error).message}`);
      return false;
    }
    this.node = info;
    this.key = key;
    const verdict = this.ctx.authorize({ peer: this.peer, node: info, key });
    if (!verdict.allowed) {
      this.ctx.metrics.denied++;
      try {
        this.ctx.hooks.onDenied(this, { peer: this.peer, node: info, key, reason: verdict.reason });
      } catch {
        this.ctx.metrics.hookErrors++;
      }
      this.fail('PERMISSION_DENIED', verdict.reason);
      return false;
    }
    return true;
  }

  private invalid(message: string): void {
    this.ctx.metrics.invalidRequests++;
    this.fail('INVALID_ARGUMENT', message);
  }

  private fail(code: StreamErrorCode, message: string): void {
    if (this.ended) return;
    this.transport.fail(code, message);
    this.close();
  }
}
