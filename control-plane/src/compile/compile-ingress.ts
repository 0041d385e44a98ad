// spec.ingress → FilterConfig.ingress. Normalises what validation allows in several spellings
// (host case, duplicates, `*` among gRPC methods) so that equal policies compile to equal bytes;
// it also accepts policies built in code, which may not have gone through YAML validation.
import { policyKey } from '../policy/key.js';
import type { GrpcMatchSpec, HttpMatchSpec, PeerSpec, SecurityPolicy } from '../policy/types.js';
import type { GrpcMatch, HttpMatch, IngressRule, PeerMatch } from './filter-config.js';
import { compileTcpFields } from './compile-tcp.js';

export function compileIngress(policy: SecurityPolicy): IngressRule[] {
  const prefix = policyKey(policy);
  return (policy.spec.ingress ?? []).map((rule) => ({
    id: `${prefix}/${rule.name}`,
    name: rule.name,
    from: (rule.from ?? []).map(compilePeer),
    http: (rule.http ?? []).map(compileHttp),
    grpc: (rule.grpc ?? []).map(compileGrpc),
    ...compileTcpFields(rule),
  }));
}

function compilePeer(peer: PeerSpec): PeerMatch {
  const out: PeerMatch = {};
  if (peer.principal !== undefined) out.principal = peer.principal;
  if (peer.namespace !== undefined) out.namespace = peer.namespace;
  if (peer.workload !== undefined) out.workload = peer.workload;
  if (peer.ipBlock !== undefined) out.ipBlock = peer.ipBlock.toLowerCase(); // IPv6 hex digits
  return out;
}

function compileHttp(match: HttpMatchSpec): HttpMatch {
  return {
    methods: unique((match.methods ?? []).map((m) => m.toUpperCase())),
    paths: unique(match.paths ?? []),
    hosts: unique((match.hosts ?? []).map((h) => h.toLowerCase())),
  };
}

function compileGrpc(match: GrpcMatchSpec): GrpcMatch {
  const methods = match.methods ?? [];
  // `*` among the methods matches any, which the filter spells as the empty list.
  return { service: match.service, methods: methods.includes('*') ? [] : unique(methods) };
}

/** First occurrences, in order. */
function unique(values: string[]): string[] {
  return [...new Set(values)];
}
