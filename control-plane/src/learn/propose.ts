// A baseline → the SecurityPolicy that admits what was observed: one ingress rule per caller
// (by principal, else peer workload, else its address), listing its HTTP operations (path
// templates as `*` segments, paths with the same methods together), gRPC methods, and its
// PostgreSQL/MySQL statements and tables, Redis commands and keys (propose-tcp.ts); egress by
// TLS server name, and the host agent's sections (processes, files, ports, channels) when the
// baseline has them (propose-workload.ts). The result is validated like any policy before it is
// shown or applied; what could not be expressed is listed in `notes` (and in the YAML header).
import { stringify } from 'yaml';
import { validatePolicyObject } from '../policy/load.js';
import type { GrpcMatchSpec, HttpMatchSpec, HttpMethod, IngressRuleSpec, PeerSpec, PolicyMode, SecurityPolicy, SecurityPolicySpec } from '../policy/types.js';
import { HTTP_METHODS } from '../policy/types.js';
import type { Baseline, Caller } from './baseline.js';
import { policyPath } from './path-template.js';
import { protocolsFor, redisEntries, sqlEntries, TcpOperations } from './propose-tcp.js';
import { proposeChannels, proposeEgress, proposeFiles, proposePorts, proposeProcesses } from './propose-workload.js';

export interface Proposal {
  policy: SecurityPolicy;
  yaml: string;
  /** What the proposal could not express (unknown methods, overflowed baseline, ...). */
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

/** The rule of one caller without its name, or undefined when nothing it did can be written. */
function ruleOf(c: Caller, notes: string[]): Omit<IngressRuleSpec, 'name'> | undefined {
  const who = callerName(c);
  const byPath = new Map<string, Set<string>>();
  const grpc = new Map<string, Set<string>>();
  const tcp = new TcpOperations();
  for (const op of Object.keys(c.operations).sort()) {
    if (tcp.add(op)) continue;
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
      notes.push(`${who}: method ${JSON.stringify(method)} cannot be written in a policy; left out`);
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
  const rule: Omit<IngressRuleSpec, 'name'> = { from: [peerOf(c)] };
  if (http.length) rule.http = http;
  if (grpcSpec.length) rule.grpc = grpcSpec;
  if (!tcp.empty) {
    const postgres = sqlEntries(tcp.sql.get('postgres') ?? [], notes, who, 'postgres');
    const mysql = sqlEntries(tcp.sql.get('mysql') ?? [], notes, who, 'mysql');
    const redis = redisEntries(tcp.redis, notes, who);
    const protocols = protocolsFor(tcp.connections, { postgres: postgres.length > 0, mysql: mysql.length > 0, redis: redis.length > 0, http: http.length + grpcSpec.length > 0 }, notes, who);
    if (protocols) rule.protocols = protocols;
    if (postgres.length) rule.postgres = postgres;
    if (mysql.length) rule.mysql = mysql;
    if (redis.length) rule.redis = redis;
  }
  // A rule with nothing but `from` would admit anything from the caller.
  return Object.keys(rule).length > 1 ? rule : undefined;
}

export function proposePolicy(b: Baseline, o: { mode?: PolicyMode; name?: string } = {}): Proposal {
  const notes: string[] = [];
  if (b.overflow > 0) notes.push(`the baseline reached its limits ${b.overflow} times: some behaviour was not recorded`);
  const rules: IngressRuleSpec[] = [];
  const used = new Set<string>();
  const callers = Object.values(b.callers).sort((x, y) => callerName(x).localeCompare(callerName(y)));
  let redisKeys = false;
  for (const c of callers) {
    const rule = ruleOf(c, notes);
    if (!rule) continue;
    if (rule.redis?.some((e) => e.keys)) redisKeys = true;
    let name = `from-${slug(callerName(c))}`;
    for (let i = 2; used.has(name); i++) name = `from-${slug(callerName(c)).slice(0, 45)}-${i}`;
    used.add(name);
    rules.push({ name, ...rule });
  }
  if (redisKeys) {
    notes.push('Redis keys are learned from the first use of each command on each connection (all that discover mode reports), generalised to prefixes (`user:*`): review `keys` before protect');
  }
  const skipped = Object.entries(b.skipped ?? {});
  if (skipped.length > 0) {
    notes.push(`not learned: ${skipped.sort(([, x], [, y]) => y - x).slice(0, 5).map(([k, n]) => `${k} (${n})`).join('; ')}${skipped.length > 5 ? `; and ${skipped.length - 5} more` : ''}`);
  }
  const spec: SecurityPolicySpec = { selector: { workloads: [b.workload] }, mode: o.mode ?? 'monitor', ingress: rules };
  const egress = proposeEgress(b, notes);
  if (egress) spec.egress = egress;
  const processes = proposeProcesses(b, notes);
  if (processes) spec.processes = processes;
  const files = proposeFiles(b, notes);
  if (files) spec.files = files;
  const ports = proposePorts(b, notes);
  if (ports) spec.ports = ports;
  const channels = proposeChannels(b, notes);
  if (channels) spec.channels = channels;
  const name = o.name ?? `${b.workload}-learned`.slice(0, 63).replace(/-+$/, '');
  const candidate = {
    apiVersion: 'meshward.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: { name, namespace: b.namespace, labels: { 'meshward.io/learned': 'true' } },
    spec,
  };
  const policy = validatePolicyObject(candidate, `learned policy for ${b.namespace}/${b.workload}`);
  const header = `# Learned by Meshward from ${b.events} events of ${b.namespace}/${b.workload}, ${new Date(b.firstMs).toISOString()} to ${new Date(b.lastMs).toISOString()}.\n`
    + notes.map((n) => `# Note: ${n.replace(/\n/g, ' ')}\n`).join('');
  return { policy, yaml: header + stringify(candidate, { lineWidth: 0 }), notes };
}
