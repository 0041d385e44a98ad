// The live event stream behind GET /v1/events/stream (Server-Sent Events). An ingest processor:
// every event newly stored is offered to each subscriber whose filter it passes. A subscriber
// writes to its HTTP response until the socket pushes back (write() answers false); then events
// wait in its own queue, at most `clientBuffer`, and the rest are dropped and counted. When the
// socket drains, the queue is written, preceded by a `dropped` message saying how many were lost
// (so a client knows to fetch the gap with GET /v1/events). A `heartbeat` message every
// `heartbeatMs` keeps proxies from closing an idle stream and carries the client's drop count.
import type { IngestedEvent } from './event-types.js';
import { isFlowRecord } from './event-types.js';
import type { EventProcessor } from './ingest.js';

/** What one subscriber asked for. */
export interface StreamFilter {
  namespace?: string;
  workload?: string;
  /** Exact kind, or a prefix ending in `.*`. */
  kind?: string;
  minSeverity?: number;
  /** Flow records (`flow.*`) too; default false (they are summaries, not happenings). */
  flows?: boolean;
}

/** Where a subscriber's messages go (an HTTP response, in practice). */
export interface StreamSink {
  /** False when the socket pushes back; `drain` follows. */
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): void;
}

export interface EventStreamOptions {
  /** Messages queued per subscriber while its socket pushes back (default 1000). */
  clientBuffer?: number;
  /** Default 15 s. */
  heartbeatMs?: number;
  /** Subscribers at once (default 256); more are refused. */
  maxClients?: number;
}

export interface EventStreamStats {
  clients: number;
  /** Subscribers accepted since start. */
  opened: number;
  /** Subscribers refused for maxClients. */
  refused: number;
  sent: number;
  /** Events not delivered to a slow subscriber (its queue was full). */
  dropped: number;
}

export class Subscriber {
  private readonly queue: string[] = [];
  private blocked = false;
  private closed = false;
  /** Dropped since the last `dropped` message. */
  private unreported = 0;
  dropped = 0;
  sent = 0;

  constructor(
    private readonly sink: StreamSink,
    readonly filter: StreamFilter,
    private readonly limit: number,
    private readonly counters: EventStreamStats,
  ) {}

  accepts(e: IngestedEvent): boolean {
    const f = this.filter;
    const ev = e.event;
    if (!f.flows && isFlowRecord(ev)) return false;
    if (f.namespace !== undefined && ev.workload.namespace !== f.namespace) return false;
    if (f.workload !== undefined && ev.workload.name !== f.workload) return false;
    if (f.minSeverity !== undefined && e.severityRank < f.minSeverity) return false;
    if (f.kind !== undefined) {
      if (f.kind.endsWith('.*') ? !ev.kind.startsWith(f.kind.slice(0, -1)) : ev.kind !== f.kind) return false;
    }
    return true;
  }

  /** Offers one event: written, queued, or dropped and counted. */
  offer(e: IngestedEvent): void {
    if (this.closed) return;
    const msg = `id: ${e.event.id}\nevent: event\ndata: ${JSON.stringify({ event: e.event, receivedMs: e.receivedMs })}\n\n`;
    if (this.blocked) {
      if (this.queue.length < this.limit) this.queue.push(msg);
      else {
        this.dropped++;
        this.unreported++;
        this.counters.dropped++;
      }
      return;
    }
    this.write(msg);
  }

  heartbeat(): void {
    if (this.closed || this.blocked) return; // a blocked socket needs no more bytes
    this.write(`event: heartbeat\ndata: ${JSON.stringify({ time: new Date().toISOString(), dropped: this.dropped })}\n\n`, false);
  }

  /** The first message: what the stream is. */
  hello(): void {
    this.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ filter: this.filter, buffer: this.limit })}\n\n`, false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.sink.end();
  }

  private write(msg: string, isEvent = true): void {
    if (isEvent) {
      this.sent++;
      this.counters.sent++;
    }
    if (!this.sink.write(msg)) {
      this.blocked = true;
      this.sink.once('drain', () => this.drain());
    }
  }

  private drain(): void {
    if (this.closed) return;
    this.blocked = false;
    if (this.unreported > 0) {
      const n = this.unreported;
      this.unreported = 0;
      this.write(`event: dropped\ndata: ${JSON.stringify({ dropped: n, total: this.dropped })}\n\n`, false);
    }
    while (!this.blocked && this.queue.length > 0) this.write(this.queue.shift()!);
  }
}

export class EventStream implements EventProcessor {
  readonly name = 'event-stream';
  private readonly subscribers = new Set<Subscriber>();
  private readonly counters: EventStreamStats = { clients: 0, opened: 0, refused: 0, sent: 0, dropped: 0 };
  private readonly timer: NodeJS.Timeout;
  readonly clientBuffer: number;
  private readonly maxClients: number;

  constructor(o: EventStreamOptions = {}) {
    this.clientBuffer = o.clientBuffer ?? 1000;
    this.maxClients = o.maxClients ?? 256;
    this.timer = setInterval(() => {
      for (const s of this.subscribers) s.heartbeat();
    }, o.heartbeatMs ?? 15_000);
    this.timer.unref();
  }

  /** A new subscriber, or undefined when maxClients are connected (counted). */
  subscribe(sink: StreamSink, filter: StreamFilter): Subscriber | undefined {
    if (this.subscribers.size >= this.maxClients) {
      this.counters.refused++;
      return undefined;
    }
    const s = new Subscriber(sink, filter, this.clientBuffer, this.counters);
    this.subscribers.add(s);
    this.counters.opened++;
    s.hello();
    return s;
  }

  unsubscribe(s: Subscriber): void {
    this.subscribers.delete(s);
    s.close();
  }

  stored(events: readonly IngestedEvent[]): void {
    if (this.subscribers.size === 0) return;
    for (const e of events) {
      for (const s of this.subscribers) if (s.accepts(e)) s.offer(e);
    }
  }

  stats(): EventStreamStats {
    return { ...this.counters, clients: this.subscribers.size };
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.subscribers) s.close();
    this.subscribers.clear();
  }
}
