// The part of an xDS client that is the same for SotW and Delta: one gRPC stream at a time to the
// control plane, responses handled one after another (so ACKs go out in order), and when the
// stream fails, a new one after a jittered, capped backoff, on a fresh channel. What was applied
// stays applied while the control plane is away: losing the stream changes nothing but status.
import * as grpc from '@grpc/grpc-js';
import { Backoff, type BackoffOptions } from './backoff.js';

export interface XdsClientTls {
  /** PEM CA bundle the server's certificate must chain to. */
  ca: Buffer | string;
  /** PEM client certificate and key (mTLS: the control plane checks its SPIFFE identity). */
  cert?: Buffer | string;
  key?: Buffer | string;
  /** Name to check the server certificate against, when it is not the host in `server`. */
  serverName?: string;
}

export interface StreamClientOptions {
  /** `host:port` of the control plane's xDS port. */
  server: string;
  tls?: XdsClientTls;
  backoff?: BackoffOptions;
  channelOptions?: grpc.ChannelOptions;
  /** Connection and protocol events, for logs. */
  onEvent?(event: ClientEvent): void;
}

export type ClientEvent =
  | { type: 'connecting'; attempt: number }
  | { type: 'connected' }
  | { type: 'disconnected'; code: number; message: string; retryInMs: number }
  | { type: 'ack'; nonce: string; version: string }
  | { type: 'nack'; nonce: string; reason: string };

export interface ApplyResult {
  ok: boolean;
  reason?: string;
}

export interface ClientStatus {
  /** A stream is open (the server accepted it). */
  connected: boolean;
  /** Streams opened so far; streams lost (each followed by a reconnect). */
  streams: number;
  disconnects: number;
  responses: number;
  acks: number;
  nacks: number;
  /** Why the last stream ended, and the last NACK's reason. */
  lastError: string | undefined;
  lastNack: string | undefined;
  /** Resources applied and held, by name: their version. */
  resources: Record<string, string>;
}

type Call = grpc.ClientDuplexStream<Buffer, Buffer>;

export abstract class StreamClient {
  protected readonly counters = { streams: 0, disconnects: 0, responses: 0, acks: 0, nacks: 0 };
  protected lastError: string | undefined;
  protected lastNack: string | undefined;
  private connected = false;
  private client: grpc.Client | undefined;
  private call: Call | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  private attempt = 0;

  constructor(protected readonly base: StreamClientOptions) {
    this.backoff = new Backoff(base.backoff);
  }

  protected abstract readonly method: string;
  /** The request that opens a stream (node, subscription, what the client already holds). */
  protected abstract firstRequest(): Buffer;
  /** Applies one response; returns the ACK or NACK to send, with its outcome. */
  protected abstract handle(response: Buffer): Promise<{ reply: Buffer; nonce: string; version: string; nack: string | undefined } | undefined>;
  protected abstract held(): Record<string, string>;

  start(): void {
    this.connect();
  }

  /** Stops for good: cancels the stream and closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.call?.cancel();
    this.client?.close();
    await this.queue;
  }

  status(): ClientStatus {
    return {
      connected: this.connected,
      ...this.counters,
      lastError: this.lastError,
      lastNack: this.lastNack,
      resources: this.held(),
    };
  }

  protected emit(event: ClientEvent): void {
    try {
      this.base.onEvent?.(event);
    } catch {
      // a logging hook must not break the client
    }
  }

  private connect(): void {
    if (this.closed) return;
    this.timer = undefined;
    this.emit({ type: 'connecting', attempt: ++this.attempt });
    this.client?.close();
    const client = new grpc.Client(this.base.server, credentials(this.base.tls), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      ...(this.base.tls?.serverName ? { 'grpc.ssl_target_name_override': this.base.tls.serverName } : {}),
      ...this.base.channelOptions,
    });
    this.client = client;
    const call = client.makeBidiStreamRequest<Buffer, Buffer>(this.method, (b: Buffer) => b, (b: Buffer) => b);
    this.call = call;
    let ended = false;
    const up = (): void => {
      if (this.call !== call || this.connected) return;
      this.connected = true;
      this.counters.streams++;
      this.backoff.reset();
      this.emit({ type: 'connected' });
    };
    call.on('metadata', up);
    call.on('data', (response: Buffer) => {
      if (this.call !== call) return;
      up();
      this.counters.responses++;
      this.queue = this.queue.then(() => this.process(call, response));
    });
    call.on('error', () => {}); // the status event below carries it
    call.on('status', (s: grpc.StatusObject) => {
      if (ended) return;
      ended = true;
      this.lost(call, s.code, s.details);
    });
    call.write(this.firstRequest());
  }

  private async process(call: Call, response: Buffer): Promise<void> {
    if (this.call !== call || this.closed) return;
    let outcome;
    try {
      outcome = await this.handle(response);
    } catch (err) {
      this.lastError = `could not handle a response: ${(err as Error).message}`;
      call.cancel();
      return;
    }
    if (!outcome || this.call !== call || this.closed) return;
    call.write(outcome.reply);
    if (outcome.nack === undefined) {
      this.counters.acks++;
      this.emit({ type: 'ack', nonce: outcome.nonce, version: outcome.version });
    } else {
      this.counters.nacks++;
      this.lastNack = outcome.nack;
      this.emit({ type: 'nack', nonce: outcome.nonce, reason: outcome.nack });
    }
  }

  private lost(call: Call, code: number, details: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    if (this.connected) this.counters.disconnects++;
    this.connected = false;
    if (this.closed) return;
    this.lastError = `${grpc.status[code] ?? code}: ${details}`;
    const delay = this.backoff.next();
    this.emit({ type: 'disconnected', code, message: details, retryInMs: Math.round(delay) });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

function credentials(tls: XdsClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const buf = (v: Buffer | string | undefined): Buffer | null => (v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v);
  return grpc.credentials.createSsl(buf(tls.ca), buf(tls.key), buf(tls.cert));
}
