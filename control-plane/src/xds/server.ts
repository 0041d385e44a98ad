// The xDS server: AggregatedDiscoveryService (SotW and Delta) and the standalone
// ExtensionConfigDiscoveryService (SotW and Delta) on @grpc/grpc-js, optionally with mTLS. It
// knows streams, nonces, ACK and NACK (stream-sotw.ts, stream-delta.ts), and reaches resources
// only through a ConfigWatcher; it never opens a resource.
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { discoveryCodecs, METHOD, type MessageCodec } from './discovery-codec.js';
import { XdsError } from './errors.js';
import { hooksGiven, withDefaults, type NackRecord, type PeerInfo, type XdsHooks } from './hooks.js';
import { XdsMetrics, type XdsMetricsSnapshot } from './metrics.js';
import { nodeInfo, type NodeInfo } from './node.js';
import type { DiscoveryRequestMsg } from './messages.js';
import { setVersion } from './resource.js';
import { DeltaStream } from './stream-delta.js';
import { SotwStream } from './stream-sotw.js';
import type { AuthorizeRequest, AuthorizeResult, StreamContext, StreamErrorCode, StreamStatus, StreamTransport, XdsStream } from './stream.js';
import { envoyTypeTraits, TYPE_URL, type TypeTraits } from './type-urls.js';
import type { ConfigWatcher } from './watch.js';

export interface XdsServerTls {
  /** PEM server certificate chain and key. */
  cert: Buffer | string;
  key: Buffer | string;
  /** PEM CA bundle: when given, clients must present a certificate it signed (mTLS), and the
   * certificate's URI SANs become the stream's identity for `authorize`. */
  clientCa?: Buffer | string;
}

export interface XdsServerOptions {
  watcher: ConfigWatcher;
  /** Default 127.0.0.1 and 0 (any free port; see `port`). */
  host?: string;
  port?: number;
  tls?: XdsServerTls;
  /** Node → snapshot key. Default: the node id. Meshward's is meshwardNodeKey() (node-key.ts). */
  nodeKey?: (node: NodeInfo) => string;
  /** Checked once per stream, on its first request. Default: allow. identityAuthorizer() checks
   * the client certificate against the workload (authorize.ts). */
  authorize?: (request: AuthorizeRequest) => AuthorizeResult;
  hooks?: XdsHooks;
  /** Type-dependent protocol rules. Default envoyTypeTraits (Listener, Cluster). */
  typeTraits?: (typeUrl: string) => TypeTraits;
  /** DiscoveryResponse.control_plane.identifier. Default `meshward@<host>#<pid>`. */
  controlPlaneId?: string;
  /** NACK records kept for nacks() (oldest dropped first, counted). Default 256. */
  nackLogSize?: number;
  /** Passed to grpc.Server. */
  grpcOptions?: grpc.ServerOptions;
}

const STATUS: Record<StreamErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  INTERNAL: grpc.status.INTERNAL,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
};

