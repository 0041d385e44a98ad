// Event processing with a store shared by replicas (PostgreSQL): every replica stores the events
// it receives, and the one replica holding the store's processing lease runs the processors
// (anomalies, correlation, learning, response) on all of them, read back in insertion order.
// So an attack whose steps reach different replicas is still one incident, and one baseline
// learns from all the traffic. The holder's position is saved; when it dies its lease goes with
// its connection, another replica takes it and goes on from there (events of the last round may
// be processed twice: at least once, never lost).
//
// Insertion positions of concurrent writers become visible out of order, and a rolled-back
// insert leaves a hole forever: a missing position holds the saved position back until it
// appears or `gapMs` has passed (then it is given up, counted as `gapsSkipped`).
//
// A lease holder can feed a follower without lease (`feeds`, the replica's live stream): every
// row it reads is offered to the follower, which delivers those past its own position, so the
// leader reads each row once. The follower keeps its own position: it reads the store itself
// whenever the holder's position is behind it (no lease, lease lost, or a holder that started
// past it), so across lease changes no event is delivered twice or skipped.
import type { IngestedEvent } from './event-types.js';
import type { EventStore, PositionedEvent, StoreLease } from '../store/store.js';

export interface SharedProcessingOptions {
  store: EventStore;
  /** Runs the processors on newly read events; returns the ids of events it derived and stored
   * (already processed: skipped when read back). */
  run(events: IngestedEvent[]): Promise<string[]>;
  /** The lease and saved position's name (default `events`). */
  name?: string;
  /** false: no lease and no saved position; every replica follows every event from the newest
   * at start (what each replica's live stream clients see). Default true. */
  lease?: boolean;
  /** Reads per second while holding the lease: one every pollMs (default 250), plus kick(). */
  pollMs?: number;
  /** How often a replica without the lease tries to take it (default 1000 ms). */
  leaseRetryMs?: number;
  gapMs?: number;
  /** Events per read (default 2000). */
  batch?: number;
  /** Called when this replica takes (true) or loses (false) the lease, before it processes. */
  onLeadership?(held: boolean): void | Promise<void>;
  /** A follower without lease given every row this one reads while it holds the lease; it then
   * reads the store only for rows this one's position is past. */
  feeds?: SharedProcessing;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface SharedProcessingStats {
  leader: boolean;
  position: number;
  leasesTaken: number;
  leasesLost: number;
  rounds: number;
  eventsProcessed: number;
  /** Rows fetched from the store. */
  rowsRead: number;
  /** Rows offered by the lease holder this follower is fed by (`feeds`). */
  rowsFed: number;
  gapsSkipped: number;
  errors: number;
}

/** Derived ids remembered until read back, at most. */
const MAX_SKIP = 100_000;

export class SharedProcessing {
  private lease: StoreLease | undefined;
  private position = 0;
  /** Processed positions above `position` (past a hole). */
  private readonly seenAbove = new Set<number>();
  private holeSince: number | undefined;
  private readonly skip = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private lastLeaseTry = 0;
  private closed = false;
  /** The lease holder offering this follower the rows it reads (its `feeds`). */
  private feeder: SharedProcessing | undefined;
  private readonly counters = { leasesTaken: 0, leasesLost: 0, rounds: 0, eventsProcessed: 0, rowsRead: 0, rowsFed: 0, gapsSkipped: 0, errors: 0 };
  private readonly o: Required<Omit<SharedProcessingOptions, 'onLeadership' | 'log' | 'feeds'>> & Pick<SharedProcessingOptions, 'onLeadership' | 'log' | 'feeds'>;

  constructor(options: SharedProcessingOptions) {
    this.o = { name: 'events', lease: true, pollMs: 250, leaseRetryMs: 1000, gapMs: 5000, batch: 2000, ...options };
    if (options.feeds) {
      if (options.feeds.o.lease || !this.o.lease) throw new Error('feeds: a lease holder feeds a follower without lease');
      options.feeds.feeder = this;
    }
  }

  get leader(): boolean {
    return this.lease !== undefined;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** A round soon (events were just stored here). */
  kick(): void {
    if (this.pending || this.closed) return;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      try {
        await this.round();
      } catch (err) {
        this.counters.errors++;
        this.o.log?.('error', `shared event processing failed (retried): ${(err as Error).message}`);
      }
    });
  }

  /** Resolves when the rounds asked so far have run (tests). */
  settled(): Promise<void> {
    return this.chain;
  }

