import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyKey, policyNamespace, type SecurityPolicy } from '../../src/index.js';

const policy = (namespace?: string): SecurityPolicy => ({
  apiVersion: 'meshward.io/v1alpha1',
  kind: 'SecurityPolicy',
  metadata: namespace === undefined ? { name: 'orders' } : { name: 'orders', namespace },
  spec: { selector: { workloads: ['orders'] } },
});

test('the key is namespace/name, the namespace default when absent', () => {
  assert.equal(policyKey(policy('shop')), 'shop/orders');
  assert.equal(policyKey(policy()), 'default/orders');
  assert.equal(policyNamespace(policy()), 'default');
});
