// spec.ingress: the requests the selected workloads accept. A request that matches no rule is a
// violation, so an empty list admits nothing.
import { expectString, fieldsOf, listOf, type Checker } from './check.js';
import { readGrpcMatch } from './match-grpc.js';
import { readHttpMatch } from './match-http.js';
import { readPeer } from './match-peer.js';
import { readPorts, readProtocols, readRedisEntry, readSqlEntry } from './match-tcp.js';
import { checkDnsLabel } from './names.js';
import type { SpecSection } from './section.js';
import type { IngressRuleSpec } from './types.js';
import type { TreeNode } from './tree.js';

const RULE_FIELDS = ['name', 'from', 'http', 'grpc', 'ports', 'protocols', 'postgres', 'mysql', 'redis'] as const;

export const ingressSection: SpecSection<'ingress'> = {
  key: 'ingress',
  required: false,
  read(node: TreeNode, path: string, c: Checker): IngressRuleSpec[] | undefined {
    const firstUse = new Map<string, string>(); // rule name -> path of the rule that has it
    return listOf(node, path, c, (ruleNode, rulePath) => {
      const rule = readRule(ruleNode, rulePath, c);
      // Checked on the raw name, so that a clash is reported even when the rule has other
      // problems.
      const nameNode = ruleNode.kind === 'map' ? ruleNode.entries.find((e) => e.key === 'name')?.value : undefined;
      if (nameNode?.kind !== 'scalar' || typeof nameNode.value !== 'string') return rule;
      const earlier = firstUse.get(nameNode.value);
      if (earlier !== undefined) {
        c.report(nameNode.pos, `${rulePath}.name`, 'duplicate',
          `rule name ${JSON.stringify(nameNode.value)} is already used by ${earlier}`);
        return undefined;
      }
      firstUse.set(nameNode.value, rulePath);
      return rule;
    });
  },
};

function readRule(node: TreeNode, path: string, c: Checker): IngressRuleSpec | undefined {
  const f = fieldsOf(node, path, c, RULE_FIELDS);
  if (!f) return undefined;
  const before = c.issues.length;
  const nameNode = f.required('name');
  const name = nameNode && expectString(nameNode, f.pathOf('name'), c);
  if (name !== undefined) {
    const problem = checkDnsLabel(name);
    if (problem) c.report(nameNode!.pos, f.pathOf('name'), 'format', problem);
  }
  const rule: IngressRuleSpec = { name: name ?? '' };
  const from = f.optional('from');
  if (from) {
    rule.from = listOf(from, f.pathOf('from'), c, (n, p) => readPeer(n, p, c),
      { emptyHint: ': omit "from" to admit any source' });
  }
  const http = f.optional('http');
  if (http) {
    rule.http = listOf(http, f.pathOf('http'), c, (n, p) => readHttpMatch(n, p, c),
      { emptyHint: ': omit "http" to match any request' });
  }
  const grpc = f.optional('grpc');
  if (grpc) {
    rule.grpc = listOf(grpc, f.pathOf('grpc'), c, (n, p) => readGrpcMatch(n, p, c),
      { emptyHint: ': omit "grpc" to match any request' });
  }
  const ports = f.optional('ports');
  if (ports) rule.ports = readPorts(ports, f.pathOf('ports'), c);
  const protocols = f.optional('protocols');
  if (protocols) rule.protocols = readProtocols(protocols, f.pathOf('protocols'), c);
  for (const key of ['postgres', 'mysql'] as const) {
    const n = f.optional(key);
    if (n) rule[key] = listOf(n, f.pathOf(key), c, (e, p) => readSqlEntry(e, p, c), { emptyHint: `: omit "${key}" to admit no ${key} statement by this rule` });
  }
  const redis = f.optional('redis');
  if (redis) rule.redis = listOf(redis, f.pathOf('redis'), c, (e, p) => readRedisEntry(e, p, c), { emptyHint: ': omit "redis" to admit no command by this rule' });
  return c.issues.length === before ? rule : undefined;
}
