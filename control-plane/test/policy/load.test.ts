import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  PolicyError,
  formatIssue,
  loadPolicies,
  loadPolicyFiles,
  parsePolicies,
  validatePolicyObject,
  type SecurityPolicy,
} from '../../src/index.js';
import { EXAMPLE_YAML as EXAMPLE } from '../fixtures/policies.js';
import { HEAD, lines, summary } from './helpers.js';
import { SPEC_SECTIONS } from '../../src/policy/sections.js';

/** The sections a policy may have, as the validator lists them (they grow with each room's work). */
const SECTION_KEYS = SPEC_SECTIONS.map((s) => s.key).join(', ');

const EXAMPLE_POLICY: SecurityPolicy = {
  apiVersion: 'meshward.io/v1alpha1',
  kind: 'SecurityPolicy',
  metadata: { name: 'orders', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'orders' } },
    mode: 'protect',
    ingress: [
      {
        name: 'frontend-reads',
        from: [{ principal: 'spiffe://cluster.local/ns/shop/sa/frontend' }],
        http: [{ methods: ['GET'], paths: ['/api/orders', '/api/orders/*'] }],
      },
      {
        name: 'admin',
        from: [{ principal: 'spiffe://cluster.local/ns/shop/sa/admin' }],
        http: [{ methods: ['GET', 'POST', 'DELETE'], paths: ['/**'] }],
        grpc: [{ service: 'shop.v1.Orders', methods: ['*'] }],
      },
    ],
  },
};

const named = (name: string, namespace?: string) => lines(
  ...HEAD.slice(0, 2),
  namespace === undefined ? `metadata: {name: ${name}}` : `metadata: {name: ${name}, namespace: ${namespace}}`,
  ...HEAD.slice(3),
);

test('the example policy of the brief loads as written', () => {
  assert.deepEqual(loadPolicies(EXAMPLE), [EXAMPLE_POLICY]);
});

test('several documents, in order; empty documents and comments skipped', () => {
  const text = `# policies\n---\n${named('a')}---\n# nothing here\n---\n${named('b')}...\n`;
  const result = parsePolicies(text, 'multi.yaml');
  assert.deepEqual(result.issues, []);
  assert.deepEqual(result.policies.map((p) => [p.policy.metadata.name, p.file, p.line, p.column]), [
    ['a', 'multi.yaml', 5, 18],
    ['b', 'multi.yaml', 13, 18],
  ]);
  assert.deepEqual(parsePolicies('# only a comment\n').policies, []);
  assert.deepEqual(parsePolicies('').issues, []);
});

test('a YAML syntax error is reported with its line; the other documents are still checked', () => {
  const text = lines(
    'apiVersion: meshward.io/v1alpha1',
    'kind: SecurityPolicy',
    'metadata: name: orders',
    'spec: {}',
    '---',
    ...HEAD.slice(0, 4),
    '  mode: protekt',
  );
  const { issues } = parsePolicies(text, 'p.yaml');
  assert.deepEqual(issues.map(formatIssue), [
    'p.yaml:3:11: Nested mappings are not allowed in compact mappings',
    'p.yaml:10:3: spec.selector: required field is missing',
    'p.yaml:10:9: spec.mode: "protekt" is not a mode (discover, monitor, protect) (did you mean "protect"?)',
  ]);
  assert.equal(issues[0].rule, 'yaml');
  assert.throws(() => loadPolicies(text, 'p.yaml'), (e: unknown) => e instanceof PolicyError && e.code === 'POLICY_YAML' && e.issues.length === 3);
});

test('unterminated strings, tabs and repeated keys are YAML errors', () => {
  assert.deepEqual(summary('a: "open\n'), ['2:1  [yaml]']);
  assert.deepEqual(summary('a:\n\t- b\n'), ['2:1  [yaml]']);
  assert.deepEqual(parsePolicies(lines(...HEAD, '  mode: monitor', '  mode: protect'), 'p.yaml').issues.map(formatIssue), [
    'p.yaml:7:3: Map keys must be unique',
  ]);
});

test('a byte-order mark is accepted', () => {
  assert.equal(loadPolicies(`\uFEFF${named('a')}`).length, 1);
});

