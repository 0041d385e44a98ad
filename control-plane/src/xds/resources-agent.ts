// The host agent's resource: one meshward.v1.AgentConfig per node, named meshward.agent.<node>,
// with the compiled configuration of every workload that has a pod there.
import { encodeTrusted } from './proto-root.js';
import { makeResource, type Resource } from './resource.js';
import { TYPE_URL } from './type-urls.js';

export interface AgentWorkload {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  serviceAccount?: string;
  /** Pods of the workload on this node. */
  pods: readonly string[];
  /** Compiled configuration JSON and its version. */
  configuration: string;
  version: string;
  /** The compiled host-agent configuration JSON and its version. */
  agentConfiguration?: string;
  agentVersion?: string;
}

export function agentResourceName(node: string): string {
  return `meshward.agent.${node}`;
}

/** The AgentConfig of `node`. Workloads, pods and labels are sorted, so the same content gives
 * the same bytes (and version) whatever order they came in. */
export function agentResource(node: string, workloads: readonly AgentWorkload[]): Resource {
  const sorted = [...workloads].sort((a, b) => cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
  // encodeTrusted: a fixed shape, decoded field by field in resources.test.ts.
  const body = encodeTrusted(TYPE_URL.agentConfig, {
    node,
    workloads: sorted.map((w) => ({
      namespace: w.namespace,
      name: w.name,
      labels: Object.fromEntries(Object.entries(w.labels).sort(([a], [b]) => cmp(a, b))),
      service_account: w.serviceAccount ?? '',
      pods: [...w.pods].sort(cmp),
      configuration: w.configuration,
      version: w.version,
      agent_configuration: w.agentConfiguration ?? '',
      agent_version: w.agentVersion ?? '',
    })),
  });
  return makeResource(TYPE_URL.agentConfig, agentResourceName(node), body);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
