import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { after, before, describe, it } from 'node:test';
import { inventoryFromPods, startKubernetesSources, workloadName } from '../../src/sources/kubernetes.js';
import type { SourceState, Sources } from '../../src/sources/local-sources.js';
import { FakeKubeApi } from '../support/kube-api.js';

const POLICIES = '/apis/meshward.io/v1alpha1/securitypolicies';
const PODS = '/api/v1/pods';

function policy(mode: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'meshward.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: { name: 'orders', namespace: 'shop', uid: 'u-1', generation: 1, creationTimestamp: '2026-11-28T00:00:00Z' },
    spec: { selector: { workloads: ['orders'] }, mode, ...extra },
  };
}

function pod(name: string, labels: Record<string, string>, extra: { owner?: string; sa?: string; node?: string; phase?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels,
      ...(extra.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: extra.owner, uid: 'rs', controller: true }] } : {}),
    },
    spec: { serviceAccountName: extra.sa ?? 'default', nodeName: extra.node ?? 'node-1', containers: [{ name: 'app', image: 'app' }] },
    status: { phase: extra.phase ?? 'Running' },
  };
}

describe('workload naming from pods', () => {
  it('follows the labels and owners Istio uses', () => {
    const p = (labels: Record<string, string>, owner?: string) => pod('x-1', labels, { owner }) as unknown as k8s.V1Pod;
    assert.equal(workloadName(p({ 'service.istio.io/canonical-name': 'a', app: 'b' })), 'a');
    assert.equal(workloadName(p({ 'app.kubernetes.io/name': 'c', app: 'b' })), 'c');
    assert.equal(workloadName(p({ app: 'b' })), 'b');
    assert.equal(workloadName(p({ 'pod-template-hash': '7d9f8' }, 'orders-7d9f8')), 'orders');
    assert.equal(workloadName(p({})), 'x-1');
  });

  it('groups pods into workloads, leaving finished pods out', () => {
    const inv = inventoryFromPods([
      pod('orders-1', { app: 'orders', 'pod-template-hash': 'h1' }, { sa: 'orders', node: 'n1' }),
      pod('orders-2', { app: 'orders', 'pod-template-hash': 'h1' }, { sa: 'orders', node: 'n2' }),
      pod('job-1', { app: 'job' }, { phase: 'Succeeded' }),
    ] as unknown as k8s.V1Pod[]);
    assert.deepEqual(inv, [
      { namespace: 'shop', name: 'orders', labels: { app: 'orders' }, serviceAccount: 'orders', pods: [{ name: 'orders-1', node: 'n1' }, { name: 'orders-2', node: 'n2' }] },
    ]);
  });
});

describe('Kubernetes sources (list and watch against an API server)', { timeout: 30_000 }, () => {
  let api: FakeKubeApi;
  let sources: Sources;
  const updates: SourceState[] = [];
  const errors: Error[] = [];
  let wake: (() => void) | undefined;
  const next = async <T>(list: T[], count: number): Promise<T> => {
    const deadline = Date.now() + 10_000;
    while (list.length < count) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the source');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    return list[count - 1];
  };

  before(async () => {
    api = await new FakeKubeApi({ [POLICIES]: 'SecurityPolicy', [PODS]: 'Pod' }).start();
    api.put(POLICIES, policy('monitor'));
    api.put(PODS, pod('orders-1', { app: 'orders' }, { sa: 'orders' }));
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'test', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'test' }],
      contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
      currentContext: 'test',
    });
    sources = await startKubernetesSources({ kubeConfig: kc, quietMs: 20 }, {
      update: (s) => {
        updates.push(s);
        wake?.();
      },
      error: (e) => {
        errors.push(e);
        wake?.();
      },
    });
  });
  after(async () => {
    sources.close();
    await api.close();
  });

  it('lists policies and pods at start', async () => {
    const s = await next(updates, 1);
    assert.equal(s.policies.length, 1);
    assert.equal(s.policies[0].spec.mode, 'monitor');
    assert.deepEqual(s.inventory.map((w) => [w.name, w.serviceAccount]), [['orders', 'orders']]);
  });

  it('follows watched changes', async () => {
    const before = updates.length;
    api.put(POLICIES, policy('protect'));
    api.put(PODS, pod('payments-1', { app: 'payments' }));
    const deadline = Date.now() + 10_000;
    while (!(updates.at(-1)?.policies[0]?.spec.mode === 'protect' && updates.at(-1)?.inventory.length === 2)) {
      await next(updates, updates.length + 1);
      if (Date.now() > deadline) throw new Error('changes not seen');
    }
    assert.ok(updates.length > before);
  });

  it('keeps the previous version of a policy whose edit is invalid, and says why', async () => {
    api.put(POLICIES, policy('strict'));
    const err = await next(errors, 1);
    assert.match(err.message, /SecurityPolicy shop\/orders rejected, keeping its previous version/);
    assert.match(err.message, /spec\.mode/);
    assert.equal(sources.current().policies[0].spec.mode, 'protect');
  });

  it('drops a deleted policy', async () => {
    api.remove(POLICIES, 'shop', 'orders');
    const deadline = Date.now() + 10_000;
    while (sources.current().policies.length !== 0) {
      await next(updates, updates.length + 1);
      if (Date.now() > deadline) throw new Error('deletion not seen');
    }
  });
});
