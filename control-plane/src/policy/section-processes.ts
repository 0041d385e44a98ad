// spec.processes: the executables the selected workloads may run (host agent). Outside the list
// (and what discover mode learned): monitor alerts, protect refuses the exec before it runs (or
// kills, with `enforcement: kill`).
import { fieldsOf, type Checker } from './check.js';
import { readConcernMode, readEnum, readPatterns } from './match-process.js';
import type { SpecSection } from './section.js';
import { PROCESS_ENFORCEMENTS, type ProcessesSpec } from './types-workload.js';
import type { TreeNode } from './tree.js';

const FIELDS = ['mode', 'allow', 'enforcement'] as const;

export const processesSection: SpecSection<'processes'> = {
  key: 'processes',
  required: false,
  read(node: TreeNode, path: string, c: Checker): ProcessesSpec | undefined {
    const f = fieldsOf(node, path, c, FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const spec: ProcessesSpec = {};
    const mode = f.optional('mode');
    if (mode) spec.mode = readConcernMode(mode, f.pathOf('mode'), c);
    const allow = f.optional('allow');
    if (allow) spec.allow = readPatterns(allow, f.pathOf('allow'), c, ': omit "allow" to allow only what discover mode learned');
    const enforcement = f.optional('enforcement');
    if (enforcement) spec.enforcement = readEnum(enforcement, f.pathOf('enforcement'), c, PROCESS_ENFORCEMENTS, 'an enforcement');
    return c.issues.length === before ? spec : undefined;
  },
};
