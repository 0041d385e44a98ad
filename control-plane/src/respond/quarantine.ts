// Quarantine: the distributor is given, for each quarantined workload, a deny-all policy
// (protect mode, no ingress rule) and no other policy. Since a workload's rules are the union of
// the policies selecting it, adding a deny-all policy alone would block nothing; so the view also
// takes the workload out of other policies' `workloads` lists and replaces its labels with one
// quarantine label that no ordinary `matchLabels` selector names. Lifting the quarantine restores
// the source state as it is.
import type { SecurityPolicy } from '../policy/types.js';
import type { SourceState } from '../sources/local-sources.js';

export const QUARANTINE_LABEL = 'meshward.io/quarantined';

export function quarantinePolicyName(workload: string): string {
  return `quarantine-${workload}`.slice(0, 63).replace(/[-.]+$/, '');
}

/** The state the distributor compiles: `quarantined` holds `ns/name` keys. */
export function quarantineView(state: SourceState, quarantined: ReadonlySet<string>): SourceState {
  if (quarantined.size === 0) return state;
  const targets = state.inventory.filter((w) => quarantined.has(`${w.namespace}/${w.name}`));
  if (targets.length === 0) return state;
  const names = new Set(targets.map((w) => `${w.namespace}/${w.name}`));
  const policies: SecurityPolicy[] = [];
  for (const p of state.policies) {
    const ns = p.metadata.namespace ?? 'default';
    const list = p.spec.selector.workloads;
    if (!list) {
      policies.push(p);
      continue;
    }
    const kept = list.filter((w) => !names.has(`${ns}/${w}`));
    if (kept.length === list.length) policies.push(p);
    else if (kept.length > 0) policies.push({ ...p, spec: { ...p.spec, selector: { workloads: kept } } });
  }
  for (const w of targets) {
    policies.push({
      apiVersion: 'meshward.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: quarantinePolicyName(w.name), namespace: w.namespace, labels: { [QUARANTINE_LABEL]: 'true' } },
      spec: { selector: { workloads: [w.name] }, mode: 'protect', ingress: [] },
    });
  }
  const inventory = state.inventory.map((w) => (names.has(`${w.namespace}/${w.name}`) ? { ...w, labels: { [QUARANTINE_LABEL]: 'true' } } : w));
  return { policies, inventory };
}
