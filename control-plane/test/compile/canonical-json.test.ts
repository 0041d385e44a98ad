import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, canonicalMembers, canonicalTemplate, sha256Version } from '../../src/compile/canonical-json.js';

test('keys sorted at every depth, no white space, array order kept', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, 1, 2], c: 'x' } }), '{"a":{"c":"x","d":[3,1,2]},"b":1}');
});

test('key order of the input does not matter', () => {
  assert.equal(canonicalJson({ x: 1, y: { p: true, q: null } }), canonicalJson({ y: { q: null, p: true }, x: 1 }));
});

test('keys compare by UTF-16 code units, not locale', () => {
  assert.equal(canonicalJson({ b: 1, B: 2, a: 3, é: 4, '10': 5, '9': 6 }), '{"10":5,"9":6,"B":2,"a":3,"b":1,"é":4}');
});

test('strings escaped as JSON.stringify does; undefined fields left out', () => {
  assert.equal(canonicalJson({ s: 'a"b\\c\n\u0001', u: undefined }), '{"s":"a\\"b\\\\c\\n\\u0001"}');
});

test('values JSON cannot hold are refused with their path', () => {
  assert.throws(() => canonicalJson({ a: [1, NaN] }), /a\[1\] is NaN/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /f is a function/);
  assert.throws(() => canonicalJson({ n: 1n }), /n is a bigint/);
});

test('sha256Version', () => {
  assert.equal(sha256Version(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Version('{}'), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
});

test('canonicalTemplate: fixed members written once, varying ones filled in, the same bytes as canonicalJson', () => {
  const fixed = { m: [1, { z: 2, a: 'é' }], c: null, x: { b: true }, skipped: undefined };
  const members = canonicalMembers(fixed);
  assert.deepEqual(members.map(([k]) => k), ['c', 'm', 'x']);
  for (const varying of [['a'], ['d', 'zz'], ['zz', 'a', 'n'], []]) {
    const fill = canonicalTemplate(members, varying);
    const values = varying.map((k, i) => ({ k, v: i % 2 === 0 ? { n: i, s: `"${k}"` } : [k] }));
    const whole = Object.fromEntries([...Object.entries(fixed), ...values.map(({ k, v }) => [k, v])]);
    assert.equal(fill(...values.map(({ v }) => canonicalJson(v))), canonicalJson(whole));
  }
  assert.equal(canonicalTemplate([], ['only'])('1'), '{"only":1}');
  assert.equal(canonicalTemplate([], [])(), '{}');
});
