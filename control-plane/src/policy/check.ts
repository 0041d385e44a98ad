// The validator's tools: a sink that turns a problem at a node into a PolicyIssue, and typed
// readers that report a wrong type, a missing field, an empty list or an unknown key, and return
// `undefined` so that the caller simply skips what it cannot use and goes on collecting.
import type { IssueRule, PolicyIssue } from './errors.js';
import { didYouMean } from './suggest.js';
import type { Position, TreeEntry, TreeMap, TreeNode, TreeScalar } from './tree.js';

export class Checker {
  readonly issues: PolicyIssue[] = [];

  constructor(readonly file: string) {}

  report(pos: Position | undefined, path: string, rule: IssueRule, message: string): void {
    this.issues.push({ file: this.file, line: pos?.line ?? 0, column: pos?.column ?? 0, path, rule, message });
  }
}

export function fieldPath(parent: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return parent === '' ? part : part.startsWith('[') ? parent + part : `${parent}.${part}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** How a value is named in a message: strings quoted, collections by kind. */
export function describe(node: TreeNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  return node.value === null ? 'null' : typeof node.value === 'string' ? JSON.stringify(node.value) : String(node.value);
}

/** The fields of a mapping, after reporting every key that is not in `known` (nor in `quiet`:
 * keys accepted and ignored, left out of the "allowed" list so that it stays short). */
export class Fields {
  private readonly byKey = new Map<string, TreeEntry>();

  constructor(
    readonly map: TreeMap,
    readonly path: string,
    private readonly c: Checker,
    known: readonly string[],
    quiet: readonly string[] = [],
  ) {
    for (const entry of map.entries) {
      if (known.includes(entry.key) || quiet.includes(entry.key)) {
        this.byKey.set(entry.key, entry);
      } else {
        const allowed = known.length > 0 ? `; allowed: ${known.join(', ')}` : '';
        c.report(entry.keyPos ?? map.pos, fieldPath(path, entry.key), 'unknown-field',
          `unknown field ${JSON.stringify(entry.key)}${didYouMean(entry.key, known)}${allowed}`);
      }
    }
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The value of `key`, or undefined (and nothing reported) when absent. */
  optional(key: string): TreeNode | undefined {
    return this.byKey.get(key)?.value;
  }

  /** The value of `key`, or undefined after reporting it missing. */
  required(key: string): TreeNode | undefined {
    const node = this.optional(key);
    if (node === undefined) this.c.report(this.map.pos, fieldPath(this.path, key), 'required', 'required field is missing');
    return node;
  }

  /** Path of a field of this mapping. */
  pathOf(key: string): string {
    return fieldPath(this.path, key);
  }
}

export function expectMap(node: TreeNode, path: string, c: Checker): TreeMap | undefined {
  if (node.kind === 'map') return node;
  c.report(node.pos, path, 'type', `expected a mapping, found ${describe(node)}`);
  return undefined;
}

/** A mapping checked for unknown keys. */
export function fieldsOf(
  node: TreeNode,
  path: string,
  c: Checker,
  known: readonly string[],
  quiet: readonly string[] = [],
): Fields | undefined {
  const map = expectMap(node, path, c);
  return map && new Fields(map, path, c, known, quiet);
}

export function expectString(node: TreeNode, path: string, c: Checker, hint = ''): string | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
  c.report(node.pos, path, 'type', `expected a string, found ${describe(node)}${hint}`);
  return undefined;
}

export interface ListOptions {
  /** Reported after "must not be empty" when the list is empty; without it an empty list is
   * accepted. */
  emptyHint?: string;
}

/** A list whose items are each read by `item`; items that fail are left out (and reported by
 * `item`). */
export function listOf<T>(
  node: TreeNode,
  path: string,
  c: Checker,
  item: (node: TreeNode, path: string, index: number) => T | undefined,
  options: ListOptions = {},
): T[] | undefined {
  if (node.kind !== 'seq') {
    c.report(node.pos, path, 'type', `expected a list, found ${describe(node)}`);
    return undefined;
  }
  if (node.items.length === 0 && options.emptyHint !== undefined) {
    c.report(node.pos, path, 'empty', `must not be empty${options.emptyHint}`);
    return undefined;
  }
  const out: T[] = [];
  node.items.forEach((child, i) => {
    const v = item(child, indexPath(path, i), i);
    if (v !== undefined) out.push(v);
  });
  return out;
}

/** A list of strings, each checked by `check`, which returns the problem (reported as a
 * breach of `rule`) or undefined. */
export function stringList(
  node: TreeNode,
  path: string,
  c: Checker,
  rule: IssueRule,
  check: (value: string) => string | undefined,
  options: ListOptions = {},
): string[] | undefined {
  return listOf(node, path, c, (child, p) => {
    const s = expectString(child, p, c);
    if (s === undefined) return undefined;
    const problem = check(s);
    if (problem) {
      c.report(child.pos, p, rule, problem);
      return undefined;
    }
    return s;
  }, options);
}

/** A mapping of string to string (labels, annotations). */
export function stringMap(
  node: TreeNode,
  path: string,
  c: Checker,
  check: (key: string, value: string) => { rule: IssueRule; message: string; onKey?: boolean } | undefined,
): Record<string, string> | undefined {
  const map = expectMap(node, path, c);
  if (!map) return undefined;
  const out: Record<string, string> = {};
  for (const entry of map.entries) {
    const p = fieldPath(path, entry.key);
    const value = expectString(entry.value, p, c, isQuotable(entry.value) ? ' (quote it: values are strings)' : '');
    if (value === undefined) continue;
    const problem = check(entry.key, value);
    if (problem) {
      c.report(problem.onKey ? entry.keyPos ?? entry.value.pos : entry.value.pos, p, problem.rule, problem.message);
      continue;
    }
    out[entry.key] = value;
  }
  return out;
}

function isQuotable(node: TreeNode): node is TreeScalar {
  return node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'boolean' || typeof node.value === 'bigint');
}