export class XdsServer {
  readonly host: string;
  private readonly grpcServer: grpc.Server;
  private readonly streamSet = new Set<XdsStream>();
  private readonly nackLog: NackRecord[] = [];
  private readonly metricsState = new XdsMetrics();
  private readonly ctx: StreamContext;
  private boundPort = 0;
  private closing: Promise<void> | undefined;
  /** Connections are accepted here and handed to gRPC, so that the server holds them and can
   * drop them (kill, a forced close) without channelz (see the constructor). */
  private netServer: NetServer | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly options: XdsServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    const nackLogSize = options.nackLogSize ?? 256;
    if (!Number.isInteger(nackLogSize) || nackLogSize < 1) throw new XdsError('XDS_OPTIONS_INVALID', `nackLogSize: ${nackLogSize} must be a positive integer`);
    const codecs = discoveryCodecs();
    this.ctx = {
      watcher: options.watcher,
      metrics: this.metricsState,
      hooks: withDefaults(options.hooks),
      hooksGiven: hooksGiven(options.hooks),
      traits: options.typeTraits ?? envoyTypeTraits,
      nodeKey: options.nodeKey ?? ((node) => node.id),
      authorize: options.authorize ?? (() => ({ allowed: true })),
      recordNack: (record) => {
        this.nackLog.push(record);
        if (this.nackLog.length > nackLogSize) {
          this.nackLog.shift();
          this.metricsState.nackLogOverflow++;
        }
      },
      encode: { sotw: codecs.response.encode, delta: codecs.deltaResponse.encode },
      controlPlaneId: options.controlPlaneId ?? `meshward@${hostname()}#${process.pid}`,
      closed: (stream) => this.streamSet.delete(stream),
    };
    // Channelz is off: nothing here reads it, and it cost about 1 KB of heap per idle stream
    // (11.4 → 10.4 KB at 5,000 streams). grpc-js 1.14's forceShutdown() finds sessions only
    // through channelz, so the server accepts connections itself (listen()) and drops them itself.
    this.grpcServer = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.enable_channelz': 0, ...options.grpcOptions });
    const sotw = (service: 'ads' | 'ecds', implied?: string): grpc.handleBidiStreamingCall<unknown, Buffer> => (call) =>
      this.accept(call, (t) => new SotwStream(this.ctx, t, service, implied));
    const delta = (service: 'ads' | 'ecds', implied?: string): grpc.handleBidiStreamingCall<unknown, Buffer> => (call) =>
      this.accept(call, (t) => new DeltaStream(this.ctx, t, service, implied));
    this.grpcServer.addService(
      {
        StreamAggregatedResources: bidi(METHOD.adsSotw, codecs.request),
        DeltaAggregatedResources: bidi(METHOD.adsDelta, codecs.deltaRequest),
      },
      { StreamAggregatedResources: sotw('ads'), DeltaAggregatedResources: delta('ads') },
    );
    this.grpcServer.addService(
      {
        StreamExtensionConfigs: bidi(METHOD.ecdsSotw, codecs.request),
        DeltaExtensionConfigs: bidi(METHOD.ecdsDelta, codecs.deltaRequest),
        FetchExtensionConfigs: unary(METHOD.ecdsFetch, codecs.request),
      },
      {
        StreamExtensionConfigs: sotw('ecds', TYPE_URL.extensionConfig),
        DeltaExtensionConfigs: delta('ecds', TYPE_URL.extensionConfig),
        FetchExtensionConfigs: (call: grpc.ServerUnaryCall<DiscoveryRequestMsg, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
          const r = this.fetch(call.request, peerInfo(call));
          if ('code' in r) done({ code: STATUS[r.code], details: r.message });
          else done(null, r.body);
        },
      },
    );
  }

  /** Starts a server and resolves once it listens. */
  static async start(options: XdsServerOptions): Promise<XdsServer> {
    const server = new XdsServer(options);
    await server.listen();
    return server;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  metrics(): XdsMetricsSnapshot {
    return this.metricsState.snapshot();
  }

  /** Every open stream, with its per-type subscription, versions and last NACK. */
  streams(): StreamStatus[] {
    return [...this.streamSet].map((s) => s.status());
  }

  /** Recent NACKs, oldest first (bounded by nackLogSize). */
  nacks(): NackRecord[] {
    return [...this.nackLog];
  }

  /**
   * Ends every stream with UNAVAILABLE (clients reconnect elsewhere), stops listening, and
   * resolves when connections have closed (forcing them after `graceMs`, default 1000).
   */
  close(graceMs = 1000): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const s of [...this.streamSet]) s.shutdown();
      this.netServer?.close();
      const timer = setTimeout(() => this.dropConnections(), graceMs);
      timer.unref();
      this.grpcServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.closing;
  }

  /** Drops every connection at once, as a crash would (tests of reconnects). */
  kill(): void {
    for (const s of [...this.streamSet]) s.close();
    this.netServer?.close();
    this.dropConnections();
  }

  private dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.grpcServer.forceShutdown();
  }

  private listen(): Promise<void> {
    const credentials = this.options.tls
      ? grpc.ServerCredentials.createSsl(
          this.options.tls.clientCa ? toBuffer(this.options.tls.clientCa) : null,
          [{ cert_chain: toBuffer(this.options.tls.cert), private_key: toBuffer(this.options.tls.key) }],
          this.options.tls.clientCa !== undefined,
        )
      : grpc.ServerCredentials.createInsecure();
    // gRPC (and TLS, with credentials) runs over connections this server accepts: it holds
    // every socket, which is what kill() and a forced close() drop.
    const injector = this.grpcServer.createConnectionInjector(credentials);
    const sockets = this.sockets;
    // One listener for every socket ('close' comes once; `on` adds no wrapper per socket).
    function forget(this: Socket): void {
      sockets.delete(this);
    }
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', forget);
      injector.injectConnection(socket);
    });
    this.netServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.options.port ?? 0 }, () => {
        server.off('error', reject);
        // Accept errors once listening (EMFILE...) refuse that connection; the server goes on.
        server.on('error', () => {});
        this.boundPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /**
   * FetchExtensionConfigs: one DiscoveryRequest, one answer with the current resources (named
   * ones, or all of the node's), with the node checked and authorized as a stream's first
   * request is. Polling has no ACK: a client whose version_info is current still gets the
   * resources (Envoy's REST poll would get 304; gRPC has no such answer).
   */
  private fetch(req: DiscoveryRequestMsg, peer: PeerInfo): { body: Buffer } | { code: StreamErrorCode; message: string } {
    const invalid = (message: string) => {
      this.metricsState.invalidRequests++;
      return { code: 'INVALID_ARGUMENT' as const, message };
    };
    if (!req.node?.id) return invalid('node: a fetch must carry the node, with an id');
    const typeUrl = req.type_url || TYPE_URL.extensionConfig;
    if (typeUrl !== TYPE_URL.extensionConfig) return invalid(`type_url ${typeUrl} is not served by ExtensionConfigDiscoveryService`);
    const node = nodeInfo(req.node);
    let key: string;
    try {
      key = this.ctx.nodeKey(node);
    } catch (err) {
      return invalid(`node ${JSON.stringify(node.id)}: ${(err as Error).message}`);
    }
    const verdict = this.ctx.authorize({ peer, node, key });
    if (!verdict.allowed) {
      this.metricsState.denied++;
      return { code: 'PERMISSION_DENIED', message: verdict.reason };
    }
    const view = this.ctx.watcher.fetch(key, typeUrl);
    if (!view) return { code: 'UNAVAILABLE', message: `no configuration for node ${node.id} yet` };
    const names = req.resource_names ?? [];
    const resources = names.length === 0 ? [...view.resources.values()] : names.flatMap((n) => view.resources.get(n) ?? []);
    this.metricsState.requests++;
    this.metricsState.fetches++;
    this.metricsState.responses++;
    this.metricsState.resourcesSent += resources.length;
    return {
      body: this.ctx.encode.sotw({
        version_info: names.length === 0 ? view.version : setVersion(resources),
        resources: resources.map((r) => ({ type_url: typeUrl, value: r.body })),
        type_url: typeUrl,
        nonce: '',
        control_plane: { identifier: this.ctx.controlPlaneId },
      }),
    };
  }

  private accept(call: grpc.ServerDuplexStream<unknown, Buffer>, make: (transport: StreamTransport) => XdsStream<never>): void {
    if (this.closing) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the control plane is shutting down' });
      return;
    }
    const transport = new CallTransport(call, peerInfo(call));
    const stream = make(transport);
    transport.stream = stream;
    transports.set(call, transport);
    this.streamSet.add(stream as XdsStream);
    // Headers at once: the client knows its stream was accepted even before any response (a
    // Delta reconnect that holds everything gets none).
    call.sendMetadata(new grpc.Metadata());
    stream.open();
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('cancelled', onGone);
    call.on('close', onGone);
    call.on('error', onError);
  }
}

