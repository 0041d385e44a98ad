// One workload must not fetch another's policy: with mTLS on the xDS port, the SPIFFE identity
// in the client certificate (spiffe://<trust domain>/ns/<ns>/sa/<service account>) must be one
// the identity map allows for the snapshot the node asks for. Refusals end the stream with
// PERMISSION_DENIED and are counted (metrics.denied).
import type { AuthorizeRequest, AuthorizeResult } from './stream.js';
import { targetOfKey } from './node-key.js';

export interface SpiffeId {
  uri: string;
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** A Kubernetes workload SPIFFE id, or undefined for any other URI. */
export function parseSpiffeId(uri: string): SpiffeId | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  return m ? { uri, trustDomain: m[1], namespace: m[2], serviceAccount: m[3] } : undefined;
}

export interface IdentityRules {
  /** `<namespace>/<service account>` → the workloads (`<namespace>/<name>`) it may fetch. */
  workloads: ReadonlyMap<string, ReadonlySet<string>>;
  /** `<namespace>/<service account>` of host agents, which may fetch any node's agent config. */
  agents?: ReadonlySet<string>;
  /** When set, identities of other trust domains are refused. */
  trustDomain?: string;
  /** Let streams without a verified client certificate through (plaintext development setups).
   * Default false: without mTLS every stream is refused. */
  allowUnauthenticated?: boolean;
}

/**
 * An authorizer for XdsServerOptions.authorize. `rules` may be a function, read on every new
 * stream, so the identity map can follow the inventory.
 */
export function identityAuthorizer(rules: IdentityRules | (() => IdentityRules)): (request: AuthorizeRequest) => AuthorizeResult {
  const current = typeof rules === 'function' ? rules : () => rules;
  return ({ peer, key }) => {
    const r = current();
    if (!peer.authenticated) {
      return r.allowUnauthenticated ? { allowed: true } : { allowed: false, reason: 'a client certificate is required on this xDS port' };
    }
    const ids = peer.uriSans.map(parseSpiffeId).filter((x): x is SpiffeId => x !== undefined);
    if (ids.length === 0) return { allowed: false, reason: 'the client certificate carries no SPIFFE URI SAN (spiffe://<trust domain>/ns/<ns>/sa/<sa>)' };
    const target = targetOfKey(key);
    if (!target) return { allowed: false, reason: `snapshot ${JSON.stringify(key)} is not a workload's or an agent's` };
    for (const id of ids) {
      if (r.trustDomain !== undefined && id.trustDomain !== r.trustDomain) continue;
      const who = `${id.namespace}/${id.serviceAccount}`;
      if (target.kind === 'agent' && r.agents?.has(who)) return { allowed: true };
      if (target.kind === 'workload' && r.workloads.get(who)?.has(`${target.namespace}/${target.name}`)) return { allowed: true };
    }
    const what = target.kind === 'agent' ? `the agent configuration of node ${target.node}` : `the policy of workload ${target.namespace}/${target.name}`;
    return { allowed: false, reason: `identity ${ids.map((i) => i.uri).join(', ')} may not fetch ${what}` };
  };
}
