// The node a client announces: Istio-shaped, so the control plane maps it to a workload the way
// it maps an Envoy sidecar (metadata NAMESPACE and WORKLOAD_NAME, id sidecar~<ip>~<pod>.<ns>~...),
// or a host agent (metadata MESHWARD_ROLE=agent and NODE_NAME, id agent~<node>).

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface NodeDescription {
  id: string;
  cluster?: string;
  metadata?: Record<string, JsonValue>;
}

export interface SidecarIdentity {
  namespace: string;
  name: string;
  /** Pod name (default: the workload name). */
  pod?: string;
  /** Pod IP (default 127.0.0.1). */
  ip?: string;
  labels?: Record<string, string>;
}

export function sidecarNode(w: SidecarIdentity): NodeDescription {
  const pod = w.pod ?? w.name;
  const metadata: Record<string, JsonValue> = { NAMESPACE: w.namespace, WORKLOAD_NAME: w.name, NAME: pod };
  if (w.labels) metadata.LABELS = { ...w.labels };
  return { id: `sidecar~${w.ip ?? '127.0.0.1'}~${pod}.${w.namespace}~${w.namespace}.svc.cluster.local`, cluster: `${w.name}.${w.namespace}`, metadata };
}

export function agentNode(nodeName: string): NodeDescription {
  return { id: `agent~${nodeName}`, cluster: 'meshward-agent', metadata: { MESHWARD_ROLE: 'agent', NODE_NAME: nodeName } };
}

/** The envoy.config.core.v3.Node message (plain object for protobufjs fromObject). */
export function nodeMessage(node: NodeDescription): Record<string, unknown> {
  return {
    id: node.id,
    cluster: node.cluster ?? '',
    metadata: node.metadata ? toStruct(node.metadata) : undefined,
    user_agent_name: 'meshward',
  };
}

function toStruct(obj: Record<string, JsonValue>): Record<string, unknown> {
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toValue(v)])) };
}

// google.protobuf.Value: protobufjs's bundled well-known types keep camelCase field names.
function toValue(v: JsonValue): Record<string, unknown> {
  if (v === null) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}
