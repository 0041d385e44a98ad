// The one store interface, implemented on SQLite (store-sqlite.ts, the embedded default) and on
// PostgreSQL (store-postgres.ts, shared by replicas). Both run the same migration set
// (migrations.ts) and the same query builder (query.ts); store.test.ts runs one suite on both.
import type { IngestedEvent } from '../events/event-types.js';

export interface EventQuery {
  sinceMs?: number;
  untilMs?: number;
  namespace?: string;
  workload?: string;
  /** Exact kind, or a prefix ending in `.*` (`anomaly.*`). */
  kind?: string;
  /** Minimum severity rank (SEVERITY_RANK). */
  minSeverity?: number;
  action?: string;
  incident?: string;
  /** Source IP or principal. */
  peer?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  /** From a previous page's `next`. */
  cursor?: string;
  /** Oldest first (default newest first). */
  ascending?: boolean;
}

export interface EventRow {
  id: string;
  timeMs: number;
  receivedMs: number;
  kind: string;
  severity: number;
  incidentId: string | null;
  /** The event as sent (JSON). */
  doc: string;
}

export interface Page<T> {
  items: T[];
  /** Cursor for the next page; absent on the last one. */
  next?: string;
}

export type IncidentStatus = 'open' | 'resolved';

/** What the store keeps of an incident: indexed columns and the whole record as JSON (`doc`,
 * written by correlate/, which owns its shape). */
export interface IncidentRow {
  id: string;
  status: IncidentStatus;
  severity: number;
  namespace: string;
  workload: string;
  firstMs: number;
  lastMs: number;
  updatedMs: number;
  doc: string;
}

export interface IncidentQuery {
  sinceMs?: number;
  status?: IncidentStatus;
  minSeverity?: number;
  namespace?: string;
  workload?: string;
  limit?: number;
  cursor?: string;
}

/** A (namespace, workload)-keyed JSON document: baselines and workload states. */
export interface WorkloadDoc {
  namespace: string;
  workload: string;
  updatedMs: number;
  doc: string;
}

export interface FlowQuery {
  namespace?: string;
  workload?: string;
  sinceMs?: number;
  untilMs?: number;
  /** Kinds that are traffic (default http.flow, http.policy, flow.http, flow.tcp; flow records
   * of discover mode are left out, since discover reports each request as http.flow). */
  kinds?: readonly string[];
  /** Distinct flows returned at most (default 10,000); `truncated` says when more existed. */
  limit?: number;
}

/** Requests that look the same to a policy, with how often and when they were seen. */
export interface FlowRow {
  namespace: string;
  workload: string;
  srcIp: string;
  srcPrincipal: string;
  srcNamespace: string;
  srcWorkload: string;
  protocol: string;
  method: string;
  path: string;
  host: string;
  /** Every action recorded for it. */
  actions: string[];
  count: number;
  firstMs: number;
  lastMs: number;
  /** One event of the group. */
  sampleId: string;
  /** Highest response status seen (a flow record's class × 100); 0 when none was seen. */
  maxStatus: number;
}

export interface FlowResult {
  flows: FlowRow[];
  truncated: boolean;
}

export interface RetentionOptions {
  /** Events and resolved incidents older than this go (default 7 days). */
  maxAgeMs: number;
  /** Total JSON bytes of events kept; the oldest go first (default 1 GiB). */
  maxBytes: number;
  /** Events kept at most (default 10 million). */
  maxEvents: number;
  /** Incidents kept at most, oldest first (default 100,000). */
  maxIncidents: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  maxAgeMs: 7 * 24 * 3600_000,
  maxBytes: 1024 ** 3,
  maxEvents: 10_000_000,
  maxIncidents: 100_000,
};

export interface RetentionResult {
  deletedByAge: number;
  deletedBySize: number;
  incidentsDeleted: number;
}

export interface StoreStats {
  backend: 'sqlite' | 'postgres';
  events: number;
  eventBytes: number;
  incidents: number;
  schemaVersion: number;
}

export interface EventStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Stores events; an id already stored is skipped (a sender's retry). Returns the ids newly
   * stored, in order. */
  insertEvents(events: readonly IngestedEvent[]): Promise<string[]>;
  queryEvents(q: EventQuery): Promise<Page<EventRow>>;
  getEvent(id: string): Promise<EventRow | undefined>;
  /** Links events to an incident. */
  linkEvents(incidentId: string, eventIds: readonly string[]): Promise<void>;
  saveIncidents(incidents: readonly IncidentRow[]): Promise<void>;
  queryIncidents(q: IncidentQuery): Promise<Page<IncidentRow>>;
  getIncident(id: string): Promise<IncidentRow | undefined>;
  /** Open incidents whose last event is at or after `sinceMs` (correlation resumes them). */
  openIncidents(sinceMs: number): Promise<IncidentRow[]>;
  saveBaselines(docs: readonly WorkloadDoc[]): Promise<void>;
  listBaselines(): Promise<WorkloadDoc[]>;
  saveWorkloadState(doc: WorkloadDoc): Promise<void>;
  listWorkloadStates(): Promise<WorkloadDoc[]>;
  /** Distinct requests per workload and caller, for dry-run and the network map. */
  flows(q: FlowQuery): Promise<FlowResult>;
  applyRetention(options: RetentionOptions, nowMs?: number): Promise<RetentionResult>;
  /** Events stored after `position` in insertion order (0: from the start), at most `limit`.
   * Positions increase with insertion but, with concurrent writers, may become visible out of
   * order or never (a rolled-back insert): readers allow for gaps. */
  eventsAfter(position: number, limit: number): Promise<PositionedEvent[]>;
  /** The newest position (0 when no event is stored). */
  lastPosition(): Promise<number>;
  loadPosition(name: string): Promise<number | undefined>;
  savePosition(name: string, position: number): Promise<void>;
  /** Takes the named lease if free. PostgreSQL: an advisory lock held by a connection of its
   * own, released when it closes (a crashed holder loses it). SQLite: always granted (one
   * process owns the file). */
  tryLease(name: string): Promise<StoreLease | undefined>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

/** A role held by one process at a time among those sharing a store. */
export interface StoreLease {
  /** Resolves, with the reason, if the lease is lost (its connection broke). */
  readonly lost: Promise<string>;
  release(): Promise<void>;
}

/** An event with its place in the store's insertion order. */
export interface PositionedEvent {
  position: number;
  event: IngestedEvent;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(readonly code: 'STORE_URL_INVALID' | 'STORE_OPEN_FAILED' | 'STORE_MIGRATION_FAILED' | 'STORE_CURSOR_INVALID', message: string) {
    super(message);
  }
}
