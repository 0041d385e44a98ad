// The learner: an ingest processor that folds each stored event into its workload's baseline,
// keeps baselines in memory (bounded by `maxWorkloads`) and saves the changed ones to the store
// every `saveIntervalMs`, so learning survives a restart.
import type { IngestedEvent } from '../events/event-types.js';
import type { EventProcessor } from '../events/ingest.js';
import type { EventStore } from '../store/store.js';
import { BaselineBuilder, DEFAULT_BASELINE_LIMITS, emptyBaseline, isLearnable, type Baseline, type BaselineLimits } from './baseline.js';

export interface LearnerOptions {
  store: EventStore;
  limits?: BaselineLimits;
  maxWorkloads?: number;
  saveIntervalMs?: number;
  log?(level: 'error', message: string): void;
}

export interface LearnerStats {
  workloads: number;
  /** Learnable events given to the baselines (including the skipped ones). */
  eventsLearned: number;
  /** Of those, events whose shape the learner does not read or whose facts no policy field
   * holds (by kind and reason in each baseline's `skipped`). */
  eventsSkipped: number;
  /** Events of workloads beyond maxWorkloads, not learned. */
  workloadsOverflow: number;
  saves: number;
}

export class Learner implements EventProcessor {
  readonly name = 'learn';
  private readonly builders = new Map<string, BaselineBuilder>();
  private readonly dirty = new Set<string>();
  private readonly counters = { eventsLearned: 0, workloadsOverflow: 0, saves: 0 };
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly o: LearnerOptions) {}

  static async start(o: LearnerOptions): Promise<Learner> {
    const l = new Learner(o);
    await l.reload();
    l.timer = setInterval(() => void l.save(), o.saveIntervalMs ?? 2000);
    l.timer.unref();
    return l;
  }

  /** Takes the baselines from the store, keeping those with unsaved changes (at start; on a
   * replica that does not process events, to follow the one that does). */
  async reload(): Promise<void> {
    for (const d of await this.o.store.listBaselines()) {
      const key = `${d.namespace}/${d.workload}`;
      if (this.dirty.has(key)) continue;
      this.builders.set(key, new BaselineBuilder(JSON.parse(d.doc) as Baseline, this.o.limits ?? DEFAULT_BASELINE_LIMITS));
    }
  }

  stored(events: readonly IngestedEvent[]): void {
    for (const e of events) {
      if (!isLearnable(e.event)) continue;
      const key = `${e.event.workload.namespace}/${e.event.workload.name}`;
      let b = this.builders.get(key);
      if (!b) {
        if (this.builders.size >= (this.o.maxWorkloads ?? 10_000)) {
          this.counters.workloadsOverflow++;
          continue;
        }
        b = new BaselineBuilder(emptyBaseline(e.event.workload.namespace, e.event.workload.name, e.timeMs), this.o.limits ?? DEFAULT_BASELINE_LIMITS);
        this.builders.set(key, b);
      }
      b.observe(e.event, e.timeMs);
      this.counters.eventsLearned++;
      this.dirty.add(key);
    }
  }

  baseline(namespace: string, workload: string): Baseline | undefined {
    return this.builders.get(`${namespace}/${workload}`)?.baseline;
  }

  list(): Baseline[] {
    return [...this.builders.values()].map((b) => b.baseline);
  }

  /** Forgets a workload's baseline (start learning again). */
  async reset(namespace: string, workload: string): Promise<void> {
    this.builders.delete(`${namespace}/${workload}`);
    this.dirty.delete(`${namespace}/${workload}`);
    await this.o.store.saveBaselines([{ namespace, workload, updatedMs: Date.now(), doc: JSON.stringify(emptyBaseline(namespace, workload, Date.now())) }]);
  }

  stats(): LearnerStats {
    let eventsSkipped = 0;
    for (const b of this.builders.values()) eventsSkipped += b.skippedEvents;
    return { workloads: this.builders.size, ...this.counters, eventsSkipped };
  }

  /** Writes the changed baselines now. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (this.dirty.size === 0) return;
      const keys = [...this.dirty];
      this.dirty.clear();
      const now = Date.now();
      const docs = keys.flatMap((k) => {
        const b = this.builders.get(k)?.baseline;
        return b ? [{ namespace: b.namespace, workload: b.workload, updatedMs: now, doc: JSON.stringify(b) }] : [];
      });
      try {
        await this.o.store.saveBaselines(docs);
        this.counters.saves++;
      } catch (err) {
        for (const k of keys) this.dirty.add(k);
        this.o.log?.('error', `saving baselines failed (kept for the next try): ${(err as Error).message}`);
      }
    });
    return this.saving;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }
}
