// A policy's identity. Two policies with the same key cannot coexist: their rule ids would clash.
import { DEFAULT_NAMESPACE, type SecurityPolicy } from './types.js';

export function policyNamespace(policy: SecurityPolicy): string {
  return policy.metadata.namespace ?? DEFAULT_NAMESPACE;
}

/** `<namespace>/<name>`. */
export function policyKey(policy: SecurityPolicy): string {
  return `${policyNamespace(policy)}/${policy.metadata.name}`;
}
