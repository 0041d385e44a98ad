import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InventoryError, parseInventory } from '../../src/sources/inventory-file.js';

describe('inventory file', () => {
  it('reads workloads with labels, service account and pods', () => {
    const inv = parseInventory(`workloads:
  - namespace: shop
    name: orders
    labels: {app: orders, tier: backend}
    serviceAccount: orders
    pods: [{name: orders-7d9f, node: node-1}, {name: orders-8e0a}]
  - namespace: shop
    name: frontend
`);
    assert.deepEqual(inv, [
      { namespace: 'shop', name: 'orders', labels: { app: 'orders', tier: 'backend' }, serviceAccount: 'orders', pods: [{ name: 'orders-7d9f', node: 'node-1' }, { name: 'orders-8e0a' }] },
      { namespace: 'shop', name: 'frontend', labels: {}, pods: [] },
    ]);
  });

  it('an empty file is an empty inventory', () => {
    assert.deepEqual(parseInventory(''), []);
  });

  it('names file, line, column and field for every problem', () => {
    const err = (() => {
      try {
        parseInventory(`workloads:
  - namespace: Shop
    name: orders
    labelz: {}
  - namespace: shop
    pods: [{name: 7}]
  - namespace: shop
    name: orders
  - namespace: shop
    name: orders
`, 'inv.yaml');
      } catch (e) {
        return e as InventoryError;
      }
      throw new Error('no error');
    })();
    assert.equal(err.code, 'INVENTORY_INVALID');
    assert.deepEqual(err.problems, [
      'inv.yaml:2:16: workloads[0].namespace: "Shop" is not a lower-case DNS name',
      'inv.yaml:4:13: workloads[0].labelz: unknown field (namespace, name, labels, serviceAccount, pods)',
      'inv.yaml:5:5: workloads[1].name: is required',
      'inv.yaml:6:19: workloads[1].pods[0].name: must be a pod name',
      'inv.yaml:10:11: workloads[3].name: workload shop/orders is listed twice',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    assert.throws(() => parseInventory('workloads:\n  - name: [unclosed\n', 'bad.yaml'), (e: InventoryError) => /^bad\.yaml:\d+:\d+: /.test(e.problems[0]));
  });
});
