// Command-and-control beaconing: connections from one workload to one destination at regular
// intervals (the spread of the intervals small against their mean).
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import { isEgress } from '../learn/baseline.js';
import { BoundedKeys, Window, anomalyEvent, type Detector, type DetectorStats } from './anomaly.js';

export interface BeaconOptions {
  windowMs: number;
  /** Connections needed before judging regularity. */
  samples: number;
  /** Largest coefficient of variation (standard deviation / mean) of the intervals. */
  maxVariation: number;
  /** Shortest mean interval considered (faster is traffic, not a beacon). */
  minIntervalMs: number;
  maxKeys: number;
}

export const DEFAULT_BEACON: BeaconOptions = { windowMs: 3600_000, samples: 8, maxVariation: 0.1, minIntervalMs: 1000, maxKeys: 10_000 };

export class BeaconDetector implements Detector {
  readonly name = 'beacon';
  private readonly keys: BoundedKeys<Window>;
  private reported = 0;

  constructor(private readonly o: BeaconOptions = DEFAULT_BEACON) {
    this.keys = new BoundedKeys(o.maxKeys);
  }

  observe(e: IngestedEvent): MeshwardEvent | undefined {
    const ev = e.event;
    if (!isEgress(ev)) return undefined;
    const d = ev.destination ?? {};
    const dest = d.fqdn || (d.ip ? `${d.ip}:${d.port ?? ''}` : '');
    if (!dest) return undefined;
    const w = this.keys.get(`${ev.workload.namespace}/${ev.workload.name} ${dest}`, () => new Window(this.o.windowMs, this.o.samples * 4));
    w.add(e.timeMs, undefined);
    if (w.items.length < this.o.samples) return undefined;
    const recent = w.items.slice(-this.o.samples).map((i) => i.t);
    const gaps = recent.slice(1).map((t, i) => t - recent[i]);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    if (mean < this.o.minIntervalMs) return undefined;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    if (sd / mean > this.o.maxVariation || !w.mayReport(e.timeMs)) return undefined;
    this.reported++;
    return anomalyEvent(ev, e.timeMs, {
      kind: 'anomaly.beacon', severity: 'high', name: `beaconing to ${dest} every ${Math.round(mean / 1000)} s`, tactic: 'command-and-control', technique: 'T1071',
      evidence: { destination: dest, intervalMs: Math.round(mean), variation: Number((sd / mean).toFixed(3)), samples: recent.length },
    });
  }

  stats(): DetectorStats {
    return { keys: this.keys.size, evicted: this.keys.evicted, reported: this.reported };
  }
}
