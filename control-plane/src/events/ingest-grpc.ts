// The host agents' event stream: `meshward.v1.AgentEvents/Stream` (control-plane/proto/meshward/
// v1/events.proto) on its own gRPC port. Each stream is one agent (node); its batches go through
// the same EventIngest as the filters' posts and are acked one by one, in order: the stream reads
// the next batch only after answering the previous one, so an agent can never have more than one
// batch per stream waiting here. Capture requests from response rules are pushed down the streams
// of the agents on the workload's nodes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { EventIngest } from './ingest.js';
import type { IngestAuth } from './ingest-auth.js';

export const EVENTS_PROTO = [new URL('../../../..', import.meta.url), new URL('../../..', import.meta.url)]
  .map((base) => join(fileURLToPath(base), 'control-plane', 'proto', 'meshward', 'v1', 'events.proto'))
  .find((p) => existsSync(p)) ?? 'control-plane/proto/meshward/v1/events.proto';

export interface CaptureRequest {
  id: string;
  namespace: string;
  workload: string;
  pods: string[];
  durationSeconds: number;
  filter: string;
  reason: string;
  incident: string;
}

export interface CaptureResult {
  id: string;
  ok: boolean;
  message: string;
  location: string;
  node: string;
  packets: string;
  bytes: string;
  truncated: boolean;
}

export interface CaptureChunk {
  id: string;
  offset: string;
  data: Buffer;
  node: string;
}

export interface AgentStreamStats {
  streamsActive: number;
  streamsOpened: number;
  streamsUnauthenticated: number;
  batches: number;
  capturesSent: number;
  /** Capture requests no connected agent could take. */
  capturesUndelivered: number;
  captureResults: number;
}

interface WireAck {
  sequence: string | number;
  status: 'STORED' | 'RETRY' | 'UNAUTHENTICATED' | 'MALFORMED';
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; id: string; code: string; field: string; rule: string; message: string }>;
  retry_after_ms: number;
  message: string;
}

interface WireAgentMessage {
  batch?: { sequence: string; dropped: string; events: string[] };
  capture_result?: Omit<CaptureResult, 'node'>;
  capture_chunk?: Omit<CaptureChunk, 'node'>;
}

type Stream = grpc.ServerDuplexStream<WireAgentMessage, { ack?: WireAck; capture?: Record<string, unknown> }>;

