// Which snapshot answers a node: a workload's (sidecars and `meshward proxy`) or a host agent's.
//
// Sidecar or proxy, in this order:
// 1. Istio node metadata: NAMESPACE and WORKLOAD_NAME (as istio-agent sets them; LABELS is
//    carried along but the inventory's labels are the ones compiled).
// 2. The Istio node id `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`: the pod is
//    looked up in the inventory (pod → workload); a pod the inventory does not know is an error,
//    not a guess from the pod's name.
// Host agent: metadata MESHWARD_ROLE = "agent" with NODE_NAME, or the id `agent~<node name>`.
//
// Keys: `workload/<namespace>/<name>` and `agent/<node>`.
import { XdsError } from './errors.js';
import type { NodeInfo } from './node.js';

export type NodeTarget =
  | { kind: 'workload'; namespace: string; name: string; pod: string | undefined }
  | { kind: 'agent'; node: string };

export interface NodeResolverOptions {
  /** The workload name of a pod, from the inventory; undefined when unknown. */
  podWorkload?(namespace: string, pod: string): string | undefined;
}

export function workloadKey(namespace: string, name: string): string {
  return `workload/${namespace}/${name}`;
}

export function agentKey(node: string): string {
  return `agent/${node}`;
}

/** The target a key names (the inverse of workloadKey and agentKey). */
export function targetOfKey(key: string): NodeTarget | undefined {
  const parts = key.split('/');
  if (parts[0] === 'workload' && parts.length === 3) return { kind: 'workload', namespace: parts[1], name: parts[2], pod: undefined };
  if (parts[0] === 'agent' && parts.length === 2) return { kind: 'agent', node: parts[1] };
  return undefined;
}

/** What a node is, or XdsError(XDS_NODE_UNKNOWN) saying what it lacks. */
export function resolveNode(node: NodeInfo, options: NodeResolverOptions = {}): NodeTarget {
  const md = node.metadata;
  const str = (k: string): string | undefined => (typeof md[k] === 'string' && md[k] !== '' ? (md[k] as string) : undefined);
  const idParts = node.id.split('~');

  if (str('MESHWARD_ROLE') === 'agent') {
    const name = str('NODE_NAME');
    if (!name) throw new XdsError('XDS_NODE_UNKNOWN', 'metadata MESHWARD_ROLE is "agent" but NODE_NAME is missing');
    return { kind: 'agent', node: checkName('NODE_NAME', name) };
  }
  if (idParts[0] === 'agent' && idParts.length === 2 && idParts[1] !== '') return { kind: 'agent', node: checkName('node id', idParts[1]) };

  // Istio: <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>
  let pod: string | undefined;
  let idNamespace: string | undefined;
  if (idParts.length === 4 && idParts[2].includes('.')) {
    const dot = idParts[2].indexOf('.');
    pod = idParts[2].slice(0, dot);
    idNamespace = idParts[2].slice(dot + 1);
  }
  const namespace = str('NAMESPACE') ?? idNamespace;
  if (idNamespace !== undefined && namespace !== idNamespace) {
    throw new XdsError('XDS_NODE_UNKNOWN', `metadata NAMESPACE ${JSON.stringify(namespace)} disagrees with the node id's namespace ${JSON.stringify(idNamespace)}`);
  }
  const workload = str('WORKLOAD_NAME') ?? (namespace && pod ? options.podWorkload?.(namespace, pod) : undefined);
  if (namespace && workload) return { kind: 'workload', namespace: checkName('NAMESPACE', namespace), name: checkName('WORKLOAD_NAME', workload), pod };
  if (namespace && pod) {
    throw new XdsError('XDS_NODE_UNKNOWN', `pod ${namespace}/${pod} is not in the workload inventory, and the node metadata has no WORKLOAD_NAME`);
  }
  throw new XdsError(
    'XDS_NODE_UNKNOWN',
    'names no workload: set node metadata NAMESPACE and WORKLOAD_NAME, or use an Istio node id sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local; a host agent sets MESHWARD_ROLE=agent and NODE_NAME',
  );
}

/** node → snapshot key, for XdsServerOptions.nodeKey. */
export function meshwardNodeKey(options: NodeResolverOptions = {}): (node: NodeInfo) => string {
  return (node) => {
    const t = resolveNode(node, options);
    return t.kind === 'agent' ? agentKey(t.node) : workloadKey(t.namespace, t.name);
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Kubernetes names: a namespace is a DNS label, a workload or node name a DNS subdomain. None
 * may hold `/` (which separates key parts), and a namespace holds no `.` (so the resource name
 * meshward.http.<namespace>.<name> splits one way only). */
function checkName(what: 'NAMESPACE' | 'WORKLOAD_NAME' | 'NODE_NAME' | 'node id', value: string): string {
  const pattern = what === 'NAMESPACE' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (value.length > 253 || !pattern.test(value)) {
    const rule = what === 'NAMESPACE' ? "lower-case letters, digits and '-'" : "lower-case letters, digits, '-' and '.'";
    throw new XdsError('XDS_NODE_UNKNOWN', `${what} ${JSON.stringify(value)} is not a Kubernetes name (${rule})`);
  }
  return value;
}