/** A stream's gRPC side. */
class CallTransport implements StreamTransport {
  ended = false;
  stream: XdsStream<never> | undefined;

  constructor(
    readonly call: grpc.ServerDuplexStream<unknown, Buffer>,
    readonly peer: PeerInfo,
  ) {}

  send(message: Buffer): void {
    if (!this.ended) this.call.write(message);
  }

  fail(code: StreamErrorCode, message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit('error', { code: STATUS[code], details: message });
  }
}

// The call's listeners are shared by every call (an emitter calls them with itself as `this`),
// rather than closures per stream: at 10,000 idle streams, closures were a part of the memory
// each stream costs above a bare grpc-js stream.
const transports = new WeakMap<object, CallTransport>();

function onData(this: object, request: unknown): void {
  transports.get(this)?.stream?.receive(request as never);
}

function onEnd(this: object): void {
  const t = transports.get(this);
  if (!t) return;
  t.stream?.close();
  if (!t.ended) {
    t.ended = true;
    t.call.end();
  }
}

function onGone(this: object): void {
  const t = transports.get(this);
  if (!t) return;
  t.ended = true;
  t.stream?.close();
}

function onError(this: object): void {
  transports.get(this)?.stream?.close();
}

/** Requests are decoded here; responses arrive encoded from the streams. */
function bidi<Req>(path: string, req: MessageCodec<Req>): grpc.MethodDefinition<Req, Buffer> {
  const raw = (b: Buffer): Buffer => b;
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: req.encode,
    requestDeserialize: req.decode,
    responseSerialize: raw,
    responseDeserialize: raw,
  };
}

/** A unary method: the request decoded here, the response already encoded. */
function unary<Req>(path: string, req: MessageCodec<Req>): grpc.MethodDefinition<Req, Buffer> {
  return { ...bidi(path, req), requestStream: false, responseStream: false };
}

function peerInfo(call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>): PeerInfo {
  const auth = call.getAuthContext();
  const cert = auth?.sslPeerCertificate;
  const san = cert && typeof cert.subjectaltname === 'string' ? cert.subjectaltname : '';
  const uriSans = san
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
  const authenticated = auth?.transportSecurityType === 'ssl' && cert !== undefined && cert.raw !== undefined;
  return { address: call.getPeer(), uriSans, authenticated };
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}
