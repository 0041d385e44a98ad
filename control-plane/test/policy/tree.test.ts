import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineCounter, parseDocument } from 'yaml';
import { MAX_TREE_NODES, treeFromValue, treeFromYaml, type Position, type TreeNode } from '../../src/policy/tree.js';

function fromYaml(text: string): { tree: TreeNode | undefined; problems: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  assert.deepEqual(doc.errors, []);
  const problems: string[] = [];
  const tree = treeFromYaml(doc, lineCounter, (pos: Position | undefined, message) => problems.push(`${pos?.line}:${pos?.column} ${message}`));
  return { tree, problems };
}

test('YAML nodes carry 1-based line and column, keys their own position', () => {
  const { tree } = fromYaml('a:\n  b: [x, 7]\n');
  assert.equal(tree?.kind, 'map');
  if (tree?.kind !== 'map') return;
  assert.deepEqual(tree.pos, { line: 1, column: 1 });
  const inner = tree.entries[0].value;
  assert.equal(inner.kind, 'map');
  if (inner.kind !== 'map') return;
  assert.deepEqual(inner.entries[0].keyPos, { line: 2, column: 3 });
  const seq = inner.entries[0].value;
  assert.equal(seq.kind, 'seq');
  if (seq.kind !== 'seq') return;
  assert.deepEqual(seq.items, [
    { kind: 'scalar', value: 'x', pos: { line: 2, column: 7 } },
    { kind: 'scalar', value: 7, pos: { line: 2, column: 10 } },
  ]);
});

test('an empty value is a null scalar', () => {
  const { tree } = fromYaml('a:\n');
  assert.equal(tree?.kind === 'map' && tree.entries[0].value.kind === 'scalar' && tree.entries[0].value.value, null);
});

test('an empty document has no tree', () => {
  assert.equal(fromYaml('# nothing\n').tree, undefined);
});

test('aliases are followed', () => {
  const { tree, problems } = fromYaml('a: &x [GET]\nb: *x\n');
  assert.deepEqual(problems, []);
  assert.ok(tree?.kind === 'map');
  if (tree?.kind !== 'map') return;
  const b = tree.entries[1].value;
  assert.ok(b.kind === 'seq' && b.items[0].kind === 'scalar' && b.items[0].value === 'GET');
});

test('an alias inside its own anchor is reported, not followed forever', () => {
  const { problems } = fromYaml('a: &x [*x]\n');
  assert.deepEqual(problems, ['1:8 alias *x refers to a node that contains it']);
});

test('an alias bomb stops at MAX_TREE_NODES with one problem', () => {
  const ten = (name: string) => `[${new Array(10).fill(name).join(', ')}]`;
  const text = [
    `a: &a ${ten('x')}`,
    `b: &b ${ten('*a')}`,
    `c: &c ${ten('*b')}`,
    `d: &d ${ten('*c')}`,
    `e: &e ${ten('*d')}`,
  ].join('\n');
  const { problems } = fromYaml(text);
  assert.equal(problems.length, 1);
  assert.match(problems[0], new RegExp(`more than ${MAX_TREE_NODES} nodes`));
});

test('non-string keys are reported', () => {
  const { problems } = fromYaml('? [a]\n: b\n');
  assert.deepEqual(problems, ['1:3 mapping keys must be plain strings']);
});

test('plain values become a tree without positions; undefined fields are dropped', () => {
  const problems: string[] = [];
  const tree = treeFromValue({ a: [1, 'x', null], b: undefined }, (_p, m) => problems.push(m));
  assert.deepEqual(problems, []);
  assert.deepEqual(tree, {
    kind: 'map',
    entries: [{ key: 'a', value: { kind: 'seq', items: [
      { kind: 'scalar', value: 1 }, { kind: 'scalar', value: 'x' }, { kind: 'scalar', value: null },
    ] } }],
  });
});

test('plain values: cycles and functions are reported', () => {
  const problems: string[] = [];
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  treeFromValue({ cyclic, f: () => 1 }, (_p, m) => problems.push(m));
  assert.deepEqual(problems, ['the object refers to itself', 'a function cannot appear in a policy']);
});
