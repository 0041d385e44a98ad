import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { HEAD, formatted, lines, onlyIssue, summary } from './helpers.js';
import { SPEC_SECTIONS } from '../../src/policy/sections.js';

/** The sections a policy may have, as the validator lists them (they grow with each room's work). */
const SECTION_KEYS = SPEC_SECTIONS.map((s) => s.key).join(', ');

test('a minimal policy is valid and keeps only what was written', () => {
  assert.deepEqual(loadPolicies(lines(...HEAD)), [{
    apiVersion: 'meshward.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: { name: 'orders', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'orders' } } },
  }]);
});

test('apiVersion and kind must be exact', () => {
  const text = lines('apiVersion: meshward.io/v1', 'kind: Policy', ...HEAD.slice(2));
  assert.deepEqual(formatted(text), [
    'p.yaml:1:13: apiVersion: "meshward.io/v1" is not a supported apiVersion (meshward.io/v1alpha1)',
    'p.yaml:2:7: kind: "Policy" is not a supported kind (SecurityPolicy)',
  ]);
});

test('apiVersion, kind, metadata and spec are required', () => {
  assert.deepEqual(summary(lines('apiVersion: meshward.io/v1alpha1', 'kind: SecurityPolicy')), [
    '1:1 metadata [required]',
    '1:1 spec [required]',
  ]);
  assert.deepEqual(summary(lines('metadata: {name: a}', 'spec: {selector: {workloads: [a]}}')), [
    '1:1 apiVersion [required]',
    '1:1 kind [required]',
  ]);
});

test('a document must be a mapping', () => {
  assert.equal(onlyIssue('- a\n- b\n').message, 'expected a mapping, found a list');
  assert.equal(onlyIssue('just text\n').message, 'expected a mapping, found "just text"');
});

test('unknown top-level fields are errors, with a suggestion', () => {
  const text = lines(...HEAD.slice(0, 3), 'specs:', '  selector: {workloads: [orders]}');
  assert.deepEqual(formatted(text), [
    'p.yaml:1:1: spec: required field is missing',
    'p.yaml:4:1: specs: unknown field "specs" (did you mean "spec"?); allowed: apiVersion, kind, metadata, spec',
  ]);
});

test('metadata: name and namespace are DNS-1123 labels, name is required, unknown fields rejected', () => {
  const text = lines(
    ...HEAD.slice(0, 2),
    'metadata:',
    '  name: Orders',
    '  namespace: shop_1',
    '  lables: {a: b}',
    'spec:',
    '  selector: {workloads: [orders]}',
  );
  assert.deepEqual(summary(text), [
    '4:9 metadata.name [format]',
    '5:14 metadata.namespace [format]',
    '6:3 metadata.lables [unknown-field]',
  ]);
  assert.deepEqual(formatted(text)[2], 'p.yaml:6:3: metadata.lables: unknown field "lables" (did you mean "labels"?); allowed: name, namespace, labels, annotations');
  assert.deepEqual(summary(lines(...HEAD.slice(0, 2), 'metadata: {namespace: shop}', ...HEAD.slice(3))), ['3:11 metadata.name [required]']);
  assert.equal(onlyIssue(lines(...HEAD.slice(0, 2), 'metadata: {name: 42}', ...HEAD.slice(3))).message, 'expected a string, found 42');
});

test('metadata: a missing namespace stays absent (the compiler reads it as default)', () => {
  const [p] = loadPolicies(lines(...HEAD.slice(0, 2), 'metadata: {name: orders}', ...HEAD.slice(3)));
  assert.equal(p.metadata.namespace, undefined);
});

test('metadata: labels and annotations are checked as in Kubernetes', () => {
  const text = lines(
    ...HEAD.slice(0, 2),
    'metadata:',
    '  name: orders',
    '  labels: {app: orders, version: 2, "-bad": x}',
    '  annotations: {"meshward.io/owner": team-a, note: "free text: anything", "a b": c}',
    ...HEAD.slice(3),
  );
  assert.deepEqual(formatted(text), [
    'p.yaml:5:34: metadata.labels.version: expected a string, found 2 (quote it: values are strings)',
    'p.yaml:5:37: metadata.labels["-bad"]: label key "-bad": name must be 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
    'p.yaml:6:75: metadata.annotations["a b"]: annotation key "a b": name must be 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
  ]);
  const [p] = loadPolicies(lines(
    ...HEAD.slice(0, 2), 'metadata:', '  name: orders', '  labels: {team: a}', '  annotations: {note: "any: text"}', ...HEAD.slice(3)));
  assert.deepEqual(p.metadata, { name: 'orders', labels: { team: 'a' }, annotations: { note: 'any: text' } });
});

test('fields Kubernetes sets on stored objects are accepted and dropped', () => {
  const [p] = loadPolicies(lines(
    ...HEAD.slice(0, 2),
    'metadata:',
    '  name: orders',
    '  namespace: shop',
    '  uid: 6f0b6c55-0000-4000-8000-000000000000',
    '  resourceVersion: "77"',
    '  generation: 3',
    '  creationTimestamp: "2024-01-01T00:00:00Z"',
    '  managedFields: [{manager: kubectl}]',
    ...HEAD.slice(3),
    'status: {observedGeneration: 3}',
  ));
  assert.deepEqual(p.metadata, { name: 'orders', namespace: 'shop' });
  assert.equal('status' in p, false);
});

test('unknown spec sections are errors, suggested when close', () => {
  assert.deepEqual(formatted(lines(...HEAD, '  ingres: []', '  wafs: {}')), [
    `p.yaml:6:3: spec.ingres: unknown field "ingres" (did you mean "ingress"?); allowed: ${SECTION_KEYS}`,
    `p.yaml:7:3: spec.wafs: unknown field "wafs" (did you mean "waf"?); allowed: ${SECTION_KEYS}`,
  ]);
});

test('spec must be a mapping', () => {
  assert.deepEqual(formatted(lines(...HEAD.slice(0, 3), 'spec: [selector]')), [
    'p.yaml:4:7: spec: expected a mapping, found a list',
  ]);
});

test('every problem of a document is reported, in file order', () => {
  const text = lines(
    'apiVersion: meshward.io/v1alpha1',
    'kind: SecurityPolicy',
    'metadata: {name: orders, namespace: Shop}',
    'spec:',
    '  selector: {matchLabels: {app: orders}, workloads: [orders]}',
    '  mode: protekt',
    '  ingress:',
    '    - name: a',
    '      form: [{principal: "*"}]',
    '      http: [{methods: [get], paths: [api]}]',
    '    - name: a',
    '      grpc: [{service: "shop/Orders"}]',
  );
  assert.deepEqual(summary(text), [
    '3:37 metadata.namespace [format]',
    '5:13 spec.selector [one-of]',
    '6:9 spec.mode [enum]',
    '9:7 spec.ingress[0].form [unknown-field]',
    '10:25 spec.ingress[0].http[0].methods[0] [enum]',
    '10:39 spec.ingress[0].http[0].paths[0] [format]',
    '11:13 spec.ingress[1].name [duplicate]',
    '12:24 spec.ingress[1].grpc[0].service [format]',
  ]);
});
