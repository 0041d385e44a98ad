// The correlator: an ingest processor that classifies each stored event (attack-map.ts) and joins
// the classified ones into incidents: an event joins an open incident whose last event is within
// `windowMs` and that shares its workload, a peer (source address or principal) or a process
// (pod and pid, or its parent). Incidents are saved after each round and their events linked;
// open ones are reloaded on start, so a chain continues across a restart.
import { randomBytes } from 'node:crypto';
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import type { EventProcessor } from '../events/ingest.js';
import type { EventStore, IncidentRow } from '../store/store.js';
import { classify, type ClassifyContext } from './attack-map.js';
import { addStep, addUnique, incidentSeverity, incidentTitle, type Incident } from './incident.js';
import { severityOfRank } from '../events/event-types.js';

export interface CorrelatorOptions {
  store: EventStore;
  /** How long after its last event an incident still takes new ones (default 30 min). */
  windowMs?: number;
  /** Open incidents held in memory, at most (default 10,000; the oldest stops joining first). */
  maxOpen?: number;
  /** Steps per incident, at most (default 100). */
  maxSteps?: number;
  classify?: ClassifyContext;
  /** After each round, the incidents that changed ('opened' the first time, 'escalated' when the
   * severity rose, else 'updated'). */
  onIncident?(incident: Incident, change: 'opened' | 'escalated' | 'updated'): void;
}

export interface CorrelatorStats {
  open: number;
  opened: number;
  eventsClassified: number;
  eventsJoined: number;
  /** Open incidents dropped from memory because maxOpen was reached. */
  evicted: number;
  /** Open incidents that stopped taking events after the window. */
  expired: number;
  stepsOverflow: number;
}

interface Keys {
  workload: string;
  peers: string[];
  processes: string[];
}

function keysOf(e: MeshwardEvent): Keys {
  const peers: string[] = [];
  if (e.source?.ip && !e.kind.startsWith('process.') && !e.kind.startsWith('file.')) peers.push(`ip:${e.source.ip}`);
  if (e.source?.principal) peers.push(`principal:${e.source.principal}`);
  const processes: string[] = [];
  const p = e.process as { pid?: unknown; ppid?: unknown } | undefined;
  const pod = e.workload.pod ?? '';
  if (p && typeof p.pid === 'number') processes.push(`${pod}#${p.pid}`);
  if (p && typeof p.ppid === 'number') processes.push(`${pod}#${p.ppid}`);
  return { workload: `${e.workload.namespace}/${e.workload.name}`, peers, processes };
}

export class Correlator implements EventProcessor {
  readonly name = 'correlate';
  /** Open incidents, oldest first (Map keeps insertion order; moved to the end when updated). */
  private readonly open = new Map<string, Incident>();
  /** workload / peer / process key → open incidents holding it, so joining costs one lookup
   * per key rather than a scan of every open incident. */
  private readonly byKey = new Map<string, Set<string>>();
  private readonly counters = { opened: 0, eventsClassified: 0, eventsJoined: 0, evicted: 0, expired: 0 };
  private readonly windowMs: number;

  private constructor(private readonly o: CorrelatorOptions) {
    this.windowMs = o.windowMs ?? 30 * 60_000;
  }

  static async start(o: CorrelatorOptions): Promise<Correlator> {
    const c = new Correlator(o);
    await c.reload();
    return c;
  }

  /** Takes the open incidents from the store (at start, and when this replica takes over event
   * processing from another). */
  async reload(): Promise<void> {
    this.open.clear();
    this.byKey.clear();
    for (const row of await this.o.store.openIncidents(Date.now() - this.windowMs)) {
      const i = JSON.parse(row.doc) as Incident;
      this.open.set(i.id, i);
      this.index(i);
    }
  }

  /** Stops joining events to incidents resolved in the store by another replica's API. */
  async forgetResolved(): Promise<number> {
    if (this.open.size === 0) return 0;
    const page = await this.o.store.queryIncidents({ status: 'resolved', sinceMs: Date.now() - this.windowMs, limit: 1000 });
    let n = 0;
    for (const row of page.items) {
      const i = this.open.get(row.id);
      if (!i) continue;
      this.forget(i);
      n++;
    }
    return n;
  }

