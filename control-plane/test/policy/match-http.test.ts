import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { checkMethod, checkPathPattern } from '../../src/policy/match-http.js';
import { formatted, policyWith } from './helpers.js';

const withHttp = (...http: string[]) => policyWith('  ingress:', '    - name: r', '      http:', ...http);

test('methods, paths and hosts as written', () => {
  const [p] = loadPolicies(withHttp(
    '        - methods: [GET, HEAD]',
    '          paths: ["/", "/api/**", "/api/*/items", "/**/health"]',
    '          hosts: [Orders.Shop.svc, "*.example.com"]',
  ));
  assert.deepEqual(p.spec.ingress?.[0].http, [{
    methods: ['GET', 'HEAD'],
    paths: ['/', '/api/**', '/api/*/items', '/**/health'],
    hosts: ['Orders.Shop.svc', '*.example.com'],
  }]);
});

test('the error of the brief: a method outside the standard set', () => {
  const text = policyWith(
    '  ingress:',
    '    - name: frontend-reads',
    '      http: [{methods: [GET], paths: ["/api/orders"]}]',
    '    - name: admin',
    '      http:',
    '        - methods: [FETCH]',
  );
  assert.deepEqual(formatted(text, 'policies/orders.yaml'), [
    'policies/orders.yaml:11:21: spec.ingress[1].http[0].methods[0]: "FETCH" is not an HTTP method (GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE)',
  ]);
});

test('methods: lower case and * get hints; an empty list is refused', () => {
  assert.equal(checkMethod('get'), '"get" is not an HTTP method (GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE) (methods are case-sensitive: did you mean "GET"?)');
  assert.match(checkMethod('*')!, /\(omit methods to match any\)$/);
  assert.match(checkMethod('DELET')!, /\(did you mean "DELETE"\?\)$/);
  for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']) assert.equal(checkMethod(m), undefined);
  assert.deepEqual(formatted(withHttp('        - methods: []')), [
    'p.yaml:9:20: spec.ingress[0].http[0].methods: must not be empty: omit the field to match any',
  ]);
});

test('paths: leading /, no query, * and ** as whole segments', () => {
  assert.equal(checkPathPattern('api/orders'), '"api/orders" must start with "/"');
  assert.equal(checkPathPattern('/api?x=1'), '"/api?x=1": the query and fragment are not matched, so remove "?x=1"');
  assert.equal(checkPathPattern('/api#top'), '"/api#top": the query and fragment are not matched, so remove "#top"');
  assert.equal(checkPathPattern('/api/*.json'), '"/api/*.json": "*" and "**" must be whole path segments, found "*.json"');
  assert.equal(checkPathPattern('/api/v*/x'), '"/api/v*/x": "*" and "**" must be whole path segments, found "v*"');
  assert.equal(checkPathPattern('/***'), '"/***": "*" and "**" must be whole path segments, found "***"');
  assert.match(checkPathPattern('/a b')!, /white space/);
  for (const ok of ['/', '/*', '/**', '/a/**/b', '/a/*/b/**', '/api/orders/', '/%7Euser']) assert.equal(checkPathPattern(ok), undefined, ok);
});

test('hosts: port and bare * refused at their position', () => {
  assert.deepEqual(formatted(withHttp('        - hosts: ["api.shop:8080", "*"]')), [
    'p.yaml:9:19: spec.ingress[0].http[0].hosts[0]: "api.shop:8080": hosts are matched without the port, so remove ":8080" (did you mean "api.shop"?)',
    'p.yaml:9:36: spec.ingress[0].http[0].hosts[1]: "*" is not a host pattern: omit hosts to match any host',
  ]);
});

test('an http entry needs at least one field; unknown fields refused', () => {
  assert.deepEqual(formatted(withHttp('        - {}')), [
    'p.yaml:9:11: spec.ingress[0].http[0]: an http entry needs at least one of methods, paths, hosts (omit "http" to match any request)',
  ]);
  assert.deepEqual(formatted(withHttp('        - {method: [GET], paths: [/]}')), [
    'p.yaml:9:12: spec.ingress[0].http[0].method: unknown field "method" (did you mean "methods"?); allowed: methods, paths, hosts',
  ]);
});

test('list items must be strings', () => {
  assert.deepEqual(formatted(withHttp('        - paths: [/a, 42, {x: 1}]')), [
    'p.yaml:9:23: spec.ingress[0].http[0].paths[1]: expected a string, found 42',
    'p.yaml:9:27: spec.ingress[0].http[0].paths[2]: expected a string, found a mapping',
  ]);
});
