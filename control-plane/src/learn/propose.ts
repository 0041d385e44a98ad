// A baseline → the SecurityPolicy that admits exactly what was observed: one ingress rule per
// caller (by principal, else peer workload, else its address), listing its HTTP operations
// (path templates as `*` segments, paths with the same methods together) and gRPC methods. The
// result is validated like any policy before it is shown or applied.
import { stringify } from 'yaml';
import { validatePolicyObject } from '../policy/load.js';
import type { GrpcMatchSpec, HttpMatchSpec, HttpMethod, IngressRuleSpec, PeerSpec, PolicyMode, SecurityPolicy } from '../policy/types.js';
import { HTTP_METHODS } from '../policy/types.js';
import type { Baseline, Caller } from './baseline.js';
import { policyPath } from './path-template.js';

export interface Proposal {
  policy: SecurityPolicy;
  yaml: string;
  /** What the proposal could not express (unknown methods, overflowed baseline). */
  notes: string[];
}

const slug = (s: string) => s.toLowerCase().replace(/^spiffe:\/\/[^/]+\//, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'caller';

function peerOf(c: Caller): PeerSpec {
  if (c.principal) return { principal: c.principal };
  if (c.namespace && c.workload) return { namespace: c.namespace, workload: c.workload };
  return { ipBlock: c.ip!.includes(':') ? `${c.ip}/128` : `${c.ip}/32` };
}

function callerName(c: Caller): string {
  return c.principal ?? (c.workload ? `${c.namespace}-${c.workload}` : `ip-${c.ip}`);
}

export function proposePolicy(b: Baseline, o: { mode?: PolicyMode; name?: string } = {}): Proposal {
  const notes: string[] = [];
  if (b.overflow > 0) notes.push(`the baseline reached its limits ${b.overflow} times: some behaviour was not recorded`);
  const rules: IngressRuleSpec[] = [];
  const used = new Set<string>();
  const callers = Object.values(b.callers).sort((x, y) => callerName(x).localeCompare(callerName(y)));
  for (const c of callers) {
    const byPath = new Map<string, Set<string>>();
    const grpc = new Map<string, Set<string>>();
    for (const op of Object.keys(c.operations).sort()) {
      const space = op.indexOf(' ');
      const method = op.slice(0, space);
      const path = op.slice(space + 1);
      if (method === 'GRPC') {
        const [, service, m] = path.split('/');
        if (!service) continue;
        if (!grpc.has(service)) grpc.set(service, new Set());
        if (m) grpc.get(service)!.add(m);
        continue;
      }
      if (!(HTTP_METHODS as readonly string[]).includes(method)) {
        notes.push(`${callerName(c)}: method ${JSON.stringify(method)} cannot be written in a policy; left out`);
        continue;
      }
      const p = policyPath(path);
      if (!byPath.has(p)) byPath.set(p, new Set());
      byPath.get(p)!.add(method);
    }
    const byMethods = new Map<string, string[]>();
    for (const [path, methods] of byPath) {
      const key = [...methods].sort().join(',');
      if (!byMethods.has(key)) byMethods.set(key, []);
      byMethods.get(key)!.push(path);
    }
    const http: HttpMatchSpec[] = [...byMethods].map(([methods, paths]) => ({ methods: methods.split(',') as HttpMethod[], paths: paths.sort() }));
    const grpcSpec: GrpcMatchSpec[] = [...grpc].map(([service, methods]) => (methods.size ? { service, methods: [...methods].sort() } : { service }));
    if (http.length === 0 && grpcSpec.length === 0) continue;
    let name = `from-${slug(callerName(c))}`;
    for (let i = 2; used.has(name); i++) name = `from-${slug(callerName(c)).slice(0, 45)}-${i}`;
    used.add(name);
    rules.push({ name, from: [peerOf(c)], ...(http.length ? { http } : {}), ...(grpcSpec.length ? { grpc: grpcSpec } : {}) });
  }
  const name = o.name ?? `${b.workload}-learned`.slice(0, 63).replace(/-+$/, '');
  const candidate = {
    apiVersion: 'meshward.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: { name, namespace: b.namespace, labels: { 'meshward.io/learned': 'true' } },
    spec: { selector: { workloads: [b.workload] }, mode: o.mode ?? 'monitor', ingress: rules },
  };
  const policy = validatePolicyObject(candidate, `learned policy for ${b.namespace}/${b.workload}`);
  const header = `# Learned by Meshward from ${b.events} events of ${b.namespace}/${b.workload}, ${new Date(b.firstMs).toISOString()} to ${new Date(b.lastMs).toISOString()}.\n`
    + notes.map((n) => `# Note: ${n}\n`).join('');
  return { policy, yaml: header + stringify(candidate, { lineWidth: 0 }), notes };
}
