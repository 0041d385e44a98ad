import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { formatted, policyWith, summary } from './helpers.js';

test('rules keep their order and only the fields written', () => {
  const [p] = loadPolicies(policyWith(
    '  ingress:',
    '    - name: health',
    '      http: [{paths: [/healthz]}]',
    '    - name: anything-from-shop',
    '      from: [{namespace: shop}]',
    '    - name: open',
  ));
  assert.deepEqual(p.spec.ingress, [
    { name: 'health', http: [{ paths: ['/healthz'] }] },
    { name: 'anything-from-shop', from: [{ namespace: 'shop' }] },
    { name: 'open' },
  ]);
});

test('ingress: [] is allowed and admits nothing', () => {
  assert.deepEqual(loadPolicies(policyWith('  ingress: []'))[0].spec.ingress, []);
});

test('ingress must be a list of mappings', () => {
  assert.deepEqual(formatted(policyWith('  ingress: {name: a}')), ['p.yaml:6:12: spec.ingress: expected a list, found a mapping']);
  assert.deepEqual(formatted(policyWith('  ingress: [frontend]')), ['p.yaml:6:13: spec.ingress[0]: expected a mapping, found "frontend"']);
});

test('rule name is required and a DNS-1123 label', () => {
  assert.deepEqual(formatted(policyWith('  ingress:', '    - from: [{namespace: shop}]', '    - name: Front_End')), [
    'p.yaml:7:7: spec.ingress[0].name: required field is missing',
    'p.yaml:8:13: spec.ingress[1].name: "Front_End" is not a DNS-1123 label (lower-case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters)',
  ]);
});

test('rule names are unique within a policy', () => {
  assert.deepEqual(formatted(policyWith('  ingress:', '    - name: admin', '    - name: reads', '    - name: admin')), [
    'p.yaml:9:13: spec.ingress[2].name: rule name "admin" is already used by spec.ingress[0]',
  ]);
});

test('a misspelt rule field is unknown, not ignored', () => {
  assert.deepEqual(formatted(policyWith('  ingress:', '    - name: a', '      form: [{namespace: shop}]')), [
    'p.yaml:8:7: spec.ingress[0].form: unknown field "form" (did you mean "from"?); allowed: name, from, http, grpc, ports, protocols, postgres, mysql, redis',
  ]);
});

test('empty from, http and grpc lists are refused: omitting them means any', () => {
  assert.deepEqual(formatted(policyWith('  ingress:', '    - name: a', '      from: []', '      http: []', '      grpc: []')), [
    'p.yaml:8:13: spec.ingress[0].from: must not be empty: omit "from" to admit any source',
    'p.yaml:9:13: spec.ingress[0].http: must not be empty: omit "http" to match any request',
    'p.yaml:10:13: spec.ingress[0].grpc: must not be empty: omit "grpc" to match any request',
  ]);
});

test('problems inside from, http and grpc carry the full path', () => {
  assert.deepEqual(summary(policyWith(
    '  ingress:',
    '    - name: ok',
    '    - name: bad',
    '      from:',
    '        - principal: "spiffe://cluster.local/ns/shop/sa/frontend"',
    '        - ipBlock: 10.0.0.1',
    '      http:',
    '        - methods: [GET]',
    '          paths: ["/api/orders", "/api/orders/*", "/api/*.json"]',
    '      grpc:',
    '        - service: shop.v1.Orders',
    '          methods: [Get-Order]',
  )), [
    '11:20 spec.ingress[1].from[1].ipBlock [format]',
    '14:51 spec.ingress[1].http[0].paths[2] [format]',
    '17:21 spec.ingress[1].grpc[0].methods[0] [format]',
  ]);
});
