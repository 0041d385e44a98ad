// Where the agent's events go. Sinks are the last layer: monitors call emit() and never wait.
//   JsonLinesSink  one JSON object per line (stdout without a control plane)
//   HttpBatchSink  POST /v1/events batches of one workload each, as the filter sends them
//                  ({"schema":1,"workload":{...},"dropped":N,"events":[...]}), bounded queue,
//                  retries with backoff, drops counted and reported in the next batch
//   MemorySink     kept in memory, with waiters (tests)
//   FanoutSink     several at once
import http from 'node:http';
import https from 'node:https';
import type { AgentEvent } from './agent-event.js';

export interface EventSink {
  emit(event: AgentEvent): void;
  /** Sends what is queued; resolves when it is sent or given up. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

export class JsonLinesSink implements EventSink {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}
  emit(event: AgentEvent): void {
    this.write(JSON.stringify(event));
  }
}

export class FanoutSink implements EventSink {
  constructor(private readonly sinks: EventSink[]) {}
  emit(event: AgentEvent): void {
    for (const s of this.sinks) s.emit(event);
  }
  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush?.()));
  }
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close?.()));
  }
}

export class MemorySink implements EventSink {
  readonly events: AgentEvent[] = [];
  private waiters: Array<{ match: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];

  emit(event: AgentEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(event)) return true;
      clearTimeout(w.timer);
      w.resolve(event);
      return false;
    });
  }

  /** The first event (already seen or to come) that matches; rejects after timeoutMs. */
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs = 10_000, what = 'an event'): Promise<AgentEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        const kinds = this.events.slice(-20).map((e) => `${e.kind}:${JSON.stringify(e.evidence).slice(0, 80)}`);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last events: ${kinds.join(' | ') || 'none'}`));
      }, timeoutMs);
      this.waiters.push({ match, resolve, reject, timer });
    });
  }
}

export interface HttpBatchSinkOptions {
  /** Control-plane base URL, e.g. http://meshward:7070. */
  url: string;
  path?: string;
  token?: string;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Events waiting, at most; beyond, dropped and counted. */
  queueLimit?: number;
  timeoutMs?: number;
  onError?(message: string): void;
}

export interface HttpBatchSinkStats {
  queued: number;
  sent: number;
  dropped: number;
  batchesFailed: number;
}

/** Batches per workload, one POST at a time; a failed POST keeps its events at the head of the
 * queue (as far as the limit allows) and waits, doubling up to 30 s. */
export class HttpBatchSink implements EventSink {
  private queue: AgentEvent[] = [];
  private dropped = 0;
  private sent = 0;
  private failed = 0;
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private readonly o: Required<Omit<HttpBatchSinkOptions, 'token' | 'onError'>> & Pick<HttpBatchSinkOptions, 'token' | 'onError'>;

  constructor(options: HttpBatchSinkOptions) {
    this.o = { path: '/v1/events', batchSize: 500, flushIntervalMs: 1000, queueLimit: 50_000, timeoutMs: 10_000, ...options };
    this.timer = setInterval(() => void this.flush(), this.o.flushIntervalMs);
    this.timer.unref();
  }

  emit(event: AgentEvent): void {
    if (this.queue.length >= this.o.queueLimit) {
      this.dropped++;
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= this.o.batchSize && this.backoffMs === 0) void this.flush();
  }

  stats(): HttpBatchSinkStats {
    return { queued: this.queue.length, sent: this.sent, dropped: this.dropped, batchesFailed: this.failed };
  }

  flush(): Promise<void> {
    if (this.sending) return this.sending;
    if (this.queue.length === 0) return Promise.resolve();
    this.sending = this.sendSome().finally(() => (this.sending = undefined));
    return this.sending;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.backoffMs = 0;
    await this.flush();
  }

  private async sendSome(): Promise<void> {
    while (this.queue.length > 0) {
      const first = this.queue[0].workload;
      const key = `${first.namespace}/${first.name}`;
      const batch: AgentEvent[] = [];
      const rest: AgentEvent[] = [];
      for (const e of this.queue) {
        if (batch.length < this.o.batchSize && `${e.workload.namespace}/${e.workload.name}` === key) batch.push(e);
        else rest.push(e);
      }
      this.queue = rest;
      const dropped = this.dropped;
      const body = JSON.stringify({ schema: 1, workload: { namespace: first.namespace, name: first.name }, dropped, events: batch });
      try {
        await this.post(body);
        this.sent += batch.length;
        this.dropped -= dropped;
        this.backoffMs = 0;
      } catch (err) {
        this.failed++;
        this.o.onError?.(`events: POST ${this.o.url}${this.o.path} failed: ${(err as Error).message}`);
        const room = Math.max(0, this.o.queueLimit - this.queue.length);
        const kept = batch.slice(0, room);
        this.dropped += batch.length - kept.length;
        this.queue = [...kept, ...this.queue];
        this.backoffMs = Math.min(30_000, Math.max(500, this.backoffMs * 2));
        await new Promise((r) => setTimeout(r, this.backoffMs).unref());
        return;
      }
    }
  }

  private post(body: string): Promise<void> {
    const u = new URL(this.o.path, this.o.url);
    const mod = u.protocol === 'https:' ? https : http;
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method: 'POST', headers, timeout: this.o.timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
