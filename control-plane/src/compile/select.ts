// Which policies apply to a workload, in which order, and the mode they add up to.
import { policyKey, policyNamespace } from '../policy/key.js';
import { DEFAULT_POLICY_MODE, type SecurityPolicy } from '../policy/types.js';
import type { Mode } from './filter-config.js';

/** The workload a configuration is compiled for. */
export interface Workload {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** A policy selects workloads of its own namespace only: by all of its `matchLabels`, or by
 * name in `workloads`. */
export function selects(policy: SecurityPolicy, workload: Workload): boolean {
  if (policyNamespace(policy) !== workload.namespace) return false;
  const { matchLabels, workloads } = policy.spec.selector;
  if (matchLabels) {
    const pairs = Object.entries(matchLabels);
    // An empty selector never reaches here from YAML; from code it must not select everything.
    return pairs.length > 0 && pairs.every(([k, v]) => Object.hasOwn(workload.labels, k) && workload.labels[k] === v);
  }
  return workloads?.includes(workload.name) ?? false;
}

/** The policies selecting `workload`, sorted by `namespace/name` (code-unit order, so the same
 * on every machine), whatever order they were given in. */
export function selectPolicies(policies: readonly SecurityPolicy[], workload: Workload): SecurityPolicy[] {
  return policies
    .filter((p) => selects(p, workload))
    .map((p) => ({ key: policyKey(p), p }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ p }) => p);
}

const STRICTNESS: Record<Mode, number> = { discover: 0, monitor: 1, protect: 2 };

/** protect > monitor > discover; a policy without a mode counts as DEFAULT_POLICY_MODE; no
 * policy at all is `discover`. */
export function strictestMode(policies: readonly SecurityPolicy[]): Mode {
  let mode: Mode = 'discover';
  for (const p of policies) {
    const m = p.spec.mode ?? DEFAULT_POLICY_MODE;
    if (STRICTNESS[m] > STRICTNESS[mode]) mode = m;
  }
  return mode;
}
