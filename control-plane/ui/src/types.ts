// The REST API's answers as the dashboard reads them (control-plane/src/api/routes-*.ts).

export interface Endpoint {
  ip?: string;
  port?: number;
  principal?: string;
  namespace?: string;
  workload?: string;
}

export interface MeshwardEvent {
  id: string;
  time: string;
  kind: string;
  severity: string;
  action: string;
  mode?: string;
  workload: { namespace: string; name: string; pod?: string; container?: string };
  source?: Endpoint;
  destination?: Endpoint;
  protocol?: string;
  http?: { method?: string; path?: string; host?: string };
  rule?: { id?: string; name?: string } | null;
  attack?: { class?: string; tactic?: string; technique?: string } | null;
  evidence?: Record<string, unknown> | null;
  process?: { pid?: number; exe?: string; args?: string[] };
}

export interface EventItem {
  event: MeshwardEvent;
  receivedMs: number;
  incident: string | null;
}

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
  actions: string[];
  count: number;
  firstMs: number;
  lastMs: number;
  sampleId: string;
  /** Highest response status seen (a flow record's class × 100); 0: none. */
  maxStatus?: number;
}

// The server's own declarations (type-only modules without imports).
export type { Incident, IncidentStep } from '../../src/correlate/incident-shape';

export interface WorkloadState {
  mode?: string;
  modeSinceMs?: number;
  modeReason?: string;
  quarantined?: boolean;
  lastDryRun?: { atMs: number; clean: boolean; blockedFlows: number; version: string };
}

export interface Workload {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  serviceAccount?: string;
  policies: string[];
  policyMode: string;
  mode: string;
  state: WorkloadState;
  baseline: { events: number; callers: number; firstMs: number; lastMs: number; lastChangeMs: number; overflow: number } | null;
}

export type { Baseline, Caller as BaselineCaller } from '../../src/learn/baseline-shape';

export interface PolicySummary {
  namespace: string;
  name: string;
  mode: string;
  yaml: string;
}

export interface Proposal {
  yaml: string;
  notes: string[];
}

export interface BlockedFlow {
  method: string;
  path: string;
  host: string;
  count: number;
  kind: string;
  reason: string;
}

export interface DryRunReport {
  candidate: string[];
  sinceMs: number;
  untilMs: number;
  clean: boolean;
  workloads: Array<{
    namespace: string;
    name: string;
    flows: number;
    requests: number;
    blockedFlows: number;
    blockedRequests: number;
    truncated: boolean;
    blocked: Array<{ caller: Endpoint; flows: BlockedFlow[] }>;
  }>;
}

export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}
