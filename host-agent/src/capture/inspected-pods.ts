// What passive (monitor-traffic.ts) and inline (inline/monitor-inline.ts) inspection share: which
// pods to inspect, the filter plugin of each one's workload, and naming the pod an event went to.
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import type { AgentEvent } from '../events/agent-event.js';
import { workloadKey } from '../workloads.js';
import type { FilterHost, Plugin } from './filter-host.js';

export type Inspection = 'passive' | 'inline';

/** Log lines start with the name of the monitor doing the inspection. */
const MONITOR: Record<Inspection, string> = { passive: 'traffic', inline: 'inline' };

/** One attributed container per network namespace (by inode) whose workload asks for this
 * inspection and has a filter configuration. */
export function podsToInspect(ctx: AgentContext, inspection: Inspection): Map<number, ContainerInfo> {
  const wanted = new Map<number, ContainerInfo>();
  for (const c of ctx.containers.all()) {
    if (!c.attribution || c.netnsInode === 0) continue;
    const entry = ctx.store.get(workloadOf(c));
    if (entry?.agent.doc.traffic.inspection === inspection && entry.filterConfiguration) wanted.set(c.netnsInode, c);
  }
  return wanted;
}

export interface InspectedWorkload {
  key: string;
  plugin: Plugin;
  /** The workload's `traffic.ports` (empty: every port). */
  ports: readonly number[];
}

/** The plugin of the workload of `c` (a container podsToInspect chose), started or reconfigured.
 * Undefined when the filter refuses the configuration: counted in `configErrors` and logged. */
export async function inspectedWorkload(
  ctx: AgentContext,
  filters: FilterHost,
  inspection: Inspection,
  c: ContainerInfo,
  counters: { configErrors: number },
): Promise<InspectedWorkload | undefined> {
  const entry = ctx.store.get(workloadOf(c))!;
  const key = workloadKey(workloadOf(c));
  try {
    return { key, plugin: await filters.plugin(key, entry.filterConfiguration!, inspection), ports: entry.agent.doc.traffic.ports };
  } catch (err) {
    counters.configErrors++;
    ctx.log('error', `${MONITOR[inspection]}: the filter refused a workload configuration`, { workload: key, error: (err as Error).message });
    return undefined;
  }
}

/** Completes a filter event with the pod and container the connection went to (found by its
 * destination address in `byIp`) and the inspection that saw it. */
export function attributeEvent(e: AgentEvent, byIp: ReadonlyMap<string, ContainerInfo>, inspection: Inspection): void {
  const dst = (e.destination as { ip?: string } | undefined)?.ip;
  const c = dst ? byIp.get(dst) : undefined;
  if (c) e.workload = { ...eventWorkload(c), namespace: e.workload.namespace, name: e.workload.name };
  e.evidence = { ...(e.evidence ?? {}), inspection };
}