  stats(): SharedProcessingStats {
    return { leader: this.leader, position: this.position, ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain;
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release();
  }

  private async round(): Promise<void> {
    if (!this.lease && !(await this.takeLease())) return;
    if (this.fed()) {
      this.advance(); // a hole still expires
      if (this.fed()) return;
    }
    for (;;) {
      const after = this.position;
      const rows = await this.o.store.eventsAfter(after, this.o.batch);
      this.counters.rowsRead += rows.length;
      // Before running them: the follower's delivery waits neither for the processors nor on their failure.
      if (this.lease && rows.length > 0) this.o.feeds?.offer(after, rows);
      this.counters.rounds++;
      const moved = await this.take(rows);
      // Another read only if this one was full and moved on.
      if (rows.length < this.o.batch || !moved) return;
    }
  }

  /** True while the lease holder feeding this follower reads every row past its position. */
  private fed(): boolean {
    const f = this.feeder;
    return f !== undefined && f.leader && f.position <= this.position;
  }

  /** Rows the feeder read after position `after`: taken in the round chain (never during a
   * round) if they are what this follower's own read would be, else left to that read, which
   * keeps the order. */
  private offer(after: number, rows: PositionedEvent[]): void {
    if (this.closed) return;
    this.chain = this.chain.then(async () => {
      // Not started yet: it starts at the newest position, past these.
      if (!this.lease || this.closed) return;
      // Rows between are this follower's own to read: now, not at its next poll.
      if (after > this.position) return this.kick();
      this.counters.rowsFed += rows.length;
      try {
        await this.take(rows);
      } catch (err) {
        this.counters.errors++;
        this.o.log?.('error', `offered events failed: ${(err as Error).message}`);
      }
    });
  }

  /** Runs the rows not yet taken, then moves the position over them; true if it moved. */
  private async take(rows: PositionedEvent[]): Promise<boolean> {
    const events: IngestedEvent[] = [];
    for (const r of rows) {
      if (r.position <= this.position || this.seenAbove.has(r.position)) continue;
      if (this.skip.delete(r.event.event.id)) continue;
      events.push(r.event);
    }
    if (events.length > 0) {
      const derived = await this.o.run(events);
      if (this.skip.size + derived.length > MAX_SKIP) this.skip.clear();
      for (const id of derived) this.skip.add(id);
      this.counters.eventsProcessed += events.length;
    }
    for (const r of rows) if (r.position > this.position) this.seenAbove.add(r.position);
    const before = this.position;
    this.advance();
    if (this.position !== before && this.o.lease) await this.o.store.savePosition(this.o.name, this.position);
    return this.position !== before;
  }

  /** Moves the position over what is contiguous; gives up a hole older than gapMs. */
  private advance(): void {
    while (this.seenAbove.delete(this.position + 1)) this.position++;
    if (this.seenAbove.size === 0) {
      this.holeSince = undefined;
      return;
    }
    const now = Date.now();
    this.holeSince ??= now;
    if (now - this.holeSince < this.o.gapMs) return;
    this.counters.gapsSkipped++;
    this.position = Math.min(...this.seenAbove) - 1;
    this.holeSince = undefined;
    this.advance();
  }

  private async takeLease(): Promise<boolean> {
    if (Date.now() - this.lastLeaseTry < this.o.leaseRetryMs) return false;
    this.lastLeaseTry = Date.now();
    const lease = this.o.lease ? await this.o.store.tryLease(this.o.name) : { lost: new Promise<string>(() => undefined), release: async () => undefined };
    if (!lease) return false;
    if (this.closed) {
      await lease.release();
      return false;
    }
    this.position = (this.o.lease ? await this.o.store.loadPosition(this.o.name) : undefined) ?? (await this.o.store.lastPosition());
    this.seenAbove.clear();
    this.holeSince = undefined;
    this.skip.clear();
    this.lease = lease;
    this.counters.leasesTaken++;
    if (this.o.lease) this.o.log?.('info', 'this replica now runs event processing (correlation, learning, response)', { position: this.position });
    void lease.lost.then(async (why) => {
      if (this.lease !== lease) return;
      this.lease = undefined;
      this.counters.leasesLost++;
      this.o.log?.('warn', `event processing lease lost: ${why}`);
      await this.o.onLeadership?.(false);
    });
    await this.o.onLeadership?.(true);
    return true;
  }
}