  async stored(events: readonly IngestedEvent[]): Promise<void> {
    // Event time, not the wall clock: the window is about how far apart events are.
    this.expire(events.reduce((m, e) => Math.max(m, e.timeMs), 0));
    const changed = new Map<string, { incident: Incident; before: number; isNew: boolean; ids: string[] }>();
    for (const e of events) {
      const c = classify(e.event, this.o.classify);
      if (!c) continue;
      this.counters.eventsClassified++;
      const keys = keysOf(e.event);
      let incident = this.find(keys, e.timeMs);
      let isNew = false;
      if (!incident) {
        incident = this.create(e, keys);
        isNew = true;
      } else {
        this.counters.eventsJoined++;
        this.open.delete(incident.id); // re-inserted at the end: most recently active
      }
      this.open.set(incident.id, incident);
      const entry = changed.get(incident.id) ?? { incident, before: isNew ? -1 : incidentSeverity(incident), isNew, ids: [] };
      changed.set(incident.id, entry);
      addUnique(incident.workloads, keys.workload);
      for (const p of keys.peers) addUnique(incident.peers, p);
      for (const p of keys.processes) addUnique(incident.processes, p);
      this.index(incident);
      addStep(incident, c, { id: e.event.id, kind: e.event.kind, workload: keys.workload, timeMs: e.timeMs, severityRank: e.severityRank }, this.o.maxSteps ?? 100);
      entry.ids.push(e.event.id);
      this.evictOverflow();
    }
    if (changed.size === 0) return;
    const rows: IncidentRow[] = [];
    for (const { incident } of changed.values()) {
      const rank = incidentSeverity(incident);
      incident.severity = severityOfRank(rank);
      incident.title = incidentTitle(incident);
      rows.push(toRow(incident, rank));
    }
    await this.o.store.saveIncidents(rows);
    for (const { incident, ids } of changed.values()) await this.o.store.linkEvents(incident.id, ids);
    for (const { incident, before, isNew } of changed.values()) {
      const now = incidentSeverity(incident);
      this.o.onIncident?.(incident, isNew ? 'opened' : now > before ? 'escalated' : 'updated');
    }
  }

  /** Marks an incident resolved (it takes no more events). */
  async resolve(id: string): Promise<Incident | undefined> {
    const row = await this.o.store.getIncident(id);
    if (!row) return undefined;
    const incident = this.open.get(id) ?? (JSON.parse(row.doc) as Incident);
    incident.status = 'resolved';
    this.forget(incident);
    await this.o.store.saveIncidents([toRow(incident, incidentSeverity(incident))]);
    return incident;
  }

  stats(): CorrelatorStats {
    return { open: this.open.size, ...this.counters, stepsOverflow: [...this.open.values()].reduce((n, i) => n + i.stepsOverflow, 0) };
  }

  private find(k: Keys, timeMs: number): Incident | undefined {
    let found: Incident | undefined;
    for (const key of [`w:${k.workload}`, ...k.peers.map((p) => `p:${p}`), ...k.processes.map((p) => `x:${p}`)]) {
      for (const id of this.byKey.get(key) ?? []) {
        const i = this.open.get(id);
        if (!i || timeMs - i.lastMs > this.windowMs || i.firstMs - timeMs > this.windowMs) continue;
        if (!found || i.lastMs > found.lastMs) found = i; // the most recently active wins
      }
    }
    return found;
  }

  private keysOfIncident(i: Incident): string[] {
    return [...i.workloads.map((w) => `w:${w}`), ...i.peers.map((p) => `p:${p}`), ...i.processes.map((p) => `x:${p}`)];
  }

  private index(i: Incident): void {
    for (const key of this.keysOfIncident(i)) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      set.add(i.id);
    }
  }

  private forget(i: Incident): void {
    this.open.delete(i.id);
    for (const key of this.keysOfIncident(i)) {
      const set = this.byKey.get(key);
      set?.delete(i.id);
      if (set?.size === 0) this.byKey.delete(key);
    }
  }

  private create(e: IngestedEvent, k: Keys): Incident {
    this.counters.opened++;
    const id = `inc-${e.timeMs.toString(16)}-${randomBytes(4).toString('hex')}`;
    return {
      id, status: 'open', title: '', severity: 'info', namespace: e.event.workload.namespace, workload: e.event.workload.name,
      workloads: [], peers: [], processes: [], tactics: [], firstMs: e.timeMs, lastMs: e.timeMs, eventCount: 0, steps: [], stepsOverflow: 0,
    };
  }

  /** Incidents quiet for longer than the window stop taking events (they stay open in the
   * store until resolved). The map is in activity order, so the quiet ones are at its start. */
  private expire(now: number): void {
    for (const i of this.open.values()) {
      if (now - i.lastMs <= this.windowMs) break;
      this.forget(i);
      this.counters.expired++;
    }
  }

  private evictOverflow(): void {
    const max = this.o.maxOpen ?? 10_000;
    while (this.open.size > max) {
      this.forget(this.open.values().next().value as Incident);
      this.counters.evicted++;
    }
  }
}

function toRow(i: Incident, rank: number): IncidentRow {
  return { id: i.id, status: i.status, severity: rank, namespace: i.namespace, workload: i.workload, firstMs: i.firstMs, lastMs: i.lastMs, updatedMs: Date.now(), doc: JSON.stringify(i) };
}

export { keysOf };