test('a (namespace, name) defined twice is an error at the second definition', () => {
  const text = `${named('a', 'shop')}---\n${named('a', 'shop')}`;
  assert.deepEqual(parsePolicies(text, 'p.yaml').issues.map(formatIssue), [
    'p.yaml:9:18: metadata.name: policy "shop/a" is already defined at p.yaml:3:18',
  ]);
  // an absent namespace is `default`
  assert.equal(parsePolicies(`${named('a')}---\n${named('a', 'default')}`).issues[0]?.rule, 'duplicate');
  // the same name in two namespaces is two policies
  assert.deepEqual(parsePolicies(`${named('a', 'shop')}---\n${named('a', 'billing')}`).issues, []);
});

test('loadPolicies throws one PolicyError with every issue', () => {
  const text = lines(...HEAD.slice(0, 2), 'metadata: {name: A}', ...HEAD.slice(3), '  mode: x');
  assert.throws(() => loadPolicies(text, 'p.yaml'), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.code, 'POLICY_INVALID');
    assert.deepEqual(e.issues.map((i) => i.path), ['metadata.name', 'spec.mode']);
    assert.match(e.message, /^2 problems in policies:\n {2}p\.yaml:3:18: metadata\.name: "A" is not a DNS-1123 label/);
    return true;
  });
});

test('validatePolicyObject applies the same rules to plain objects, without positions', () => {
  const copy: unknown = JSON.parse(JSON.stringify(EXAMPLE_POLICY));
  assert.deepEqual(validatePolicyObject(copy), EXAMPLE_POLICY);
  const bad = { ...EXAMPLE_POLICY, spec: { ...EXAMPLE_POLICY.spec, mode: 'block', extra: true } };
  assert.throws(() => validatePolicyObject(bad, 'kubernetes:shop/orders'), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    // Without positions, issues stay in the order found: unknown keys of a mapping first.
    assert.deepEqual(e.issues.map(formatIssue), [
      `kubernetes:shop/orders: spec.extra: unknown field "extra"; allowed: ${SECTION_KEYS}`,
      'kubernetes:shop/orders: spec.mode: "block" is not a mode (discover, monitor, protect)',
    ]);
    return true;
  });
  assert.throws(() => validatePolicyObject('text'), /<object>: expected a mapping, found "text"/);
});

const dir = mkdtempSync(join(tmpdir(), 'meshward-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('loadPolicyFiles: files and directories (yaml and yml files, in name order)', () => {
  const sub = join(dir, 'dir');
  mkdirSync(sub);
  writeFileSync(join(sub, 'b.yml'), named('b'));
  writeFileSync(join(sub, 'a.yaml'), named('a'));
  writeFileSync(join(sub, 'notes.txt'), 'not a policy');
  writeFileSync(join(dir, 'c.yaml'), `${named('c')}---\n${named('d')}`);
  const policies = loadPolicyFiles([join(dir, 'c.yaml'), sub]);
  assert.deepEqual(policies.map((p) => p.metadata.name), ['c', 'd', 'a', 'b']);
});

test('loadPolicyFiles: problems of every file at once, duplicates across files, unreadable files', () => {
  const one = join(dir, 'one.yaml');
  const two = join(dir, 'two.yaml');
  const missing = join(dir, 'missing.yaml');
  writeFileSync(one, lines(...HEAD, '  mode: protekt', '---', ...HEAD));
  writeFileSync(two, lines(...HEAD));
  assert.throws(() => loadPolicyFiles([one, two, missing]), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.code, 'POLICY_READ');
    assert.deepEqual(e.issues.map(formatIssue), [
      `${one}:6:9: spec.mode: "protekt" is not a mode (discover, monitor, protect) (did you mean "protect"?)`,
      `${missing}: cannot read the file (ENOENT)`,
      `${two}:3:18: metadata.name: policy "shop/orders" is already defined at ${one}:10:18`,
    ]);
    return true;
  });
});

test('loadPolicyFiles: an empty list of files is no policies', () => {
  assert.deepEqual(loadPolicyFiles([]), []);
});
