// spec.files: allowed writers of watched paths (binaries, libraries, /etc, cron, and `watch`)
// and allowed readers of secrets (shadow, service-account token, cloud credentials, and
// `secrets`), for the host agent. Anything else: discover learns, monitor alerts, protect denies.
import { fieldsOf, listOf, type Checker } from './check.js';
import { readConcernMode, readPatterns } from './match-process.js';
import type { SpecSection } from './section.js';
import type { FileRuleSpec, FilesSpec } from './types-workload.js';
import type { TreeNode } from './tree.js';

const FIELDS = ['mode', 'writers', 'readers', 'watch', 'secrets'] as const;
const RULE_FIELDS = ['paths', 'processes'] as const;

function readRule(node: TreeNode, path: string, c: Checker): FileRuleSpec | undefined {
  const f = fieldsOf(node, path, c, RULE_FIELDS);
  if (!f) return undefined;
  const before = c.issues.length;
  const pathsNode = f.required('paths');
  const processesNode = f.required('processes');
  const paths = pathsNode && readPatterns(pathsNode, f.pathOf('paths'), c, ': name at least one path');
  const processes = processesNode && readPatterns(processesNode, f.pathOf('processes'), c, ': name at least one process');
  return c.issues.length === before && paths && processes ? { paths, processes } : undefined;
}

export const filesSection: SpecSection<'files'> = {
  key: 'files',
  required: false,
  read(node: TreeNode, path: string, c: Checker): FilesSpec | undefined {
    const f = fieldsOf(node, path, c, FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const spec: FilesSpec = {};
    const mode = f.optional('mode');
    if (mode) spec.mode = readConcernMode(mode, f.pathOf('mode'), c);
    for (const key of ['writers', 'readers'] as const) {
      const n = f.optional(key);
      if (n) spec[key] = listOf(n, f.pathOf(key), c, (item, p) => readRule(item, p, c), { emptyHint: `: omit "${key}" for none` });
    }
    for (const key of ['watch', 'secrets'] as const) {
      const n = f.optional(key);
      if (n) spec[key] = readPatterns(n, f.pathOf(key), c, `: omit "${key}" for the built-in list only`);
    }
    return c.issues.length === before ? spec : undefined;
  },
};
