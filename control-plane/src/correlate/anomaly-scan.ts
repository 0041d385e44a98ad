// Scans and probing from one source: many distinct destination ports (connection attempts:
// `tcp.*`, `net.*` events), or many distinct paths answered 404 or refused by policy.
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import { BoundedKeys, Window, anomalyEvent, sourceOf, statusOf, type Detector, type DetectorStats } from './anomaly.js';

export interface ScanOptions {
  windowMs: number;
  /** Distinct ports from one source within the window. */
  ports: number;
  /** Distinct 404 / refused paths from one source within the window. */
  paths: number;
  maxKeys: number;
}

export const DEFAULT_SCAN: ScanOptions = { windowMs: 60_000, ports: 20, paths: 20, maxKeys: 10_000 };

export class ScanDetector implements Detector {
  readonly name = 'scan';
  private readonly ports: BoundedKeys<Window<string>>;
  private readonly paths: BoundedKeys<Window<string>>;
  private reported = 0;

  constructor(private readonly o: ScanOptions = DEFAULT_SCAN) {
    this.ports = new BoundedKeys(o.maxKeys);
    this.paths = new BoundedKeys(o.maxKeys);
  }

  observe(e: IngestedEvent): MeshwardEvent | undefined {
    const ev = e.event;
    const src = sourceOf(ev);
    if (!src) return undefined;
    const d = ev.destination;
    if ((ev.kind.startsWith('tcp.') || ev.kind.startsWith('net.')) && d?.port !== undefined) {
      const w = this.ports.get(src, () => new Window<string>(this.o.windowMs, this.o.ports * 4));
      w.add(e.timeMs, `${d.ip ?? ''}:${d.port}`);
      const distinct = new Set(w.items.map((i) => i.v));
      if (distinct.size >= this.o.ports && w.mayReport(e.timeMs)) {
        this.reported++;
        return anomalyEvent(ev, e.timeMs, { kind: 'anomaly.scan', severity: 'medium', name: `port scan: ${distinct.size} ports from ${src}`, tactic: 'reconnaissance', technique: 'T1046', evidence: { distinctPorts: distinct.size, windowMs: this.o.windowMs, threshold: this.o.ports, sample: [...distinct].slice(0, 10) } });
      }
      return undefined;
    }
    const path = (ev.http as { path?: unknown } | undefined)?.path;
    if (typeof path === 'string' && (statusOf(ev) === 404 || ev.kind === 'http.policy')) {
      const w = this.paths.get(`${src} ${ev.workload.namespace}/${ev.workload.name}`, () => new Window<string>(this.o.windowMs, this.o.paths * 4));
      w.add(e.timeMs, path);
      const distinct = new Set(w.items.map((i) => i.v));
      if (distinct.size >= this.o.paths && w.mayReport(e.timeMs)) {
        this.reported++;
        return anomalyEvent(ev, e.timeMs, { kind: 'anomaly.probe', severity: 'medium', name: `path probing: ${distinct.size} missing or refused paths from ${src}`, tactic: 'reconnaissance', technique: 'T1595.003', evidence: { distinctPaths: distinct.size, windowMs: this.o.windowMs, threshold: this.o.paths, sample: [...distinct].slice(0, 10) } });
      }
    }
    return undefined;
  }

  stats(): DetectorStats {
    return { keys: this.ports.size + this.paths.size, evicted: this.ports.evicted + this.paths.evicted, reported: this.reported };
  }
}
