// Floods: the rate of requests or connections from one source to one workload over a short
// window, above a threshold.
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import { BoundedKeys, Window, anomalyEvent, sourceOf, type Detector, type DetectorStats } from './anomaly.js';

export interface FloodOptions {
  windowMs: number;
  /** Events from one source within the window. */
  events: number;
  maxKeys: number;
}

export const DEFAULT_FLOOD: FloodOptions = { windowMs: 1000, events: 500, maxKeys: 10_000 };

export class FloodDetector implements Detector {
  readonly name = 'flood';
  private readonly keys: BoundedKeys<Window>;
  private reported = 0;

  constructor(private readonly o: FloodOptions = DEFAULT_FLOOD) {
    this.keys = new BoundedKeys(o.maxKeys);
  }

  observe(e: IngestedEvent): MeshwardEvent | undefined {
    const ev = e.event;
    if (!(ev.kind.startsWith('http.') || ev.kind.startsWith('tcp.') || ev.kind.startsWith('net.'))) return undefined;
    const src = sourceOf(ev);
    if (!src) return undefined;
    const w = this.keys.get(`${src} ${ev.workload.namespace}/${ev.workload.name}`, () => new Window(this.o.windowMs, this.o.events));
    w.add(e.timeMs, undefined);
    if (w.items.length >= this.o.events && w.mayReport(e.timeMs)) {
      this.reported++;
      return anomalyEvent(ev, e.timeMs, { kind: 'anomaly.flood', severity: 'high', name: `flood: ${w.items.length} requests in ${this.o.windowMs} ms from ${src}`, tactic: 'impact', technique: 'T1498', evidence: { events: w.items.length, windowMs: this.o.windowMs, threshold: this.o.events } });
    }
    return undefined;
  }

  stats(): DetectorStats {
    return { keys: this.keys.size, evicted: this.keys.evicted, reported: this.reported };
  }
}
