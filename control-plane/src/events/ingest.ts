// EventIngest: checked events wait in one bounded queue and are written to the store in rounds
// (one transaction per round, many batches per round). A batch is answered once its events are
// stored, so a 2xx to a sender means "stored"; when the queue cannot take a whole batch the
// answer is "retry" (HTTP 503 with Retry-After) and nothing of it is kept, so the sender's retry
// loses and duplicates nothing. A failing store is retried with backoff while the queue fills,
// which turns into backpressure on the senders. After each round, processors (anomalies,
// correlation, learning, response) see the events newly stored, in order. With a store shared by
// replicas (`processing: 'shared'`), they do not run here: the replica holding the processing
// lease runs them on every replica's events, read back from the store (shared-processing.ts).
import { type IngestedEvent, type MeshwardEvent } from './event-types.js';
import { DEFAULT_EVENT_LIMITS, isRejection, validateEvent, type EventLimits, type EventRejection } from './event-validate.js';
import type { IngestPrincipal } from './ingest-auth.js';
import { newIngestCounters, type IngestCounters, type IngestStats } from './ingest-metrics.js';
import type { EventStore } from '../store/store.js';

/** Sees events after they are stored. Hooks run one round at a time, in the order given. */
export interface EventProcessor {
  readonly name: string;
  /** Events made from the ones just stored (anomaly detectors); stored in the same round and
   * then handed to every processor like the others. Synchronous. */
  derive?(stored: readonly IngestedEvent[]): IngestedEvent[];
  /** Every event newly stored, derived ones included. A throw is counted and logged; the
   * events stay stored. */
  stored?(events: readonly IngestedEvent[]): void | Promise<void>;
}

export interface IngestOptions {
  store: EventStore;
  /** Events waiting for the store, at most (default 50,000). */
  queueLimit?: number;
  /** Events per store round, at most (default 2,000). */
  roundSize?: number;
  /** Events in one batch, at most (default 10,000; not more than queueLimit). */
  maxBatchEvents?: number;
  limits?: Partial<EventLimits>;
  processors?: EventProcessor[];
  /** `inline` (default): processors run after each round here. `shared`: they do not; each
   * stored round calls `onStored` (the shared processing pump reads it back). */
  processing?: 'inline' | 'shared';
  onStored?(): void;
  /** Store retry backoff (default 100 ms doubling to 5 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface BatchInput {
  events: readonly unknown[];
  /** Who sent it (from IngestAuth). */
  principal: IngestPrincipal;
  origin: 'http' | 'agent';
  /** Events the sender dropped before this batch (its counter). */
  dropped?: number;
  /** Allowed requests the sender's flow table had no room for, and whose workload. */
  flowsOverflow?: number;
  workload?: { namespace: string; name: string };
  /** Workloads a node token may speak for (host agents); ignored for other principals. */
  nodeWorkloads?: ReadonlySet<string>;
}

export type SubmitResult =
  | { status: 'stored'; accepted: number; duplicates: number; rejected: EventRejection[] }
  | { status: 'retry'; retryAfterMs: number; reason: string; rejected: EventRejection[] };

interface Pending {
  events: IngestedEvent[];
  done(stored: number, duplicates: number): void;
  fail(reason: string): void;
}

export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(readonly code: 'INGEST_OPTIONS_INVALID', message: string) {
    super(message);
  }
}

const MAX_REJECTION_KEYS = 64;
const MAX_OVERFLOW_KEYS = 4096;

export class EventIngest {
  private readonly counters: IngestCounters = newIngestCounters();
  private readonly rejectedBy = new Map<string, number>();
  private readonly flowsOverflowBy = new Map<string, number>();
  private readonly queue: Pending[] = [];
  private queued = 0;
  private writing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closing = false;
  private readonly idleWaiters: Array<() => void> = [];
  readonly limits: EventLimits;
  readonly queueLimit: number;
  readonly maxBatchEvents: number;
  private readonly roundSize: number;
  private readonly processors: EventProcessor[];

