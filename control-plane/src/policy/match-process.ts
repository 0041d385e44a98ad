// Shared by the workload sections: absolute path patterns (executables, files) and the
// per-concern `mode` field.
import { describe, expectString, listOf, stringList, type Checker } from './check.js';
import { didYouMean } from './suggest.js';
import { POLICY_MODES, type PolicyMode } from './types.js';
import type { TreeNode } from './tree.js';

/** `/usr/bin/nginx`, `/usr/local/bin/*`, `/opt/app/**`: absolute, no empty, `.` or `..`
 * segments; `**` only as a whole segment. */
export function checkPathPattern(value: string): string | undefined {
  const q = JSON.stringify(value);
  if (!value.startsWith('/')) return `${q} must be an absolute path (start with "/")`;
  if (value.length > 4096) return `${q} is longer than 4096 characters`;
  if (/[\u0000-\u001f]/.test(value)) return `${q} contains control characters`;
  const segments = value.slice(1).split('/');
  if (value !== '/' && segments.some((s) => s === '')) return `${q} has an empty segment ("//" or a trailing "/")`;
  if (segments.some((s) => s === '.' || s === '..')) return `${q} has a "." or ".." segment`;
  if (segments.some((s) => s.includes('**') && s !== '**')) return `${q}: "**" must be a whole segment`;
  return undefined;
}

export function readPatterns(node: TreeNode, path: string, c: Checker, emptyHint: string): string[] | undefined {
  const list = stringList(node, path, c, 'format', checkPathPattern, { emptyHint });
  return list && [...new Set(list)];
}

export function readConcernMode(node: TreeNode, path: string, c: Checker): PolicyMode | undefined {
  const value = expectString(node, path, c);
  if (value === undefined) return undefined;
  const mode = POLICY_MODES.find((m) => m === value);
  if (!mode) c.report(node.pos, path, 'enum', `${describe(node)} is not a mode (${POLICY_MODES.join(', ')})${didYouMean(value, POLICY_MODES)}`);
  return mode;
}

export function readEnum<T extends string>(node: TreeNode, path: string, c: Checker, allowed: readonly T[], what: string): T | undefined {
  const value = expectString(node, path, c);
  if (value === undefined) return undefined;
  const v = allowed.find((a) => a === value);
  if (!v) c.report(node.pos, path, 'enum', `${describe(node)} is not ${what} (${allowed.join(', ')})${didYouMean(value, allowed)}`);
  return v;
}

export function readPort(node: TreeNode, path: string, c: Checker): number | undefined {
  const v = node.kind === 'scalar' ? node.value : undefined;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    c.report(node.pos, path, 'type', `expected a port number, found ${describe(node)}`);
    return undefined;
  }
  if (n < 1 || n > 65535) {
    c.report(node.pos, path, 'format', `${n} is not a port (1 to 65535)`);
    return undefined;
  }
  return n;
}

export { listOf };
