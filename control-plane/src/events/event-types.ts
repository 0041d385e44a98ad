// The event document every sensor sends (ARCHITECTURE.md, "Contracts between rooms"): a common
// envelope that ingest checks strictly, and kind-specific parts (`http`, `grpc`, `tcp`, `sql`,
// `process`, `file`, `dns`...) that it accepts leniently within bounds, so a new sensor kind
// needs no control-plane release before its events are stored.

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
export const severityOfRank = (rank: number): Severity => SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, rank))];

export const ACTIONS = ['allow', 'alert', 'block', 'kill'] as const;
export type EventAction = (typeof ACTIONS)[number];

export const EVENT_MODES = ['discover', 'monitor', 'protect'] as const;
export type EventMode = (typeof EVENT_MODES)[number];

export interface EventWorkload {
  namespace: string;
  name: string;
  pod?: string;
  container?: string;
}

/** `source` or `destination`. Every field optional: a TCP peer has no principal, an egress
 * destination may have only an FQDN. */
export interface EventPeer {
  ip?: string;
  port?: number;
  principal?: string;
  namespace?: string;
  workload?: string;
  /** Egress: the name asked for (SNI, Host, DNS). */
  fqdn?: string;
}

export interface EventRule {
  id: string;
  name: string;
}

/** ATT&CK classification, when the sensor made one. */
export interface EventAttack {
  class: string;
  technique?: string;
  tactic?: string;
  confidence?: number;
}

export interface MeshwardEvent {
  id: string;
  /** ISO 8601. */
  time: string;
  /** Dotted: `http.flow`, `http.policy`, `http.attack`, `dlp.leak`, `tcp.policy`, `process.exec`... */
  kind: string;
  severity: Severity;
  action: EventAction;
  mode: EventMode;
  workload: EventWorkload;
  source?: EventPeer;
  destination?: EventPeer;
  protocol?: string;
  rule?: EventRule | null;
  attack?: EventAttack | null;
  evidence?: Record<string, unknown>;
  /** Kind-specific parts, bounded (see event-validate.ts). */
  [part: string]: unknown;
}

/** An event as ingest hands it on: the checked document, its canonical JSON and the columns the
 * store indexes, computed once. */
export interface IngestedEvent {
  event: MeshwardEvent;
  /** JSON of `event` (what the store keeps). */
  doc: string;
  timeMs: number;
  receivedMs: number;
  severityRank: number;
  /** How it arrived: `http` (a filter's batch), `agent` (the gRPC stream), `derived` (made by the
   * control plane itself: anomalies). */
  origin: 'http' | 'agent' | 'derived';
}

/** `ns/name`. */
export const workloadRef = (w: { namespace: string; name: string }): string => `${w.namespace}/${w.name}`;

/** http.path / grpc method (a TCP flow record: its operation), for the columns that flows are
 * grouped by. */
export function operationOf(e: MeshwardEvent): { method: string; path: string; host: string } {
  const http = e.http as { method?: unknown; path?: unknown; host?: unknown } | undefined;
  const grpc = e.grpc as { service?: unknown; method?: unknown } | undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (e.kind === FLOW_TCP) {
    const tcp = e.tcp as { operation?: unknown } | undefined;
    return { method: tcp && typeof tcp === 'object' ? str(tcp.operation) : '', path: '', host: '' };
  }
  if (grpc && typeof grpc === 'object' && str(grpc.service)) {
    return { method: 'GRPC', path: `/${str(grpc.service)}/${str(grpc.method)}`, host: http && typeof http === 'object' ? str(http.host) : '' };
  }
  if (http && typeof http === 'object') return { method: str(http.method), path: str(http.path), host: str(http.host) };
  return { method: '', path: '', host: '' };
}

/** Aggregated allowed-flow records the filter sends on its tick (docs/flows.md). */
export const FLOW_HTTP = 'flow.http';
export const FLOW_TCP = 'flow.tcp';
export const FLOW_KINDS: readonly string[] = [FLOW_HTTP, FLOW_TCP];

/** The `flow` part of a flow record. */
export interface FlowPart {
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** `2xx` ... `5xx`, or null (no response seen; TCP). */
  statusClass: string | null;
  requestBytes?: number;
  responseBytes?: number;
}

export const isFlowRecord = (e: MeshwardEvent): boolean => e.kind === FLOW_HTTP || e.kind === FLOW_TCP;

/** Requests an event stands for: a flow record's count, else 1. */
export function requestCountOf(e: MeshwardEvent): number {
  if (!isFlowRecord(e)) return 1;
  const n = (e.flow as { count?: unknown } | undefined)?.count;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 1;
}

/** The response status of an event (`http.status`), or a flow record's class × 100; 0: none. */
export function responseStatusOf(e: MeshwardEvent): number {
  if (isFlowRecord(e)) {
    const c = (e.flow as { statusClass?: unknown } | undefined)?.statusClass;
    return typeof c === 'string' && /^[1-5]xx$/.test(c) ? Number(c[0]) * 100 : 0;
  }
  const s = (e.http as { status?: unknown } | undefined)?.status;
  return typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599 ? s : 0;
}

/** Builds an ingested event from a document already checked (derived events, tests). */
export function ingested(event: MeshwardEvent, origin: IngestedEvent['origin'], receivedMs = Date.now()): IngestedEvent {
  return {
    event,
    doc: JSON.stringify(event),
    timeMs: Date.parse(event.time),
    receivedMs,
    severityRank: SEVERITY_RANK[event.severity],
    origin,
  };
}
