import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolicyMode, SecurityPolicy, WorkloadSelector } from '../../src/index.js';
import { selectPolicies, selects, strictestMode, type Workload } from '../../src/compile/select.js';

function policy(name: string, selector: WorkloadSelector, namespace?: string, mode?: PolicyMode): SecurityPolicy {
  return {
    apiVersion: 'meshward.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: namespace === undefined ? { name } : { name, namespace },
    spec: mode === undefined ? { selector } : { selector, mode },
  };
}

const orders: Workload = { namespace: 'shop', name: 'orders', labels: { app: 'orders', tier: 'back', version: 'v2' } };

test('by labels: every pair must match; other workload labels do not matter', () => {
  assert.ok(selects(policy('p', { matchLabels: { app: 'orders' } }, 'shop'), orders));
  assert.ok(selects(policy('p', { matchLabels: { app: 'orders', tier: 'back' } }, 'shop'), orders));
  assert.ok(!selects(policy('p', { matchLabels: { app: 'orders', tier: 'front' } }, 'shop'), orders));
  assert.ok(!selects(policy('p', { matchLabels: { app: 'orders', zone: 'a' } }, 'shop'), orders));
  assert.ok(!selects(policy('p', { matchLabels: { App: 'orders' } }, 'shop'), orders));
});

test('an empty label selector built in code selects nothing', () => {
  assert.ok(!selects(policy('p', { matchLabels: {} }, 'shop'), orders));
  assert.ok(!selects(policy('p', {}, 'shop'), orders));
});

test('labels are own properties only', () => {
  assert.ok(!selects(policy('p', { matchLabels: { constructor: 'x' } }, 'shop'), orders));
});

test('by name', () => {
  assert.ok(selects(policy('p', { workloads: ['payments', 'orders'] }, 'shop'), orders));
  assert.ok(!selects(policy('p', { workloads: ['orders-v2'] }, 'shop'), orders));
});

test('a policy selects only in its own namespace; no namespace is default', () => {
  assert.ok(!selects(policy('p', { matchLabels: { app: 'orders' } }, 'billing'), orders));
  assert.ok(!selects(policy('p', { workloads: ['orders'] }), orders));
  assert.ok(selects(policy('p', { workloads: ['orders'] }), { ...orders, namespace: 'default' }));
});

test('selected policies sorted by namespace/name whatever the input order', () => {
  const all = [
    policy('zeta', { workloads: ['orders'] }, 'shop'),
    policy('other', { workloads: ['orders'] }, 'billing'),
    policy('alpha', { matchLabels: { app: 'orders' } }, 'shop'),
    policy('Beta', { matchLabels: { tier: 'back' } }, 'shop'), // code-unit order: upper case first
    policy('unrelated', { workloads: ['payments'] }, 'shop'),
  ];
  const names = (ps: SecurityPolicy[]) => ps.map((p) => p.metadata.name);
  assert.deepEqual(names(selectPolicies(all, orders)), ['Beta', 'alpha', 'zeta']);
  assert.deepEqual(names(selectPolicies([...all].reverse(), orders)), ['Beta', 'alpha', 'zeta']);
});

test('strictest mode: protect > monitor > discover; no mode counts as monitor; none is discover', () => {
  const p = (mode?: PolicyMode) => policy('p', { workloads: ['orders'] }, 'shop', mode);
  assert.equal(strictestMode([]), 'discover');
  assert.equal(strictestMode([p('discover')]), 'discover');
  assert.equal(strictestMode([p('discover'), p()]), 'monitor');
  assert.equal(strictestMode([p('discover'), p('protect'), p('monitor')]), 'protect');
  assert.equal(strictestMode([p('monitor'), p('discover')]), 'monitor');
});
