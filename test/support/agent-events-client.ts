// A host agent's side of meshward.v1.AgentEvents/Stream, for tests (the agent is not built yet):
// sends batches of JSON events, waits for each ack by sequence, and collects capture requests.
import * as grpc from '@grpc/grpc-js';
import { loadEventsPackage } from '../../control-plane/src/events/ingest-grpc.js';

export interface Ack {
  sequence: string;
  status: 'STORED' | 'RETRY' | 'UNAUTHENTICATED' | 'MALFORMED';
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; id: string; code: string; field: string; rule: string; message: string }>;
  retry_after_ms: number;
  message: string;
}

export interface CaptureRequestMsg {
  id: string;
  namespace: string;
  workload: string;
  pods: string[];
  duration_seconds: number;
  reason: string;
  incident: string;
}

type Call = grpc.ClientDuplexStream<unknown, { ack?: Ack; capture?: CaptureRequestMsg }>;

export class AgentEventsClient {
  readonly captures: CaptureRequestMsg[] = [];
  private readonly client: grpc.Client;
  private readonly call: Call;
  private seq = 0;
  private readonly waiting = new Map<string, (a: Ack) => void>();
  private captureWaiters: Array<() => void> = [];
  readonly ended: Promise<grpc.StatusObject>;

  constructor(address: string, node: string, token: string) {
    const pkg = loadEventsPackage() as unknown as { meshward: { v1: { AgentEvents: grpc.ServiceClientConstructor } } };
    this.client = new pkg.meshward.v1.AgentEvents(address, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    md.set('x-meshward-node', node);
    this.call = (this.client as unknown as { Stream(md: grpc.Metadata): Call }).Stream(md);
    this.call.on('data', (m) => {
      if (m.ack) this.waiting.get(String(m.ack.sequence))?.(m.ack);
      if (m.capture) {
        this.captures.push(m.capture);
        for (const w of this.captureWaiters.splice(0)) w();
      }
    });
    this.ended = new Promise((resolve) => {
      this.call.on('status', resolve);
      this.call.on('error', () => {});
    });
  }

  send(events: unknown[], dropped = 0): Promise<Ack> {
    const sequence = String(++this.seq);
    const acked = new Promise<Ack>((resolve) => this.waiting.set(sequence, resolve));
    this.call.write({ batch: { sequence, dropped, events: events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) } });
    return acked;
  }

  async waitForCapture(timeoutMs = 5000): Promise<CaptureRequestMsg> {
    const deadline = Date.now() + timeoutMs;
    while (this.captures.length === 0) {
      if (Date.now() > deadline) throw new Error('no capture request arrived');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.captureWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.captures[0];
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}
