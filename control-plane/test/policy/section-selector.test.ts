import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { HEAD, formatted, lines, summary } from './helpers.js';

const withSelector = (...selector: string[]) => lines(...HEAD.slice(0, 4), ...selector);

test('selector by labels', () => {
  const [p] = loadPolicies(withSelector('  selector:', '    matchLabels: {app: orders, "app.kubernetes.io/part-of": shop, tier: ""}'));
  assert.deepEqual(p.spec.selector, { matchLabels: { app: 'orders', 'app.kubernetes.io/part-of': 'shop', tier: '' } });
});

test('selector by workload names', () => {
  const [p] = loadPolicies(withSelector('  selector: {workloads: [orders, orders-v2]}'));
  assert.deepEqual(p.spec.selector, { workloads: ['orders', 'orders-v2'] });
});

test('selector is required', () => {
  assert.deepEqual(formatted(withSelector('  mode: protect')), ['p.yaml:5:3: spec.selector: required field is missing']);
});

test('exactly one of matchLabels or workloads', () => {
  assert.deepEqual(formatted(withSelector('  selector: {matchLabels: {app: a}, workloads: [a]}')), [
    'p.yaml:5:13: spec.selector: set exactly one of matchLabels or workloads, not both',
  ]);
  assert.deepEqual(formatted(withSelector('  selector: {}')), ['p.yaml:5:13: spec.selector: set one of matchLabels or workloads']);
});

test('empty selectors are refused rather than read as every workload', () => {
  assert.deepEqual(formatted(withSelector('  selector: {matchLabels: {}}')), [
    'p.yaml:5:27: spec.selector.matchLabels: must not be empty: a selector must name at least one label',
  ]);
  assert.deepEqual(formatted(withSelector('  selector: {workloads: []}')), [
    'p.yaml:5:25: spec.selector.workloads: must not be empty: list the names of the workloads the policy applies to',
  ]);
});

test('label keys and values are checked, keys at the key', () => {
  assert.deepEqual(summary(withSelector(
    '  selector:',
    '    matchLabels:',
    '      Bad_Prefix/app: orders',
    '      version: 2',
    '      tier: "front end"',
  )), [
    '7:7 spec.selector.matchLabels["Bad_Prefix/app"] [format]',
    '8:16 spec.selector.matchLabels.version [type]',
    '9:13 spec.selector.matchLabels.tier [format]',
  ]);
});

test('workload names are DNS-1123 subdomains', () => {
  assert.deepEqual(formatted(withSelector('  selector: {workloads: [orders, Orders, 7]}')), [
    'p.yaml:5:34: spec.selector.workloads[1]: "Orders" is not a DNS-1123 subdomain (dot-separated lower-case labels of letters, digits and \'-\', at most 253 characters)',
    'p.yaml:5:42: spec.selector.workloads[2]: expected a string, found 7',
  ]);
});

test('a misspelt selector field is unknown, and the selector then empty', () => {
  assert.deepEqual(formatted(withSelector('  selector:', '    match_labels: {app: orders}')), [
    'p.yaml:6:5: spec.selector.match_labels: unknown field "match_labels" (did you mean "matchLabels"?); allowed: matchLabels, workloads',
    'p.yaml:6:5: spec.selector: set one of matchLabels or workloads',
  ]);
});

test('selector must be a mapping', () => {
  assert.deepEqual(summary(withSelector('  selector: orders')), ['5:13 spec.selector [type]']);
});
