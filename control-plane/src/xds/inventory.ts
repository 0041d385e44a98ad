// The workload inventory the distributor compiles for: who runs, with which labels and service
// account, in which pods on which nodes. It comes from a YAML file locally or from Pods and
// ServiceAccounts in Kubernetes (the lead's policy sources); this package only reads it.
import type { Workload } from '../compile/select.js';

export interface PodEntry {
  /** Pod name, as in an Istio node id (`sidecar~<ip>~<pod>.<ns>~...`). */
  name: string;
  /** The node (host) the pod runs on, for the host agent there. */
  node?: string;
}

export interface WorkloadEntry extends Workload {
  /** The service account its pods run as: the SPIFFE identity allowed to fetch its policy. */
  serviceAccount?: string;
  pods?: readonly PodEntry[];
}

/** `namespace/name`. */
export function workloadId(w: { namespace: string; name: string }): string {
  return `${w.namespace}/${w.name}`;
}

/** ns/serviceaccount → the workloads (`ns/name`) running as it: the identity map the
 * authorizer checks (authorize.ts). Workloads without a service account run as `default`, as
 * Kubernetes would have them. */
export function identityMapFromInventory(inventory: readonly WorkloadEntry[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const w of inventory) {
    const id = `${w.namespace}/${w.serviceAccount || 'default'}`;
    let set = map.get(id);
    if (!set) map.set(id, (set = new Set()));
    set.add(workloadId(w));
  }
  return map;
}
