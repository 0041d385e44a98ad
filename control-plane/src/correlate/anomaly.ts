// Anomalies across events: detectors that watch many events for one pattern (a scan, brute
// force, a flood, DNS tunneling, beaconing) and report it as one event of their own (`anomaly.*`),
// stored and correlated like any other. Each detector keeps per-key state in a bounded map
// (least recently used key evicted, counted) over a sliding window, and reports a key at most once
// per window.
import { randomBytes } from 'node:crypto';
import { ingested, type IngestedEvent, type MeshwardEvent, type Severity } from '../events/event-types.js';
import type { EventProcessor } from '../events/ingest.js';

export interface Detector {
  readonly name: string;
  /** Sees one stored event; returns an anomaly to report, if this event completed one. */
  observe(e: IngestedEvent): MeshwardEvent | undefined;
  stats(): DetectorStats;
}

export interface DetectorStats {
  keys: number;
  /** Keys evicted because the detector held `maxKeys`. */
  evicted: number;
  reported: number;
}

/** A bounded map with least-recently-used eviction. */
export class BoundedKeys<V> {
  private readonly map = new Map<string, V>();
  evicted = 0;

  constructor(private readonly max: number) {}

  get(key: string, make: () => V): V {
    let v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
      return v;
    }
    v = make();
    this.map.set(key, v);
    if (this.map.size > this.max) {
      this.map.delete(this.map.keys().next().value as string);
      this.evicted++;
    }
    return v;
  }

  get size(): number {
    return this.map.size;
  }
}

/** Timestamps (and optional values) within a window, at most `max` kept (the oldest dropped). */
export class Window<T = undefined> {
  readonly items: Array<{ t: number; v: T }> = [];
  lastReportMs = -Infinity;

  constructor(private readonly windowMs: number, private readonly max: number) {}

  add(t: number, v: T): void {
    this.items.push({ t, v });
    if (this.items.length > this.max) this.items.shift();
    while (this.items.length && this.items[0].t < t - this.windowMs) this.items.shift();
  }

  /** Once per window per key. */
  mayReport(t: number): boolean {
    if (t - this.lastReportMs < this.windowMs) return false;
    this.lastReportMs = t;
    return true;
  }
}

export interface AnomalyReport {
  kind: string;
  severity: Severity;
  name: string;
  tactic: string;
  technique: string;
  evidence: Record<string, unknown>;
}

/** The anomaly event, carrying the identity of the event that completed it. */
export function anomalyEvent(trigger: MeshwardEvent, timeMs: number, r: AnomalyReport): MeshwardEvent {
  return {
    id: `anm-${timeMs.toString(16)}-${randomBytes(8).toString('hex')}`,
    time: new Date(timeMs).toISOString(),
    kind: r.kind,
    severity: r.severity,
    action: 'alert',
    mode: trigger.mode,
    workload: trigger.workload,
    ...(trigger.source ? { source: trigger.source } : {}),
    ...(trigger.destination ? { destination: trigger.destination } : {}),
    ...(trigger.protocol ? { protocol: trigger.protocol } : {}),
    rule: { id: `anomaly/${r.kind.slice('anomaly.'.length)}`, name: r.name },
    attack: { class: r.kind.slice('anomaly.'.length), technique: r.technique, tactic: r.tactic, confidence: 80 },
    evidence: { reason: r.name, trigger: trigger.id, ...r.evidence },
  };
}

/** The detectors as one ingest processor (anomalies are derived events). */
export class AnomalyDetectors implements EventProcessor {
  readonly name = 'anomalies';

  constructor(readonly detectors: readonly Detector[]) {}

  derive(stored: readonly IngestedEvent[]): IngestedEvent[] {
    const out: IngestedEvent[] = [];
    for (const e of stored) {
      if (e.origin === 'derived') continue;
      for (const d of this.detectors) {
        const a = d.observe(e);
        if (a) out.push(ingested(a, 'derived'));
      }
    }
    return out;
  }

  stats(): Record<string, DetectorStats> {
    return Object.fromEntries(this.detectors.map((d) => [d.name, d.stats()]));
  }
}

export const sourceOf = (e: MeshwardEvent): string => e.source?.principal || e.source?.ip || '';
export const statusOf = (e: MeshwardEvent): number | undefined => {
  const s = (e.http as { status?: unknown } | undefined)?.status ?? (e.response as { status?: unknown } | undefined)?.status;
  return typeof s === 'number' ? s : undefined;
};
