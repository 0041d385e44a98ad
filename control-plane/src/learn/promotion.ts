// Promotion rules. discover → monitor: a workload still in discover (no policy selects it, or
// only discover ones, and no mode set) whose baseline learned nothing new for `quietMs` gets its
// learned policy applied in monitor mode. monitor → protect happens only on command, and only
// after a clean dry-run of the workload's policies in protect mode over a recent window (or when
// forced); `setMode` carries that rule.
import { compile } from '../compile/compile.js';
import type { PolicyMode, SecurityPolicy } from '../policy/types.js';
import type { WorkloadEntry } from '../xds/inventory.js';
import type { DryRunReport } from './dry-run.js';
import type { Learner } from './learner.js';
import { proposePolicy } from './propose.js';
import type { WorkloadStates } from './workload-states.js';

export interface PromotionDeps {
  states: WorkloadStates;
  learner: Learner;
  policies(): readonly SecurityPolicy[];
  inventory(): readonly WorkloadEntry[];
  /** Applies policy YAML (policy writer). */
  apply(yaml: string): Promise<unknown>;
  /** Dry-run of YAML over the last `sinceMs`. */
  dryRun(yaml: string, sinceMs: number): Promise<DryRunReport>;
  /** YAML of the policies that select a workload now. */
  policiesYaml(namespace: string, workload: string): string | undefined;
}

export class PromotionError extends Error {
  override readonly name = 'PromotionError';
  constructor(readonly code: 'PROMOTION_DRY_RUN_FAILED' | 'PROMOTION_NO_POLICY', message: string, readonly report?: DryRunReport) {
    super(message);
  }
}

/** The mode the policies give a workload, ignoring any state override. */
export function policyMode(policies: readonly SecurityPolicy[], w: WorkloadEntry): PolicyMode {
  return compile(policies, { namespace: w.namespace, name: w.name, labels: w.labels ?? {} }, { events: { cluster: '' } }).config.mode;
}

export class Promoter {
  promoted = 0;

  constructor(private readonly d: PromotionDeps, private readonly quietMs: number | undefined) {}

  /** Applies discover → monitor where due; returns the workloads promoted. */
  async tick(now = Date.now()): Promise<string[]> {
    if (this.quietMs === undefined) return [];
    const done: string[] = [];
    for (const w of this.d.inventory()) {
      const state = this.d.states.get(w.namespace, w.name);
      if (state.mode !== undefined || policyMode(this.d.policies(), w) !== 'discover') continue;
      const b = this.d.learner.baseline(w.namespace, w.name);
      if (!b || b.events === 0 || now - b.lastChangeMs < this.quietMs) continue;
      await this.d.apply(proposePolicy(b, { mode: 'monitor' }).yaml);
      await this.d.states.update(w.namespace, w.name, (s) => ({ ...s, modeReason: `learned policy applied in monitor after ${Math.round(this.quietMs! / 3600_000)}h without new behaviour`, modeSinceMs: now }));
      this.promoted++;
      done.push(`${w.namespace}/${w.name}`);
    }
    return done;
  }

  /** Sets a workload's mode. protect needs a clean dry-run over `sinceMs` unless forced. */
  async setMode(namespace: string, workload: string, mode: PolicyMode | undefined, o: { force?: boolean; sinceMs?: number } = {}): Promise<{ report?: DryRunReport }> {
    let report: DryRunReport | undefined;
    if (mode === 'protect' && !o.force) {
      const yaml = this.d.policiesYaml(namespace, workload);
      if (!yaml) throw new PromotionError('PROMOTION_NO_POLICY', `no policy selects ${namespace}/${workload}: protect would block all its traffic; apply a (learned) policy first`);
      report = await this.d.dryRun(yaml, o.sinceMs ?? Date.now() - 24 * 3600_000);
      const mine = report.workloads.find((r) => r.namespace === namespace && r.name === workload);
      const blocked = mine?.blockedFlows ?? 0;
      await this.d.states.update(namespace, workload, (s) => ({ ...s, lastDryRun: { atMs: Date.now(), clean: blocked === 0, blockedFlows: blocked, version: mine?.version ?? '' } }));
      if (blocked > 0) throw new PromotionError('PROMOTION_DRY_RUN_FAILED', `the dry-run of ${namespace}/${workload} in protect mode would block ${blocked} recorded flows; fix the policy or force`, report);
    }
    await this.d.states.update(namespace, workload, (s) => ({ ...s, mode, modeSinceMs: Date.now(), modeReason: mode ? (o.force ? 'command (forced)' : 'command') : undefined }));
    return { report };
  }
}
