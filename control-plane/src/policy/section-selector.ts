// spec.selector: which workloads of the policy's namespace the policy applies to, by labels or
// by name, never both. An empty selector is refused rather than read as "every workload".
import { fieldsOf, stringList, stringMap, type Checker } from './check.js';
import { checkDnsSubdomain, checkLabelKey, checkLabelValue } from './names.js';
import type { SpecSection } from './section.js';
import type { WorkloadSelector } from './types.js';
import type { TreeNode } from './tree.js';

export const selectorSection: SpecSection<'selector'> = {
  key: 'selector',
  required: true,
  read(node: TreeNode, path: string, c: Checker): WorkloadSelector | undefined {
    const f = fieldsOf(node, path, c, ['matchLabels', 'workloads']);
    if (!f) return undefined;
    const labelsNode = f.optional('matchLabels');
    const workloadsNode = f.optional('workloads');
    if (labelsNode && workloadsNode) {
      c.report(f.map.pos, path, 'one-of', 'set exactly one of matchLabels or workloads, not both');
      return undefined;
    }
    if (!labelsNode && !workloadsNode) {
      c.report(f.map.pos, path, 'one-of', 'set one of matchLabels or workloads');
      return undefined;
    }
    if (labelsNode) {
      const p = f.pathOf('matchLabels');
      if (labelsNode.kind === 'map' && labelsNode.entries.length === 0) {
        c.report(labelsNode.pos, p, 'empty', 'must not be empty: a selector must name at least one label');
        return undefined;
      }
      const labels = stringMap(labelsNode, p, c, (key, value) => {
        const keyProblem = checkLabelKey(key);
        if (keyProblem) return { rule: 'format', message: keyProblem, onKey: true };
        const valueProblem = checkLabelValue(value);
        return valueProblem ? { rule: 'format', message: valueProblem } : undefined;
      });
      return labels && { matchLabels: labels };
    }
    const workloads = stringList(workloadsNode!, f.pathOf('workloads'), c, 'format', checkDnsSubdomain,
      { emptyHint: ': list the names of the workloads the policy applies to' });
    return workloads && { workloads };
  },
};
