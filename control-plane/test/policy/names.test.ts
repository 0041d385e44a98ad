import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDnsLabel, checkDnsSubdomain, checkHost, checkLabelKey, checkLabelValue } from '../../src/policy/names.js';

test('DNS-1123 labels', () => {
  for (const ok of ['a', 'orders', 'orders-v2', '0abc', 'a'.repeat(63)]) assert.equal(checkDnsLabel(ok), undefined, ok);
  for (const bad of ['', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64)]) assert.match(checkDnsLabel(bad)!, /is not a DNS-1123 label/, bad);
  assert.match(checkDnsLabel('Orders')!, /\(did you mean "orders"\?\)$/);
});

test('DNS-1123 subdomains', () => {
  for (const ok of ['orders', 'orders.v2', 'a-b.c-d']) assert.equal(checkDnsSubdomain(ok), undefined, ok);
  for (const bad of ['', 'a..b', '.a', 'A', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`]) {
    assert.match(checkDnsSubdomain(bad)!, /is not a DNS-1123 subdomain/, bad);
  }
});

test('label keys: optional DNS prefix, then a name', () => {
  for (const ok of ['app', 'app.kubernetes.io/name', 'A_b.c-D', 'x/y']) assert.equal(checkLabelKey(ok), undefined, ok);
  assert.match(checkLabelKey('Bad_Prefix/app')!, /prefix "Bad_Prefix" is not a DNS-1123 subdomain/);
  for (const bad of ['', '/app', 'app/', '-app', 'a b', 'x/y/z', 'a'.repeat(64)]) assert.ok(checkLabelKey(bad), bad);
});

test('label values: empty or a name', () => {
  for (const ok of ['', 'v1', 'a.b_c-D']) assert.equal(checkLabelValue(ok), undefined, ok);
  for (const bad of ['-v', 'a b', 'a/b', 'v'.repeat(64)]) assert.match(checkLabelValue(bad)!, /label value/, bad);
});

test('hosts: DNS names in any case, *. prefix, no port, no bare *', () => {
  for (const ok of ['orders.shop', 'Orders.Example.COM', '*.example.com', 'localhost', '10.0.0.1']) {
    assert.equal(checkHost(ok), undefined, ok);
  }
  assert.equal(checkHost('api.shop:8080'), '"api.shop:8080": hosts are matched without the port, so remove ":8080" (did you mean "api.shop"?)');
  assert.equal(checkHost('*'), '"*" is not a host pattern: omit hosts to match any host');
  assert.match(checkHost('a.*.com')!, /'\*' is allowed only as a whole first label/);
  assert.match(checkHost('*example.com')!, /'\*' is allowed only as a whole first label/);
  for (const bad of ['', 'a..b', 'under_score.com', '[::1]', 'example.com.']) assert.match(checkHost(bad)!, /is not a DNS name/, bad);
});