export function loadEventsPackage(): grpc.GrpcObject {
  const def = protoLoader.loadSync(EVENTS_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  return grpc.loadPackageDefinition(def);
}

export interface AgentEventsServerOptions {
  ingest: EventIngest;
  auth: IngestAuth;
  /** `ns/name` of the workloads with a pod on `node` (the inventory). */
  workloadsOnNode(node: string): ReadonlySet<string>;
  /** Nodes running a workload's pods. */
  nodesOf(namespace: string, workload: string): string[];
  host: string;
  port: number;
  /** Largest message (default 16 MiB). */
  maxMessageBytes?: number;
  onCaptureResult?(r: CaptureResult): void;
  onCaptureChunk?(c: CaptureChunk): void;
}

export class AgentEventsServer {
  private readonly server: grpc.Server;
  private readonly streams = new Map<Stream, string>();
  private readonly counters = { streamsOpened: 0, streamsUnauthenticated: 0, batches: 0, capturesSent: 0, capturesUndelivered: 0, captureResults: 0 };
  private boundPort = 0;

  private constructor(private readonly o: AgentEventsServerOptions) {
    const max = o.maxMessageBytes ?? 16 * 1024 * 1024;
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': max, 'grpc.keepalive_permit_without_calls': 1 });
    const pkg = loadEventsPackage() as unknown as { meshward: { v1: { AgentEvents: { service: grpc.ServiceDefinition } } } };
    this.server.addService(pkg.meshward.v1.AgentEvents.service, { Stream: (call: Stream) => this.serve(call) });
  }

  static async start(o: AgentEventsServerOptions): Promise<AgentEventsServer> {
    const s = new AgentEventsServer(o);
    s.boundPort = await new Promise<number>((resolve, reject) => {
      s.server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
    return s;
  }

  get address(): string {
    return `${this.o.host}:${this.boundPort}`;
  }

  stats(): AgentStreamStats {
    return { streamsActive: this.streams.size, ...this.counters };
  }

  /** Sends a capture request to the agents of the workload's nodes; false when none is connected. */
  requestCapture(req: CaptureRequest): boolean {
    const nodes = new Set(this.o.nodesOf(req.namespace, req.workload));
    let sent = false;
    for (const [stream, node] of this.streams) {
      if (!nodes.has(node)) continue;
      stream.write({ capture: { id: req.id, namespace: req.namespace, workload: req.workload, pods: req.pods, duration_seconds: req.durationSeconds, filter: req.filter, reason: req.reason, incident: req.incident } });
      sent = true;
    }
    if (sent) this.counters.capturesSent++;
    else this.counters.capturesUndelivered++;
    return sent;
  }

  private serve(call: Stream): void {
    const md = call.metadata;
    const node = String(md.get('x-meshward-node')[0] ?? '');
    const authorization = String(md.get('authorization')[0] ?? '') || undefined;
    const principal = node ? this.o.auth.authenticate(authorization, { node }) : undefined;
    if (!principal) {
      this.counters.streamsUnauthenticated++;
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: node ? `no valid token for node ${node}` : 'metadata x-meshward-node is required' });
      return;
    }
    this.counters.streamsOpened++;
    this.streams.set(call, node);
    const done = () => this.streams.delete(call);
    call.on('end', () => {
      done();
      call.end();
    });
    call.on('error', done);
    call.on('cancelled', done);
    call.on('data', (m: WireAgentMessage) => {
      if (m.capture_chunk) {
        this.o.onCaptureChunk?.({ ...m.capture_chunk, node });
        return;
      }
      if (m.capture_result) {
        this.counters.captureResults++;
        this.o.onCaptureResult?.({ ...m.capture_result, node });
        return;
      }
      if (!m.batch) return;
      const batch = m.batch;
      this.counters.batches++;
      call.pause(); // one batch at a time per agent: the ack is the flow control
      void this.handleBatch(batch, principal, node).then((ack) => {
        call.write({ ack });
        call.resume();
      });
    });
  }

  private async handleBatch(batch: NonNullable<WireAgentMessage['batch']>, principal: NonNullable<ReturnType<IngestAuth['authenticate']>>, node: string): Promise<WireAck> {
    const base = { sequence: batch.sequence, accepted: 0, duplicates: 0, rejected: [], retry_after_ms: 0, message: '' };
    const events: unknown[] = [];
    const unparsable: WireAck['rejected'] = [];
    batch.events.forEach((text, index) => {
      try {
        events.push(JSON.parse(text));
      } catch (err) {
        // Keeps the indexes of the batch: a placeholder the validator rejects, message replaced.
        events.push(null);
        unparsable.push({ index, id: '', code: 'EVENT_INVALID', field: '', rule: 'type', message: `not JSON: ${(err as Error).message}` });
      }
    });
    if (events.length > this.o.ingest.maxBatchEvents) return { ...base, status: 'MALFORMED', message: `${events.length} events in one batch, at most ${this.o.ingest.maxBatchEvents}` };
    const r = await this.o.ingest.submit({ events, principal, origin: 'agent', dropped: Number(batch.dropped), nodeWorkloads: this.o.workloadsOnNode(node) });
    const rejected = r.rejected.map((x) => unparsable.find((u) => u.index === x.index) ?? { index: x.index, id: x.id ?? '', code: x.code, field: x.field, rule: x.rule, message: x.message });
    if (r.status === 'retry') return { ...base, status: 'RETRY', rejected, retry_after_ms: r.retryAfterMs, message: r.reason };
    return { ...base, status: 'STORED', accepted: r.accepted, duplicates: r.duplicates, rejected };
  }

  async close(): Promise<void> {
    for (const s of this.streams.keys()) s.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
