// The node a stream speaks for, read once from its first request: id, cluster, and metadata
// turned from google.protobuf.Struct into plain values.
import type { NodeMsg, StructMsg, ValueMsg } from './messages.js';

export interface NodeInfo {
  id: string;
  cluster: string;
  /** Node metadata as plain JSON values (Istio puts NAMESPACE, WORKLOAD_NAME, LABELS here). */
  metadata: Record<string, unknown>;
  userAgent: string;
}

export function nodeInfo(node: NodeMsg): NodeInfo {
  return {
    id: node.id ?? '',
    cluster: node.cluster ?? '',
    metadata: node.metadata ? structToJson(node.metadata) : {},
    userAgent: node.user_agent_name ?? '',
  };
}

/** Bounded: Struct values nest, and a node's metadata comes from the network. */
const MAX_DEPTH = 16;

export function structToJson(struct: StructMsg, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth > MAX_DEPTH) return out;
  for (const [k, v] of Object.entries(struct.fields ?? {})) out[k] = valueToJson(v, depth + 1);
  return out;
}

function valueToJson(v: ValueMsg, depth: number): unknown {
  if (Object.hasOwn(v, 'stringValue')) return v.stringValue;
  if (Object.hasOwn(v, 'numberValue')) return v.numberValue;
  if (Object.hasOwn(v, 'boolValue')) return v.boolValue;
  if (Object.hasOwn(v, 'structValue') && v.structValue) return structToJson(v.structValue, depth);
  if (Object.hasOwn(v, 'listValue') && v.listValue) {
    return depth > MAX_DEPTH ? [] : (v.listValue.values ?? []).map((x) => valueToJson(x, depth + 1));
  }
  return null;
}
