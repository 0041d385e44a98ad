// PolicyDistributor: policies × inventory → per-workload ECDS snapshots and per-node agent
// snapshots, compiled per workload, deterministic, all-or-nothing, debounced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile } from '../../src/compile/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import {
  decodeMessage,
  meshwardRules,
  PolicyDistributor,
  SnapshotCache,
  TYPE_URL,
  XdsError,
  type PublishResult,
  type WorkloadEntry,
} from '../../src/xds/index.js';
import { EXAMPLE_YAML, METRICS_YAML } from '../fixtures/policies.js';
import { WASM } from './support/fixtures.js';

type Obj = Record<string, unknown>;
type AnyV = { type_url: string; value: Uint8Array };

const POLICIES = loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`);
const INVENTORY: WorkloadEntry[] = [
  { namespace: 'shop', name: 'orders', labels: { app: 'orders' }, serviceAccount: 'orders', pods: [{ name: 'orders-1', node: 'node-a' }, { name: 'orders-2', node: 'node-b' }] },
  { namespace: 'shop', name: 'payments', labels: { app: 'payments' }, pods: [{ name: 'payments-1', node: 'node-a' }] },
];

function setup(inventory = INVENTORY) {
  const cache = new SnapshotCache({ rules: meshwardRules });
  const d = new PolicyDistributor({ cache, wasm: WASM });
  d.update({ policies: POLICIES, inventory });
  return { cache, d };
}

function pluginJson(cache: SnapshotCache, key: string, name: string): string {
  const r = cache.fetch(key, TYPE_URL.extensionConfig)!.resources.get(name)!;
  const typed = decodeMessage(TYPE_URL.extensionConfig, r.body).typed_config as AnyV;
  const conf = (decodeMessage(typed.type_url, typed.value).config as Obj).configuration as AnyV;
  return decodeMessage(conf.type_url, conf.value).value as string;
}

describe('PolicyDistributor', () => {
  it("publishes each workload's compiled policy as its ECDS resources, and each node's agent configuration", () => {
    const { cache, d } = setup();
    const result = d.publish();
    assert.deepEqual(cache.keys().sort(), ['agent/node-a', 'agent/node-b', 'workload/shop/orders', 'workload/shop/payments']);
    assert.equal(result.workloads, 2);
    assert.equal(result.agents, 2);
    const expected = compile(POLICIES, { namespace: 'shop', name: 'orders', labels: { app: 'orders' } });
    assert.equal(pluginJson(cache, 'workload/shop/orders', 'meshward.http.shop.orders'), expected.json);
    assert.equal(pluginJson(cache, 'workload/shop/orders', 'meshward.network.shop.orders'), expected.json);
    // The generic names a mesh-wide EnvoyFilter uses carry each node's own workload policy.
    assert.equal(pluginJson(cache, 'workload/shop/orders', 'meshward.http'), expected.json);
    assert.equal(pluginJson(cache, 'workload/shop/orders', 'meshward.network'), expected.json);
    const paymentsJson = compile(POLICIES, { namespace: 'shop', name: 'payments', labels: { app: 'payments' } }).json;
    assert.equal(pluginJson(cache, 'workload/shop/payments', 'meshward.http'), paymentsJson);
    const agent = decodeMessage(TYPE_URL.agentConfig, cache.fetch('agent/node-a', TYPE_URL.agentConfig)!.resources.get('meshward.agent.node-a')!.body) as { workloads: Obj[] };
    assert.deepEqual(agent.workloads.map((w) => [w.name, w.pods, w.version]), [
      ['orders', ['orders-1'], expected.version],
      ['payments', ['payments-1'], compile(POLICIES, { namespace: 'shop', name: 'payments', labels: { app: 'payments' } }).version],
    ]);
    d.close();
  });

  it('is deterministic: two replicas, given the inputs in any order, publish the same versions', () => {
    const a = setup();
    const b = setup([...INVENTORY].reverse());
    b.d.update({ policies: [...POLICIES].reverse() });
    a.d.publish();
    b.d.publish();
    for (const key of a.cache.keys()) {
      for (const typeUrl of [TYPE_URL.extensionConfig, TYPE_URL.agentConfig]) {
        assert.equal(a.cache.fetch(key, typeUrl)!.version, b.cache.fetch(key, typeUrl)!.version, `${key} ${typeUrl}`);
      }
    }
    a.d.close();
    b.d.close();
  });

  it('all or nothing: a workload that does not compile publishes nothing, the previous snapshots stay', () => {
    const { cache, d } = setup();
    d.publish();
    const before = cache.fetch('workload/shop/orders', TYPE_URL.extensionConfig)!.version;
    d.update({ policies: [...POLICIES, POLICIES[0]] }); // a policy given twice
    assert.throws(() => d.publish(), (err: XdsError) => err.code === 'XDS_COMPILE_FAILED' && /shop\/orders/.test(err.message));
    assert.equal(cache.fetch('workload/shop/orders', TYPE_URL.extensionConfig)!.version, before);
    d.close();
  });

  it('debounced: a burst of updates compiles and publishes once; a failure is reported to onError', async () => {
    const cache = new SnapshotCache({ rules: meshwardRules });
    const published: PublishResult[] = [];
    const errors: Error[] = [];
    let done!: () => void;
    const next = () => new Promise<void>((r) => (done = r));
    let wait = next();
    const d = new PolicyDistributor({
      cache,
      wasm: WASM,
      debounce: { quietMs: 10, maxMs: 1000 },
      onPublish: (r) => {
        published.push(r);
        done();
      },
      onError: (e) => {
        errors.push(e);
        done();
      },
    });
    d.update({ inventory: INVENTORY });
    for (let i = 0; i < 5; i++) d.update({ policies: POLICIES });
    await wait;
    assert.equal(published.length, 1);
    assert.equal(d.stats().coalesced, 5);
    wait = next();
    d.update({ policies: [...POLICIES, POLICIES[0]] });
    await wait;
    assert.equal(errors.length, 1);
    assert.equal(d.stats().failures, 1);
    assert.match(d.stats().lastError!, /nothing published/);
    d.close();
  });

  it('workloads and nodes that leave the inventory lose their snapshots; unchanged ones are not republished', () => {
    const { cache, d } = setup();
    d.publish();
    d.update({ inventory: [INVENTORY[0]] });
    const r = d.publish();
    assert.deepEqual(r.removed.sort(), ['workload/shop/payments']);
    assert.deepEqual(r.changed, ['agent/node-a'], 'node-a lost payments; orders itself did not change');
    assert.equal(cache.getSnapshot('workload/shop/payments'), undefined);
    d.update({ inventory: [{ ...INVENTORY[0], pods: [{ name: 'orders-1', node: 'node-a' }] }] });
    assert.deepEqual(d.publish().removed, ['agent/node-b']);
    d.close();
  });

  it("maps a node to its workload through the inventory's pods, and service accounts to workloads", () => {
    const { d } = setup();
    assert.equal(d.nodeKey({ id: 'sidecar~10.0.0.1~orders-2.shop~shop.svc.cluster.local', cluster: '', metadata: {}, userAgent: '' }), 'workload/shop/orders');
    assert.deepEqual(
      [...d.identityMap()].map(([k, v]) => [k, [...v]]),
      [
        ['shop/orders', ['shop/orders']],
        ['shop/default', ['shop/payments']],
      ],
    );
    assert.throws(() => d.update({ inventory: [INVENTORY[0], INVENTORY[0]] }), /listed twice/);
    d.close();
  });
});
