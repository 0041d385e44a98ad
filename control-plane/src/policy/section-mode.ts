// spec.mode: what the filter does with a violation. Absent means DEFAULT_POLICY_MODE, filled in
// by the compiler.
import { describe, expectString, type Checker } from './check.js';
import type { SpecSection } from './section.js';
import { didYouMean } from './suggest.js';
import { POLICY_MODES, type PolicyMode } from './types.js';
import type { TreeNode } from './tree.js';

export const modeSection: SpecSection<'mode'> = {
  key: 'mode',
  required: false,
  read(node: TreeNode, path: string, c: Checker): PolicyMode | undefined {
    const value = expectString(node, path, c);
    if (value === undefined) return undefined;
    const mode = POLICY_MODES.find((m) => m === value);
    if (mode === undefined) {
      c.report(node.pos, path, 'enum',
        `${describe(node)} is not a mode (${POLICY_MODES.join(', ')})${didYouMean(value, POLICY_MODES)}`);
    }
    return mode;
  },
};
