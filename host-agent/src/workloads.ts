// The compiled configurations the agent holds, per workload on this node: its own (processes,
// files, ports, channels, traffic) and the filter's (for passive and inline inspection). They
// come from the control plane (AgentConfig over ADS) or, without one, from `--policy` files the
// CLI compiles. An update is applied whole or not at all: one bad document keeps the previous
// set in force (and the reason goes back as a NACK).
import type { AgentConfig } from './xds/agent-client.js';
import { defaultAgentPolicy, parseAgentPolicy, type Mode, type WorkloadAgentPolicy } from './agent-config.js';
import type { WorkloadRef } from './attribution/resolver.js';

export interface WorkloadConfigEntry {
  namespace: string;
  name: string;
  pods: string[];
  /** The filter's compiled configuration (JSON), when it has one. */
  filterConfiguration?: string;
  agent: WorkloadAgentPolicy;
}

export interface WorkloadInput {
  namespace: string;
  name: string;
  pods?: string[];
  filterConfiguration?: string;
  /** The compiled agent configuration JSON; empty: every monitor in discover. */
  agentConfiguration?: string;
}

export type StoreListener = (changed: ReadonlySet<string>) => void;

export const workloadKey = (w: { namespace: string; name: string }): string => `${w.namespace}/${w.name}`;

export class PolicyStore {
  private byKey = new Map<string, WorkloadConfigEntry>();
  private pods = new Map<string, string>();
  private readonly listeners: StoreListener[] = [];
  private readonly defaults = new Map<string, WorkloadAgentPolicy>();
  version = '';

  /** `defaultMode`: the monitors' mode for a workload the configuration does not name. */
  constructor(private readonly defaultMode: Mode = 'discover') {}

  onChange(l: StoreListener): void {
    this.listeners.push(l);
  }

  /** Replaces every workload; throws (and changes nothing) when a document is invalid. */
  replace(inputs: readonly WorkloadInput[], version = ''): void {
    const next = new Map<string, WorkloadConfigEntry>();
    const pods = new Map<string, string>();
    for (const w of inputs) {
      const key = workloadKey(w);
      let agent: WorkloadAgentPolicy;
      try {
        agent = w.agentConfiguration ? parseAgentPolicy(w.agentConfiguration) : defaultAgentPolicy(w);
      } catch (err) {
        throw new Error(`workload ${key}: agent configuration refused: ${(err as Error).message}`);
      }
      next.set(key, { namespace: w.namespace, name: w.name, pods: w.pods ?? [], filterConfiguration: w.filterConfiguration || undefined, agent });
      for (const p of w.pods ?? []) pods.set(`${w.namespace}/${p}`, w.name);
    }
    const changed = new Set<string>();
    for (const [k, v] of next) {
      const old = this.byKey.get(k);
      if (!old || old.agent.doc.version !== v.agent.doc.version || old.filterConfiguration !== v.filterConfiguration) changed.add(k);
    }
    for (const k of this.byKey.keys()) if (!next.has(k)) changed.add(k);
    this.byKey = next;
    this.pods = pods;
    this.version = version;
    if (changed.size > 0) for (const l of this.listeners) l(changed);
  }

  /** An AgentConfig from the control plane: applied whole, or refused with the reason. */
  applyAgentConfig(config: AgentConfig, version: string): { ok: true } | { ok: false; reason: string } {
    try {
      this.replace(
        config.workloads.map((w) => ({ namespace: w.namespace, name: w.name, pods: w.pods, filterConfiguration: w.configuration, agentConfiguration: w.agentConfiguration })),
        version,
      );
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  get(w: WorkloadRef): WorkloadConfigEntry | undefined {
    return this.byKey.get(workloadKey(w));
  }

  policyFor(w: WorkloadRef): WorkloadAgentPolicy {
    const entry = this.byKey.get(workloadKey(w));
    if (entry) return entry.agent;
    const key = workloadKey(w);
    let d = this.defaults.get(key);
    if (!d) this.defaults.set(key, (d = defaultAgentPolicy(w, this.defaultMode)));
    return d;
  }

  podWorkload = (namespace: string, pod: string): string | undefined => this.pods.get(`${namespace}/${pod}`);

  entries(): IterableIterator<WorkloadConfigEntry> {
    return this.byKey.values();
  }
}
