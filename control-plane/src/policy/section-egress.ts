// spec.egress: the outbound connections the selected workloads may open, by the TLS server
// name they ask for (SNI) and the destination port. Absent: egress is not restricted; an empty
// list admits no outbound connection.
import { expectString, fieldsOf, listOf, type Checker } from './check.js';
import { readPorts } from './match-tcp.js';
import { checkDnsLabel, checkHost } from './names.js';
import type { SpecSection } from './section.js';
import type { EgressRuleSpec, EgressTargetSpec } from './types.js';
import type { TreeNode } from './tree.js';

const RULE_FIELDS = ['name', 'to'] as const;
const TO_FIELDS = ['fqdn', 'ports'] as const;

export const egressSection: SpecSection<'egress'> = {
  key: 'egress',
  required: false,
  read(node: TreeNode, path: string, c: Checker): EgressRuleSpec[] | undefined {
    const names = new Set<string>();
    return listOf(node, path, c, (ruleNode, rulePath) => {
      const f = fieldsOf(ruleNode, rulePath, c, RULE_FIELDS);
      if (!f) return undefined;
      const before = c.issues.length;
      const nameNode = f.required('name');
      const name = nameNode && expectString(nameNode, f.pathOf('name'), c);
      if (name !== undefined) {
        const problem = checkDnsLabel(name);
        if (problem) c.report(nameNode!.pos, f.pathOf('name'), 'format', problem);
        else if (names.has(name)) c.report(nameNode!.pos, f.pathOf('name'), 'duplicate', `rule name ${JSON.stringify(name)} is already used`);
        names.add(name);
      }
      const toNode = f.required('to');
      const to = toNode && listOf(toNode, f.pathOf('to'), c, (n, p) => readTarget(n, p, c), { emptyHint: ': list at least one destination' });
      return c.issues.length === before && name !== undefined && to ? { name, to } : undefined;
    });
  },
};

function readTarget(node: TreeNode, path: string, c: Checker): EgressTargetSpec | undefined {
  const f = fieldsOf(node, path, c, TO_FIELDS);
  if (!f) return undefined;
  const before = c.issues.length;
  const fqdnNode = f.required('fqdn');
  const fqdn = fqdnNode && expectString(fqdnNode, f.pathOf('fqdn'), c);
  if (fqdn !== undefined && fqdn !== '*') {
    const problem = checkHost(fqdn);
    if (problem) c.report(fqdnNode!.pos, f.pathOf('fqdn'), 'format', problem);
  }
  const target: EgressTargetSpec = { fqdn: fqdn ?? '' };
  const ports = f.optional('ports');
  if (ports) target.ports = readPorts(ports, f.pathOf('ports'), c);
  return c.issues.length === before ? target : undefined;
}
