// Events to the control plane over its agent stream (`meshward.v1.AgentEvents/Stream`,
// control-plane/proto/meshward/v1/events.proto): batches in order, one in flight, each kept
// until its ack says STORED (rejected ones are not resent: they would be rejected again); RETRY
// resends after the delay asked; a broken stream reconnects with backoff and resends the batch
// in flight. Bounded: past `queueLimit` events are dropped, counted, and reported as `dropped`
// in the next batch. Capture requests on the stream go to the capture handler (the agent's
// CaptureService); the pcap file comes back in order as capture_chunk messages, then the result.
// Without a handler they are answered as not supported.
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { CaptureOutcome } from '../capture/capture-service.js';
import type { AgentEvent } from './agent-event.js';
import type { EventSink } from './event-sink.js';

const EVENTS_PROTO = [new URL('../../../..', import.meta.url), new URL('../../..', import.meta.url)]
  .map((base) => join(fileURLToPath(base), 'control-plane', 'proto', 'meshward', 'v1', 'events.proto'))
  .find((p) => existsSync(p));

export interface GrpcEventSinkOptions {
  /** HOST:PORT of the control plane's agent-events port. */
  server: string;
  node: string;
  token: string;
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  batchSize?: number;
  flushIntervalMs?: number;
  queueLimit?: number;
  onError?(message: string): void;
}

interface Ack {
  sequence: string;
  status: 'STORED' | 'RETRY' | 'UNAUTHENTICATED' | 'MALFORMED';
  accepted: number;
  retry_after_ms: number;
  message: string;
}

/** A capture request as the control plane sends it. */
export interface WireCaptureRequest {
  id: string;
  namespace: string;
  workload: string;
  pods: string[];
  duration_seconds: number;
  filter: string;
  reason: string;
  incident: string;
}

/** What the capture handler reports; `file` is read back and uploaded when set. */
export type CaptureReply = Omit<CaptureOutcome, 'id'>;

export type CaptureHandler = (request: WireCaptureRequest) => Promise<CaptureReply>;

interface ControlMessage {
  ack?: Ack;
  capture?: WireCaptureRequest;
}

const CHUNK_BYTES = 256 * 1024;

type Duplex = grpc.ClientDuplexStream<Record<string, unknown>, ControlMessage>;

export class GrpcEventSink implements EventSink {
  private queue: string[] = [];
  private inFlight: { sequence: number; events: string[]; dropped: number } | undefined;
  private sequence = 0;
  private dropped = 0;
  private readonly counters = { sent: 0, batches: 0, retries: 0, reconnects: 0, capturesAnswered: 0, captureUploadsFailed: 0 };
  private captureHandler: CaptureHandler | undefined;
  private client: grpc.Client | undefined;
  private stream: Duplex | undefined;
  private timer: NodeJS.Timeout;
  private reconnectAt = 0;
  private backoffMs = 500;
  private closed = false;
  private flushWaiters: Array<() => void> = [];
  private readonly o: Required<Pick<GrpcEventSinkOptions, 'batchSize' | 'flushIntervalMs' | 'queueLimit'>> & GrpcEventSinkOptions;

  constructor(options: GrpcEventSinkOptions) {
    if (!EVENTS_PROTO) throw new Error('events.proto not found (control-plane/proto/meshward/v1)');
    this.o = { batchSize: 500, flushIntervalMs: 1000, queueLimit: 50_000, ...options };
    this.timer = setInterval(() => this.pump(), this.o.flushIntervalMs);
    this.timer.unref();
  }

  emit(event: AgentEvent): void {
    if (this.queue.length >= this.o.queueLimit) {
      this.dropped++;
      return;
    }
    this.queue.push(JSON.stringify(event));
    if (this.queue.length >= this.o.batchSize) this.pump();
  }

  /** Who runs capture requests (the agent's CaptureService); unset, they are refused. */
  onCapture(handler: CaptureHandler): void {
    this.captureHandler = handler;
  }

  stats(): { queued: number; dropped: number; sent: number; batches: number; retries: number; reconnects: number; capturesAnswered: number; captureUploadsFailed: number } {
    return { queued: this.queue.length + (this.inFlight?.events.length ?? 0), dropped: this.dropped, ...this.counters };
  }

