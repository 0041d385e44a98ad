// The incident as the API serves it: types only, no imports, so that the dashboard
// (control-plane/ui) reads the same declaration the correlator writes.

export interface IncidentStep {
  tactic: string;
  technique: string;
  name: string;
  kind: string;
  workload: string;
  firstMs: number;
  lastMs: number;
  count: number;
  severity: string;
  /** The first events of the step (at most EVENT_IDS_PER_STEP). */
  eventIds: string[];
}

export interface Incident {
  id: string;
  status: 'open' | 'resolved';
  title: string;
  severity: string;
  namespace: string;
  workload: string;
  workloads: string[];
  peers: string[];
  /** `pod#pid` of the processes involved. */
  processes: string[];
  /** In kill-chain order. */
  tactics: string[];
  firstMs: number;
  lastMs: number;
  eventCount: number;
  steps: IncidentStep[];
  /** Steps not kept because the incident reached its step limit. */
  stepsOverflow: number;
}
