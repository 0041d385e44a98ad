// One read-only tree for both inputs the validator accepts: YAML documents (with positions) and
// plain objects such as a custom resource fetched as JSON (without). The validator walks this
// tree only, so every rule is written once whatever the source.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/** 1-based. */
export interface Position {
  line: number;
  column: number;
}

export type TreeNode = TreeMap | TreeSeq | TreeScalar;
export type ScalarValue = string | number | boolean | bigint | null;

export interface TreeMap {
  kind: 'map';
  entries: TreeEntry[];
  pos?: Position;
}
export interface TreeEntry {
  key: string;
  keyPos?: Position;
  value: TreeNode;
}
export interface TreeSeq {
  kind: 'seq';
  items: TreeNode[];
  pos?: Position;
}
export interface TreeScalar {
  kind: 'scalar';
  value: ScalarValue;
  pos?: Position;
}

/** Aliases can expand exponentially ("billion laughs"); a policy never needs this many nodes. */
export const MAX_TREE_NODES = 100_000;

export type TreeProblem = (pos: Position | undefined, message: string) => void;

/** Converts a parsed YAML document (without syntax errors) into a tree; `undefined` for an
 * empty document. Problems the tree cannot represent are passed to `problem`. */
export function treeFromYaml(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  problem: TreeProblem,
): TreeNode | undefined {
  // A document of comments only has no contents, or a null scalar after an explicit `---`.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return undefined;
  let budget = MAX_TREE_NODES;
  let exhausted = false;
  const open = new Set<unknown>(); // nodes being converted, to catch an alias inside its anchor

  const at = (node: unknown): Position | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { line, column: col };
  };

  const convert = (node: unknown, fallback: Position | undefined): TreeNode => {
    if (--budget < 0) {
      if (!exhausted) problem(at(node) ?? fallback, `document expands to more than ${MAX_TREE_NODES} nodes (aliases?)`);
      exhausted = true;
      return { kind: 'scalar', value: null, pos: fallback };
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) {
        problem(at(node) ?? fallback, `unresolved alias *${node.source}`);
        return { kind: 'scalar', value: null, pos: at(node) ?? fallback };
      }
      if (open.has(target)) {
        problem(at(node) ?? fallback, `alias *${node.source} refers to a node that contains it`);
        return { kind: 'scalar', value: null, pos: at(node) ?? fallback };
      }
      return convert(target, at(node) ?? fallback);
    }
    const pos = at(node) ?? fallback;
    if (isMap(node)) {
      open.add(node);
      const entries: TreeEntry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyPos = at(pair.key) ?? pos;
        const key = pair.key;
        if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
          problem(keyPos, 'mapping keys must be plain strings');
          continue;
        }
        entries.push({ key: String(key.value), keyPos, value: convert(pair.value, keyPos) });
      }
      open.delete(node);
      return { kind: 'map', entries, pos };
    }
    if (isSeq(node)) {
      open.add(node);
      const items = node.items.map((item) => convert(item, pos));
      open.delete(node);
      return { kind: 'seq', items, pos };
    }
    if (isScalar(node)) return { kind: 'scalar', value: scalarValue(node.value), pos };
    // A pair without a value (`key:` in some forms) arrives as null.
    return { kind: 'scalar', value: null, pos };
  };

  return convert(doc.contents, undefined);
}

/** Converts a plain JSON-like value into a tree without positions. */
export function treeFromValue(value: unknown, problem: TreeProblem): TreeNode {
  const open = new Set<object>();
  const convert = (v: unknown): TreeNode => {
    if (v === null || v === undefined) return { kind: 'scalar', value: null };
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      return { kind: 'scalar', value: v };
    }
    if (typeof v !== 'object') {
      problem(undefined, `a ${typeof v} cannot appear in a policy`);
      return { kind: 'scalar', value: null };
    }
    if (open.has(v)) {
      problem(undefined, 'the object refers to itself');
      return { kind: 'scalar', value: null };
    }
    open.add(v);
    let out: TreeNode;
    if (Array.isArray(v)) {
      out = { kind: 'seq', items: v.map(convert) };
    } else {
      const entries: TreeEntry[] = [];
      for (const [key, item] of Object.entries(v)) {
        if (item !== undefined) entries.push({ key, value: convert(item) });
      }
      out = { kind: 'map', entries };
    }
    open.delete(v);
    return out;
  };
  return convert(value);
}

function scalarValue(v: unknown): ScalarValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  return String(v);
}
