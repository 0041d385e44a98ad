// spec.ports: the listening sockets the selected workloads may open (host agent). A new
// listener outside the list: discover learns, monitor alerts, protect kills its process.
import { fieldsOf, listOf, type Checker } from './check.js';
import { readConcernMode, readEnum, readPatterns, readPort } from './match-process.js';
import type { SpecSection } from './section.js';
import { PORT_PROTOCOLS, type PortRuleSpec, type PortsSpec } from './types-workload.js';
import type { TreeNode } from './tree.js';

const FIELDS = ['mode', 'allow'] as const;
const RULE_FIELDS = ['port', 'protocol', 'processes'] as const;

export const portsSection: SpecSection<'ports'> = {
  key: 'ports',
  required: false,
  read(node: TreeNode, path: string, c: Checker): PortsSpec | undefined {
    const f = fieldsOf(node, path, c, FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const spec: PortsSpec = {};
    const mode = f.optional('mode');
    if (mode) spec.mode = readConcernMode(mode, f.pathOf('mode'), c);
    const allow = f.optional('allow');
    if (allow) {
      spec.allow = listOf(allow, f.pathOf('allow'), c, (item, p) => {
        const r = fieldsOf(item, p, c, RULE_FIELDS);
        if (!r) return undefined;
        const b = c.issues.length;
        const portNode = r.required('port');
        const rule: PortRuleSpec = { port: (portNode && readPort(portNode, r.pathOf('port'), c)) ?? 0 };
        const protocol = r.optional('protocol');
        if (protocol) rule.protocol = readEnum(protocol, r.pathOf('protocol'), c, PORT_PROTOCOLS, 'a protocol');
        const processes = r.optional('processes');
        if (processes) rule.processes = readPatterns(processes, r.pathOf('processes'), c, ': omit "processes" for any process');
        return c.issues.length === b ? rule : undefined;
      });
    }
    return c.issues.length === before ? spec : undefined;
  },
};
