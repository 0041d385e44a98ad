// What the monitors share: the addon, where events go, the configurations, the containers and
// processes seen so far, and what discover mode learned. The agent (agent.ts) builds one.
import type { ContainerInfo, ContainerRegistry } from './attribution/containers.js';
import type { WorkloadRef } from './attribution/resolver.js';
import type { EventWorkload } from './events/agent-event.js';
import type { EventSink } from './events/event-sink.js';
import type { Baseline } from './monitors/baseline.js';
import type { ProcessTable } from './monitors/process-table.js';
import type { NativeAddon } from './native/native.js';
import type { LogLevel } from './wasm-host/api.js';
import type { PolicyStore } from './workloads.js';

export type AgentLog = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface AgentContext {
  native: NativeAddon;
  sink: EventSink;
  store: PolicyStore;
  containers: ContainerRegistry;
  processes: ProcessTable;
  baseline: Baseline;
  log: AgentLog;
  procRoot: string;
}

/** The workload of an attributed container; a container nobody could name is reported under
 * namespace `unknown`, named by its id. */
export function workloadOf(c: ContainerInfo): WorkloadRef {
  return c.attribution?.workload ?? { namespace: 'unknown', name: `container-${c.ref.id.slice(0, 12)}` };
}

export function eventWorkload(c: ContainerInfo): EventWorkload {
  const w = workloadOf(c);
  return { namespace: w.namespace, name: w.name, pod: c.attribution?.pod?.name ?? '', container: c.attribution?.containerName ?? c.ref.id.slice(0, 12) };
}