  /** Resolves when everything queued now has been acknowledged (or the sink closed). */
  flush(timeoutMs = 5000): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    this.pump();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.flushWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearInterval(this.timer);
    this.stream?.end();
    this.client?.close();
  }

  private connect(): Duplex | undefined {
    if (this.stream) return this.stream;
    if (Date.now() < this.reconnectAt) return undefined;
    const def = protoLoader.loadSync(EVENTS_PROTO!, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { meshward: { v1: { AgentEvents: grpc.ServiceClientConstructor } } };
    const creds = this.o.tls ? grpc.credentials.createSsl(this.o.tls.ca, this.o.tls.key ?? null, this.o.tls.cert ?? null) : grpc.credentials.createInsecure();
    this.client ??= new pkg.meshward.v1.AgentEvents(this.o.server, creds);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${this.o.token}`);
    md.set('x-meshward-node', this.o.node);
    const stream = (this.client as unknown as { Stream(md: grpc.Metadata): Duplex }).Stream(md);
    stream.on('data', (m: ControlMessage) => this.onMessage(m));
    const broken = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.counters.reconnects++;
      this.reconnectAt = Date.now() + this.backoffMs;
      this.backoffMs = Math.min(30_000, this.backoffMs * 2);
      if (!this.closed) this.o.onError?.(`events stream to ${this.o.server}: ${why}`);
      // The batch in flight goes again on the next stream (sentOn no longer matches).
      this.sentOn = undefined;
    };
    stream.on('error', (err: Error) => broken(err.message));
    stream.on('end', () => broken('closed by the control plane'));
    this.stream = stream;
    return stream;
  }

  /** The stream the batch in flight was written to (undefined: write it again). */
  private sentOn: Duplex | undefined;

  private pump(): void {
    if (this.closed) return;
    if (!this.inFlight) {
      if (this.queue.length === 0) {
        // Idle, the stream stays open: the control plane sends capture requests down it.
        this.connect();
        return this.notifyFlushed();
      }
      const events = this.queue.splice(0, this.o.batchSize);
      this.inFlight = { sequence: ++this.sequence, events, dropped: this.dropped };
    }
    const stream = this.connect();
    if (!stream || this.sentOn === stream) return;
    this.sentOn = stream;
    stream.write({ batch: { sequence: String(this.inFlight.sequence), dropped: String(this.inFlight.dropped), events: this.inFlight.events } });
  }

  private onMessage(m: ControlMessage): void {
    if (m.capture) {
      void this.answerCapture(m.capture);
      return;
    }
    const ack = m.ack;
    if (!ack || !this.inFlight || Number(ack.sequence) !== this.inFlight.sequence) return;
    if (ack.status === 'STORED' || ack.status === 'MALFORMED') {
      if (ack.status === 'MALFORMED') this.o.onError?.(`events: batch refused as malformed: ${ack.message}`);
      this.counters.sent += this.inFlight.events.length;
      this.counters.batches++;
      this.dropped -= this.inFlight.dropped;
      this.inFlight = undefined;
      this.sentOn = undefined;
      this.backoffMs = 500;
      this.pump();
      return;
    }
    this.counters.retries++;
    this.sentOn = undefined;
    if (ack.status === 'UNAUTHENTICATED') this.o.onError?.(`events: the control plane refused the node token (${ack.message})`);
    setTimeout(() => this.pump(), ack.retry_after_ms || 1000).unref();
  }

  private async answerCapture(req: WireCaptureRequest): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    const reply: CaptureReply = this.captureHandler
      ? await this.captureHandler(req).catch((err: Error) => ({ ok: false, message: `capture failed: ${err.message}`, file: '', packets: 0, bytes: 0, truncated: false }))
      : { ok: false, message: 'packet capture on request is turned off on this agent', file: '', packets: 0, bytes: 0, truncated: false };
    try {
      if (reply.ok && reply.file) await this.upload(stream, req.id, reply.file);
      if (this.stream !== stream) throw new Error('the stream broke during the upload');
      stream.write({ capture_result: { id: req.id, ok: reply.ok, message: reply.message, location: reply.file ? `${this.o.node}:${reply.file}` : '', packets: String(reply.packets), bytes: String(reply.bytes), truncated: reply.truncated } });
      this.counters.capturesAnswered++;
    } catch (err) {
      this.counters.captureUploadsFailed++;
      this.o.onError?.(`capture ${req.id}: not delivered to the control plane (${(err as Error).message}); it stays in ${reply.file || 'nowhere'}`);
    }
  }

  /** The file as capture_chunk messages, waiting for the stream to drain between them. */
  private async upload(stream: Duplex, id: string, file: string): Promise<void> {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(CHUNK_BYTES);
      for (let offset = 0; ; ) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, offset);
        if (bytesRead === 0) return;
        if (this.stream !== stream) throw new Error('the stream broke during the upload');
        const more = stream.write({ capture_chunk: { id, offset: String(offset), data: Buffer.from(buf.subarray(0, bytesRead)) } });
        offset += bytesRead;
        if (!more) {
          // Drained, or broken (the next round sees the stream gone).
          await new Promise<void>((resolve) => {
            const done = () => {
              stream.off('drain', done).off('close', done).off('error', done);
              resolve();
            };
            stream.once('drain', done).once('close', done).once('error', done);
          });
        }
      }
    } finally {
      await fh.close();
    }
  }

  private notifyFlushed(): void {
    const w = this.flushWaiters;
    this.flushWaiters = [];
    for (const f of w) f();
  }
}
