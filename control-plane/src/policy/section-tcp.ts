// spec.tcp: the network filter's settings for the selected workloads: what to do with threats
// seen on TCP protocols (SQL injection shapes in statements, dangerous Redis commands, TLS
// older than 1.2, SSH version 1) and the limits of what it holds.
import { fieldsOf, type Checker } from './check.js';
import { readAction, readInteger } from './section-waf.js';
import type { SpecSection } from './section.js';
import type { TcpSpec } from './types.js';
import type { TreeNode } from './tree.js';

const TCP_FIELDS = ['threats', 'maxStatementBytes', 'maxIdentifyBytes'] as const;

export const tcpSection: SpecSection<'tcp'> = {
  key: 'tcp',
  required: false,
  read(node: TreeNode, path: string, c: Checker): TcpSpec | undefined {
    const f = fieldsOf(node, path, c, TCP_FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const tcp: TcpSpec = {};
    const threats = f.optional('threats');
    if (threats) tcp.threats = readAction(threats, f.pathOf('threats'), c);
    const stmt = f.optional('maxStatementBytes');
    if (stmt) tcp.maxStatementBytes = readInteger(stmt, f.pathOf('maxStatementBytes'), c, 64, 16777216);
    const ident = f.optional('maxIdentifyBytes');
    if (ident) tcp.maxIdentifyBytes = readInteger(ident, f.pathOf('maxIdentifyBytes'), c, 16, 1048576);
    return c.issues.length === before ? tcp : undefined;
  },
};
