// spec.waf: the detection engine's settings for the selected workloads. Every field is
// optional; the compiler fills the defaults (block, paranoia 1, threshold 5, no exclusions).
import { describe, fieldsOf, listOf, stringList, type Checker } from './check.js';
import { checkPathPattern } from './match-http.js';
import type { SpecSection } from './section.js';
import { didYouMean } from './suggest.js';
import { DETECT_ACTIONS, WAF_CLASSES, type DetectActionSpec, type WafClass, type WafExclusionSpec, type WafSpec } from './types.js';
import type { TreeNode } from './tree.js';

const WAF_FIELDS = ['action', 'paranoia', 'threshold', 'exclusions'] as const;
const EXCLUSION_FIELDS = ['paths', 'params', 'classes'] as const;

export function readAction(node: TreeNode, path: string, c: Checker): DetectActionSpec | undefined {
  if (node.kind !== 'scalar' || typeof node.value !== 'string') {
    c.report(node.pos, path, 'type', `expected a string, found ${describe(node)}`);
    return undefined;
  }
  const action = DETECT_ACTIONS.find((a) => a === node.value);
  if (!action) {
    c.report(node.pos, path, 'enum', `${describe(node)} is not an action (${DETECT_ACTIONS.join(', ')})${didYouMean(node.value, DETECT_ACTIONS)}`);
  }
  return action;
}

export function readInteger(node: TreeNode, path: string, c: Checker, min: number, max: number): number | undefined {
  const v = node.kind === 'scalar' ? node.value : undefined;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    c.report(node.pos, path, 'type', `expected an integer, found ${describe(node)}`);
    return undefined;
  }
  if (n < min || n > max) {
    c.report(node.pos, path, 'format', `${n} must be from ${min} to ${max}`);
    return undefined;
  }
  return n;
}

/** A finding location: `query.q`, `body.json.a.b`, `header.user-agent`, with an optional
 * trailing `*` (any rest). */
export function checkLocation(value: string): string | undefined {
  const q = JSON.stringify(value);
  if (!/^(path|method|headers|query|header|cookie|body)(\.|$)/.test(value)) {
    return `${q} is not a location (path, query.<name>, header.<name>, cookie.<name>, body.form.<name>, body.json.<path>, body.xml.<element>, body.multipart.<name>, body)`;
  }
  if (/[\s\u0000-\u001f]/.test(value)) return `${q} contains white space or control characters`;
  if (value.indexOf('*') >= 0 && value.indexOf('*') !== value.length - 1) return `${q}: "*" may only end a location`;
  return undefined;
}

function checkClass(value: string): string | undefined {
  if ((WAF_CLASSES as readonly string[]).includes(value)) return undefined;
  return `${JSON.stringify(value)} is not an attack class (${WAF_CLASSES.join(', ')})${didYouMean(value, WAF_CLASSES)}`;
}

export const wafSection: SpecSection<'waf'> = {
  key: 'waf',
  required: false,
  read(node: TreeNode, path: string, c: Checker): WafSpec | undefined {
    const f = fieldsOf(node, path, c, WAF_FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const waf: WafSpec = {};
    const action = f.optional('action');
    if (action) waf.action = readAction(action, f.pathOf('action'), c);
    const paranoia = f.optional('paranoia');
    if (paranoia) waf.paranoia = readInteger(paranoia, f.pathOf('paranoia'), c, 1, 4);
    const threshold = f.optional('threshold');
    if (threshold) waf.threshold = readInteger(threshold, f.pathOf('threshold'), c, 1, 1000);
    const exclusions = f.optional('exclusions');
    if (exclusions) {
      waf.exclusions = listOf(exclusions, f.pathOf('exclusions'), c, (n, p) => readExclusion(n, p, c),
        { emptyHint: ': omit "exclusions" for none' });
      if (waf.exclusions && waf.exclusions.length > 32) {
        c.report(exclusions.pos, f.pathOf('exclusions'), 'format', `at most 32 exclusions, found ${waf.exclusions.length}`);
      }
    }
    return c.issues.length === before ? waf : undefined;
  },
};

function readExclusion(node: TreeNode, path: string, c: Checker): WafExclusionSpec | undefined {
  const f = fieldsOf(node, path, c, EXCLUSION_FIELDS);
  if (!f) return undefined;
  if (!EXCLUSION_FIELDS.some((k) => f.has(k))) {
    c.report(f.map.pos, path, 'one-of', `an exclusion needs at least one of ${EXCLUSION_FIELDS.join(', ')}`);
    return undefined;
  }
  const before = c.issues.length;
  const out: WafExclusionSpec = {};
  const any = ': omit the field to match any';
  const paths = f.optional('paths');
  if (paths) out.paths = stringList(paths, f.pathOf('paths'), c, 'format', checkPathPattern, { emptyHint: any });
  const params = f.optional('params');
  if (params) out.params = stringList(params, f.pathOf('params'), c, 'format', checkLocation, { emptyHint: any });
  const classes = f.optional('classes');
  if (classes) out.classes = stringList(classes, f.pathOf('classes'), c, 'enum', checkClass, { emptyHint: any }) as WafClass[] | undefined;
  return c.issues.length === before ? out : undefined;
}
