import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { checkPrincipal } from '../../src/policy/match-peer.js';
import { formatted, policyWith } from './helpers.js';

const withFrom = (...from: string[]) => policyWith('  ingress:', '    - name: r', '      from:', ...from);

test('each source field alone, and together', () => {
  const [p] = loadPolicies(withFrom(
    '        - principal: "spiffe://cluster.local/ns/shop/sa/frontend"',
    '        - namespace: shop',
    '        - workload: frontend.v2',
    '        - ipBlock: 10.0.0.0/8',
    '        - {namespace: shop, workload: frontend, ipBlock: "fd00::/8"}',
  ));
  assert.deepEqual(p.spec.ingress?.[0].from, [
    { principal: 'spiffe://cluster.local/ns/shop/sa/frontend' },
    { namespace: 'shop' },
    { workload: 'frontend.v2' },
    { ipBlock: '10.0.0.0/8' },
    { namespace: 'shop', workload: 'frontend', ipBlock: 'fd00::/8' },
  ]);
});

test('a source needs at least one field', () => {
  assert.deepEqual(formatted(withFrom('        - {}')), [
    'p.yaml:9:11: spec.ingress[0].from[0]: a source needs at least one of principal, namespace, workload, ipBlock (omit "from" to admit any source)',
  ]);
});

test('unknown source fields are refused (and do not count as a field)', () => {
  assert.deepEqual(formatted(withFrom('        - principle: "spiffe://x"')), [
    'p.yaml:9:11: spec.ingress[0].from[0].principle: unknown field "principle" (did you mean "principal"?); allowed: principal, namespace, workload, ipBlock',
    'p.yaml:9:11: spec.ingress[0].from[0]: a source needs at least one of principal, namespace, workload, ipBlock (omit "from" to admit any source)',
  ]);
});

test('namespace, workload and ipBlock syntax', () => {
  assert.deepEqual(formatted(withFrom('        - {namespace: Shop, workload: "a..b", ipBlock: 10.1.0.0/8}')), [
    'p.yaml:9:23: spec.ingress[0].from[0].namespace: "Shop" is not a DNS-1123 label (lower-case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters) (did you mean "shop"?)',
    'p.yaml:9:39: spec.ingress[0].from[0].workload: "a..b" is not a DNS-1123 subdomain (dot-separated lower-case labels of letters, digits and \'-\', at most 253 characters)',
    'p.yaml:9:56: spec.ingress[0].from[0].ipBlock: "10.1.0.0/8" has host bits set beyond /8 (did you mean "10.0.0.0/8"?)',
  ]);
});

test('principal must be a string', () => {
  assert.deepEqual(formatted(withFrom('        - principal: [a]')), [
    'p.yaml:9:22: spec.ingress[0].from[0].principal: expected a string, found a list',
  ]);
});

test('principal: * alone, or once at the start or the end', () => {
  for (const ok of ['*', 'spiffe://cluster.local/ns/shop/sa/*', '*/sa/admin', 'spiffe://cluster.local/ns/shop/sa/admin']) {
    assert.equal(checkPrincipal(ok), undefined, ok);
  }
  assert.equal(checkPrincipal(''), 'principal must not be empty');
  for (const bad of ['spiffe://*/sa/admin', '*shop*', '**', 'a**']) {
    assert.equal(checkPrincipal(bad), `${JSON.stringify(bad)}: '*' may appear once, at the start (suffix match) or at the end (prefix match)`, bad);
  }
  assert.match(checkPrincipal('spiffe://x/sa/a b')!, /white space/);
});
