import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpMethod, SecurityPolicy } from '../../src/index.js';
import { compileIngress } from '../../src/compile/compile-ingress.js';

const base: SecurityPolicy = {
  apiVersion: 'meshward.io/v1alpha1',
  kind: 'SecurityPolicy',
  metadata: { name: 'orders', namespace: 'shop' },
  spec: { selector: { workloads: ['orders'] } },
};
const withIngress = (ingress: SecurityPolicy['spec']['ingress'], namespace?: string): SecurityPolicy => ({
  ...base,
  metadata: namespace === undefined ? { name: 'orders' } : { name: 'orders', namespace },
  spec: { ...base.spec, ingress },
});

test('no ingress: no rules', () => {
  assert.deepEqual(compileIngress(base), []);
});

test('ids are namespace/policy/rule; absent lists become empty lists', () => {
  assert.deepEqual(compileIngress(withIngress([{ name: 'open' }], 'shop')), [
    { id: 'shop/orders/open', name: 'open', from: [], http: [], grpc: [] },
  ]);
  assert.equal(compileIngress(withIngress([{ name: 'open' }]))[0].id, 'default/orders/open');
});

test('http: methods upper-case, hosts lower-case, duplicates dropped, absent fields empty', () => {
  const rules = compileIngress(withIngress([{
    name: 'r',
    http: [
      { methods: ['get' as HttpMethod, 'GET', 'POST'], hosts: ['Orders.Shop', 'orders.shop', '*.Example.com'] },
      { paths: ['/a', '/b', '/a'] },
    ],
  }], 'shop'));
  assert.deepEqual(rules[0].http, [
    { methods: ['GET', 'POST'], paths: [], hosts: ['orders.shop', '*.example.com'] },
    { methods: [], paths: ['/a', '/b'], hosts: [] },
  ]);
});

test('grpc: * among methods is the empty list (any); otherwise duplicates dropped', () => {
  const rules = compileIngress(withIngress([{
    name: 'r',
    grpc: [
      { service: 'shop.v1.Orders', methods: ['Get', '*'] },
      { service: '*', methods: ['Get', 'List', 'Get'] },
      { service: 'shop.v1.Admin' },
    ],
  }], 'shop'));
  assert.deepEqual(rules[0].grpc, [
    { service: 'shop.v1.Orders', methods: [] },
    { service: '*', methods: ['Get', 'List'] },
    { service: 'shop.v1.Admin', methods: [] },
  ]);
});

test('from: only the fields given; IPv6 blocks lower-case', () => {
  const rules = compileIngress(withIngress([{
    name: 'r',
    from: [{ principal: 'spiffe://x/ns/a/sa/b' }, { namespace: 'a', workload: 'w' }, { ipBlock: 'FD00::/8' }],
  }], 'shop'));
  assert.deepEqual(rules[0].from, [{ principal: 'spiffe://x/ns/a/sa/b' }, { namespace: 'a', workload: 'w' }, { ipBlock: 'fd00::/8' }]);
  assert.deepEqual(Object.keys(rules[0].from[1]), ['namespace', 'workload']);
});

test('rule order is the written order', () => {
  const rules = compileIngress(withIngress([{ name: 'z' }, { name: 'a' }, { name: 'm' }], 'shop'));
  assert.deepEqual(rules.map((r) => r.name), ['z', 'a', 'm']);
});