  constructor(private readonly o: IngestOptions) {
    this.queueLimit = o.queueLimit ?? 50_000;
    this.roundSize = o.roundSize ?? 2_000;
    this.maxBatchEvents = o.maxBatchEvents ?? Math.min(10_000, this.queueLimit);
    for (const [name, v] of [['queueLimit', this.queueLimit], ['roundSize', this.roundSize], ['maxBatchEvents', this.maxBatchEvents]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new IngestError('INGEST_OPTIONS_INVALID', `${name}: ${v} must be a positive integer`);
    }
    if (this.maxBatchEvents > this.queueLimit) throw new IngestError('INGEST_OPTIONS_INVALID', `maxBatchEvents (${this.maxBatchEvents}) is larger than queueLimit (${this.queueLimit}): such a batch could never be taken`);
    this.limits = { ...DEFAULT_EVENT_LIMITS, ...o.limits };
    this.processors = [...(o.processors ?? [])];
    this.retryMs = o.retryMinMs ?? 100;
  }

  /** Adds a processor (before events flow, normally). */
  addProcessor(p: EventProcessor): void {
    this.processors.push(p);
  }

  /** Checks a batch, queues its valid events and resolves once they are stored. */
  async submit(input: BatchInput): Promise<SubmitResult> {
    const c = this.counters;
    const now = Date.now();
    c.batchesReceived++;
    c.eventsReceived += input.events.length;
    if (input.dropped && input.dropped > 0) c.eventsDroppedBySenders += input.dropped;
    if (input.flowsOverflow && input.flowsOverflow > 0) this.countFlowsOverflow(input.flowsOverflow, input.workload);
    const accepted: IngestedEvent[] = [];
    const rejected: EventRejection[] = [];
    input.events.forEach((raw, i) => {
      const r = validateEvent(raw, i, this.limits, now, input.origin);
      if (isRejection(r)) return rejected.push(r);
      const denied = this.authorizeEvent(r.event, input);
      if (denied) return rejected.push({ index: i, id: r.event.id, code: 'EVENT_FORBIDDEN', field: 'workload', rule: denied.rule, message: denied.message });
      accepted.push(r);
    });
    for (const r of rejected) this.countRejection(r);
    c.eventsRejected += rejected.length;
    if (accepted.length === 0) return { status: 'stored', accepted: 0, duplicates: 0, rejected };
    if (this.closing || this.queued + accepted.length > this.queueLimit) {
      c.batchesRefused++;
      c.eventsRefused += accepted.length;
      return { status: 'retry', retryAfterMs: 1000, reason: this.closing ? 'the control plane is shutting down' : `the event queue is full (${this.queued} of ${this.queueLimit} waiting for the store)`, rejected };
    }
    c.eventsAccepted += accepted.length;
    return new Promise<SubmitResult>((resolve) => {
      this.queue.push({
        events: accepted,
        done: (stored, duplicates) => resolve({ status: 'stored', accepted: stored, duplicates, rejected }),
        fail: (reason) => resolve({ status: 'retry', retryAfterMs: 1000, reason, rejected }),
      });
      this.queued += accepted.length;
      this.kick();
    });
  }

  /** A body that was not a batch (counted here so all ingest counters live in one place). */
  countMalformed(): void {
    this.counters.batchesMalformed++;
  }

  /** A batch without a valid token. */
  countUnauthorized(): void {
    this.counters.batchesUnauthorized++;
  }

  /** Adds events made by the control plane itself (tests, imports); resolves once stored. */
  async submitDerived(events: IngestedEvent[]): Promise<void> {
    if (events.length === 0) return;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ events, done: () => resolve(), fail: (reason) => reject(new Error(reason)) });
      this.queued += events.length;
      this.kick();
    });
  }

  /** Resolves when nothing waits and nothing is being written. */
  async flush(): Promise<void> {
    if (this.queued === 0 && !this.writing) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): IngestStats {
    return { ...this.counters, queueDepth: this.queued, queueLimit: this.queueLimit, rejectedBy: Object.fromEntries(this.rejectedBy), flowsOverflowBy: Object.fromEntries(this.flowsOverflowBy) };
  }

  /** Refuses new batches, writes what waits (giving up after `graceMs` if the store keeps failing:
   * those batches are answered "retry", so their senders keep them). */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.flush().then(() => 'ok' as const), timer])) === 'timeout') {
      clearTimeout(this.retryTimer);
      for (const p of this.queue.splice(0)) {
        if (p.events[0]?.origin === 'derived') this.counters.eventsLost += p.events.length;
        p.fail('the control plane shut down before the store took these events');
      }
      this.queued = 0;
    }
    clearTimeout(this.retryTimer);
  }

  private authorizeEvent(e: MeshwardEvent, input: BatchInput): { rule: 'workload-mismatch' | 'not-authorized'; message: string } | undefined {
    const p = input.principal;
    if (p.type === 'workload' && (e.workload.namespace !== p.namespace || e.workload.name !== p.name)) {
      return { rule: 'workload-mismatch', message: `workload: ${e.workload.namespace}/${e.workload.name} is not the workload this token belongs to (${p.namespace}/${p.name})` };
    }
    if (p.type === 'node' && !input.nodeWorkloads?.has(`${e.workload.namespace}/${e.workload.name}`)) {
      return { rule: 'not-authorized', message: `workload: ${e.workload.namespace}/${e.workload.name} has no pod on node ${p.node} in the inventory` };
    }
    return undefined;
  }

  private countFlowsOverflow(n: number, w: { namespace: string; name: string } | undefined): void {
    this.counters.flowsOverflowBySenders += n;
    let key = w ? `${w.namespace}/${w.name}` : '(unknown)';
    if (!this.flowsOverflowBy.has(key) && this.flowsOverflowBy.size >= MAX_OVERFLOW_KEYS) key = '(other)';
    this.flowsOverflowBy.set(key, (this.flowsOverflowBy.get(key) ?? 0) + n);
  }

  private countRejection(r: EventRejection): void {
    const key = `${r.field || '(event)'}/${r.rule}`;
    const n = this.rejectedBy.get(key);
    if (n !== undefined) this.rejectedBy.set(key, n + 1);
    else if (this.rejectedBy.size < MAX_REJECTION_KEYS) this.rejectedBy.set(key, 1);
    else this.rejectedBy.set('(other)', (this.rejectedBy.get('(other)') ?? 0) + 1);
  }

  private kick(): void {
    if (this.writing || this.retryTimer || this.queue.length === 0) return;
    this.writing = this.writeRounds().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.retryTimer) this.kick();
      else if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private async writeRounds(): Promise<void> {
    while (this.queue.length > 0) {
      // Whole batches, up to roundSize events (at least one batch).
      let n = 0;
      let take = 0;
      while (take < this.queue.length && (take === 0 || n + this.queue[take].events.length <= this.roundSize)) n += this.queue[take++].events.length;
      const round = this.queue.slice(0, take);
      const events = round.flatMap((p) => p.events);
      let stored: IngestedEvent[];
      try {
        stored = await this.storeEvents(events);
      } catch (err) {
        this.counters.storeErrors++;
        this.o.log?.('error', `event store write failed, retrying in ${this.retryMs} ms: ${(err as Error).message}`, { events: events.length });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryMs);
        this.retryMs = Math.min(this.o.retryMaxMs ?? 5000, this.retryMs * 2);
        return;
      }
      this.retryMs = this.o.retryMinMs ?? 100;
      this.queue.splice(0, take);
      this.queued -= n;
      const ids = new Set(stored.map((e) => e.event.id));
      for (const p of round) {
        const s = p.events.filter((e) => ids.has(e.event.id)).length;
        p.done(s, p.events.length - s);
      }
      if (this.o.processing === 'shared') this.o.onStored?.();
      else await this.runProcessors(stored);
    }
  }

  /** Inserts; the events newly stored (not duplicates). */
  private async storeEvents(events: IngestedEvent[]): Promise<IngestedEvent[]> {
    const ids = new Set(await this.o.store.insertEvents(events));
    const fresh = events.filter((e) => ids.has(e.event.id));
    this.counters.eventsStored += fresh.length;
    this.counters.eventsDuplicate += events.length - fresh.length;
    return fresh;
  }

  /**
   * Runs the processors on events newly stored: derives (anomalies), stores what was derived,
   * then hands both to every processor. Called after each round here, or by the shared
   * processing pump on the lease holder. Returns the ids of the derived events stored.
   */
  async runProcessors(fresh: IngestedEvent[]): Promise<string[]> {
    const events = await this.derive(fresh);
    await this.process(events);
    return events.slice(fresh.length).map((e) => e.event.id);
  }

  /** `fresh` and, after it, the events processors derived from it that were stored. */
  private async derive(fresh: IngestedEvent[]): Promise<IngestedEvent[]> {
    const derived: IngestedEvent[] = [];
    for (const p of this.processors) {
      if (!p.derive) continue;
      try {
        derived.push(...p.derive(fresh));
      } catch (err) {
        this.processorFailed(p, err);
      }
    }
    if (derived.length === 0) return fresh;
    let derivedIds: Set<string>;
    try {
      derivedIds = new Set(await this.o.store.insertEvents(derived));
    } catch (err) {
      // The senders' events are stored; retrying the round would count them as duplicates and
      // hide them from the processors. The derived ones are lost, loudly.
      this.counters.storeErrors++;
      this.counters.eventsLost += derived.length;
      this.o.log?.('error', `storing ${derived.length} derived events failed: ${(err as Error).message}`);
      return fresh;
    }
    const newDerived = derived.filter((e) => derivedIds.has(e.event.id));
    this.counters.eventsDerived += newDerived.length;
    this.counters.eventsStored += newDerived.length;
    return [...fresh, ...newDerived];
  }

  private async process(events: IngestedEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const p of this.processors) {
      if (!p.stored) continue;
      try {
        await p.stored(events);
      } catch (err) {
        this.processorFailed(p, err);
      }
    }
  }

  private processorFailed(p: EventProcessor, err: unknown): void {
    this.counters.processorErrors++;
    this.o.log?.('error', `event processor ${p.name} failed: ${(err as Error).message}`);
  }
}
