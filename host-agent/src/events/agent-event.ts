// The event document the agent's monitors emit: the envelope of ARCHITECTURE.md ("Contracts
// between rooms"), the same the filter writes, with the agent's kind-specific parts (`process`,
// `file`, `socket`, `channel`). Events of the filter the agent runs (passive or inline
// inspection) pass through unchanged.
import { randomBytes } from 'node:crypto';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type EventAction = 'allow' | 'alert' | 'block' | 'kill';
export type Mode = 'discover' | 'monitor' | 'protect';

export interface EventWorkload {
  namespace: string;
  name: string;
  pod: string;
  container: string;
}

export interface EventPeer {
  ip?: string;
  port?: number;
  principal?: string;
  namespace?: string;
  workload?: string;
}

/** One process as events describe it; `parents` is the chain up to the container's first
 * process (or the host), nearest first, bounded. */
export interface ProcessFacts {
  pid: number;
  ppid: number;
  exe: string;
  args: string[];
  argsTruncated?: boolean;
  uid: number;
  euid: number;
  parents: Array<{ pid: number; exe: string }>;
  /** True when the process was gone before all of it could be read. */
  partial?: boolean;
}

export interface AgentEvent {
  id: string;
  time: string;
  kind: string;
  severity: Severity;
  action: EventAction;
  mode: Mode;
  workload: EventWorkload;
  source?: EventPeer;
  destination?: EventPeer;
  protocol?: string;
  rule: { id: string; name: string } | null;
  attack: { class: string; tactic: string; technique?: string } | null;
  evidence: Record<string, unknown>;
  [part: string]: unknown;
}

const RANDOM = randomBytes(8).toString('hex');
let counter = 0;

/** `evt-<ms hex>-<64 random bits per agent>-<counter hex>`, as the filter makes them. */
export function eventId(ms = Date.now()): string {
  counter = (counter + 1) >>> 0;
  return `evt-${ms.toString(16)}-${RANDOM}-${counter.toString(16)}`;
}

/** What a monitor gives makeEvent: the envelope less id and time, and its kind-specific parts. */
export interface EventInput {
  kind: string;
  severity: Severity;
  action: EventAction;
  mode: Mode;
  workload: EventWorkload;
  source?: EventPeer;
  destination?: EventPeer;
  protocol?: string;
  rule?: AgentEvent['rule'];
  attack?: AgentEvent['attack'];
  evidence?: Record<string, unknown>;
  [part: string]: unknown;
}

export function makeEvent(fields: EventInput): AgentEvent {
  const now = Date.now();
  return { id: eventId(now), time: new Date(now).toISOString(), rule: null, attack: null, evidence: {}, ...fields } as AgentEvent;
}

/** The action a violation gets in a mode: discover allows (and learns), monitor alerts, protect
 * enforces with `enforced` (block or kill). */
export function actionFor(mode: Mode, enforced: 'block' | 'kill'): EventAction {
  return mode === 'protect' ? enforced : mode === 'monitor' ? 'alert' : 'allow';
}
