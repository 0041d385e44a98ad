// Brute force: many authentication failures (responses 401 or 403 from the application, or
// `auth.failure` events) from one source against one workload.
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import { BoundedKeys, Window, anomalyEvent, sourceOf, statusOf, type Detector, type DetectorStats } from './anomaly.js';

export interface BruteForceOptions {
  windowMs: number;
  failures: number;
  maxKeys: number;
}

export const DEFAULT_BRUTE_FORCE: BruteForceOptions = { windowMs: 300_000, failures: 20, maxKeys: 10_000 };

export class BruteForceDetector implements Detector {
  readonly name = 'bruteforce';
  private readonly keys: BoundedKeys<Window>;
  private reported = 0;

  constructor(private readonly o: BruteForceOptions = DEFAULT_BRUTE_FORCE) {
    this.keys = new BoundedKeys(o.maxKeys);
  }

  observe(e: IngestedEvent): MeshwardEvent | undefined {
    const ev = e.event;
    const status = statusOf(ev);
    if (!(ev.kind === 'auth.failure' || status === 401 || (status === 403 && ev.kind !== 'http.policy' && ev.kind !== 'http.attack'))) return undefined;
    const src = sourceOf(ev);
    if (!src) return undefined;
    const w = this.keys.get(`${src} ${ev.workload.namespace}/${ev.workload.name}`, () => new Window(this.o.windowMs, this.o.failures * 2));
    w.add(e.timeMs, undefined);
    if (w.items.length >= this.o.failures && w.mayReport(e.timeMs)) {
      this.reported++;
      return anomalyEvent(ev, e.timeMs, { kind: 'anomaly.bruteforce', severity: 'high', name: `brute force: ${w.items.length} authentication failures from ${src}`, tactic: 'credential-access', technique: 'T1110', evidence: { failures: w.items.length, windowMs: this.o.windowMs, threshold: this.o.failures } });
    }
    return undefined;
  }

  stats(): DetectorStats {
    return { keys: this.keys.size, evicted: this.keys.evicted, reported: this.reported };
  }
}
