// Node → snapshot key: Istio node metadata, the Istio node id with the inventory's pods, host
// agents; and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meshwardNodeKey, resolveNode, targetOfKey, type NodeInfo, XdsError } from '../../src/xds/index.js';

const node = (id: string, metadata: Record<string, unknown> = {}): NodeInfo => ({ id, cluster: '', metadata, userAgent: '' });
const ISTIO_ID = 'sidecar~10.1.2.3~orders-7d9f8b6c5-x2x4k.shop~shop.svc.cluster.local';

describe('node → workload or agent', () => {
  it('Istio metadata NAMESPACE and WORKLOAD_NAME name the workload', () => {
    assert.deepEqual(resolveNode(node(ISTIO_ID, { NAMESPACE: 'shop', WORKLOAD_NAME: 'orders', LABELS: { app: 'orders' } })), {
      kind: 'workload',
      namespace: 'shop',
      name: 'orders',
      pod: 'orders-7d9f8b6c5-x2x4k',
    });
    assert.equal(meshwardNodeKey()(node('anything', { NAMESPACE: 'shop', WORKLOAD_NAME: 'orders' })), 'workload/shop/orders');
  });

  it('the Istio node id alone: namespace from the id, workload from the inventory (pod → workload)', () => {
    const key = meshwardNodeKey({ podWorkload: (ns, pod) => (ns === 'shop' && pod === 'orders-7d9f8b6c5-x2x4k' ? 'orders' : undefined) });
    assert.equal(key(node(ISTIO_ID)), 'workload/shop/orders');
  });

  it('a pod the inventory does not know is refused, not guessed from its name', () => {
    assert.throws(() => resolveNode(node(ISTIO_ID)), (err: XdsError) => err.code === 'XDS_NODE_UNKNOWN' && /not in the workload inventory/.test(err.message));
  });

  it('metadata that disagrees with the id about the namespace is refused', () => {
    assert.throws(() => resolveNode(node(ISTIO_ID, { NAMESPACE: 'bank', WORKLOAD_NAME: 'orders' })), /disagrees/);
  });

  it('host agents: MESHWARD_ROLE=agent with NODE_NAME, or the id agent~<node>', () => {
    assert.equal(meshwardNodeKey()(node('x', { MESHWARD_ROLE: 'agent', NODE_NAME: 'ip-10-0-0-1.ec2.internal' })), 'agent/ip-10-0-0-1.ec2.internal');
    assert.equal(meshwardNodeKey()(node('agent~node-1')), 'agent/node-1');
    assert.throws(() => resolveNode(node('x', { MESHWARD_ROLE: 'agent' })), /NODE_NAME is missing/);
  });

  it('a node naming nothing is refused with what to set', () => {
    assert.throws(() => resolveNode(node('envoy-1')), /NAMESPACE and WORKLOAD_NAME/);
  });

  it('names that are not Kubernetes names (a "/" or "." in a namespace) are refused', () => {
    assert.throws(() => resolveNode(node('x', { NAMESPACE: 'shop/x', WORKLOAD_NAME: 'orders' })), /not a Kubernetes name/);
    assert.throws(() => resolveNode(node('x', { NAMESPACE: 'sh.op', WORKLOAD_NAME: 'orders' })), /not a Kubernetes name/);
    assert.throws(() => resolveNode(node('x', { NAMESPACE: 'shop', WORKLOAD_NAME: 'Orders' })), /not a Kubernetes name/);
  });

  it('keys map back to their target', () => {
    assert.deepEqual(targetOfKey('workload/shop/orders'), { kind: 'workload', namespace: 'shop', name: 'orders', pod: undefined });
    assert.deepEqual(targetOfKey('agent/node-1'), { kind: 'agent', node: 'node-1' });
    assert.equal(targetOfKey('other'), undefined);
  });
});
