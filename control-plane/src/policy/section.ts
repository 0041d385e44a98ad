// A section of `spec` (selector, mode, ingress; later waf, dlp, egress, ...). Each section is
// one file exporting one SpecSection; sections.ts lists them. Adding a section is: its type in
// types.ts, its file, one line in sections.ts, and its compiler in ../compile/.
import type { Checker } from './check.js';
import type { SecurityPolicySpec } from './types.js';
import type { TreeNode } from './tree.js';

export interface SpecSection<K extends keyof SecurityPolicySpec> {
  key: K;
  required: boolean;
  /** Reads the section's value, reporting every problem to `c`; undefined if it is unusable. */
  read(node: TreeNode, path: string, c: Checker): SecurityPolicySpec[K] | undefined;
}

/** Any one section, keeping the link between its key and its value type. */
export type AnySpecSection = { [K in keyof SecurityPolicySpec]-?: SpecSection<K> }[keyof SecurityPolicySpec];
