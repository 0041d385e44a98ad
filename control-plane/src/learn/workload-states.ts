// Per-workload state the control plane adds on top of policy: a mode set by promotion or by
// command (it overrides the policies' mode when compiling), quarantine (respond/), and the last
// dry-run. Kept in the store, so it survives restarts and is shared by PostgreSQL replicas.
import type { PolicyMode } from '../policy/types.js';
import type { EventStore } from '../store/store.js';

export interface WorkloadState {
  namespace: string;
  workload: string;
  /** Overrides the policies' mode. */
  mode?: PolicyMode;
  modeSinceMs?: number;
  /** Why the mode was set: `promotion after 24h quiet`, `command`. */
  modeReason?: string;
  quarantined?: boolean;
  quarantineSinceMs?: number;
  quarantineReason?: string;
  lastDryRun?: { atMs: number; clean: boolean; blockedFlows: number; version: string };
}

export class WorkloadStates {
  private readonly states = new Map<string, WorkloadState>();
  /** The stored document of each state, to see another replica's changes. */
  private readonly docs = new Map<string, string>();
  private readonly listeners: Array<(s: WorkloadState) => void> = [];

  private constructor(private readonly store: EventStore) {}

  static async load(store: EventStore): Promise<WorkloadStates> {
    const s = new WorkloadStates(store);
    await s.refresh();
    return s;
  }

  get(namespace: string, workload: string): WorkloadState {
    return this.states.get(`${namespace}/${workload}`) ?? { namespace, workload };
  }

  all(): WorkloadState[] {
    return [...this.states.values()];
  }

  /** Called after every change (the control plane recompiles). */
  onChange(listener: (s: WorkloadState) => void): void {
    this.listeners.push(listener);
  }

  /** Takes the states changed in the store since the last look (another replica's mode switch,
   * quarantine or dry-run), telling the listeners of each. Returns how many changed. */
  async refresh(): Promise<number> {
    let changed = 0;
    for (const d of await this.store.listWorkloadStates()) {
      const key = `${d.namespace}/${d.workload}`;
      if (this.docs.get(key) === d.doc) continue;
      const next = JSON.parse(d.doc) as WorkloadState;
      this.states.set(key, next);
      this.docs.set(key, d.doc);
      changed++;
      for (const l of this.listeners) l(next);
    }
    return changed;
  }

  async update(namespace: string, workload: string, change: (s: WorkloadState) => WorkloadState): Promise<WorkloadState> {
    const next = change({ ...this.get(namespace, workload) });
    const doc = JSON.stringify(next);
    await this.store.saveWorkloadState({ namespace, workload, updatedMs: Date.now(), doc });
    this.states.set(`${namespace}/${workload}`, next);
    this.docs.set(`${namespace}/${workload}`, doc);
    for (const l of this.listeners) l(next);
    return next;
  }
}
