// Delta (incremental) conformance, one protocol rule per test, driven by a bare client over real
// sockets. "Nothing was sent" is proved with a probe on the same stream, never with a sleep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  agentKey,
  agentResource,
  decodeMessage,
  ecdsResources,
  meshwardRules,
  PolicyDistributor,
  Snapshot,
  SnapshotCache,
  TYPE_URL,
  XdsServer,
  type DeltaDiscoveryResponseMsg,
} from '../../src/xds/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import { EXAMPLE_YAML } from '../fixtures/policies.js';
import {
  listenerSnapshot,
  ORDERS_HTTP,
  ORDERS_KEY,
  ORDERS_NET,
  policyJson,
  WASM,
  withServer,
  workloadResources,
  workloadSnapshot,
} from './support/fixtures.js';
import { agentNodeFor, nodeFor, RawStream, type DeltaStream } from './support/raw-client.js';

const ECDS = TYPE_URL.extensionConfig;
const LDS = TYPE_URL.listener;
const NODE = nodeFor('shop', 'orders');

function sent(r: DeltaDiscoveryResponseMsg): Record<string, string> {
  return Object.fromEntries(r.resources.map((x) => [x.name, x.version]));
}

function ack(s: DeltaStream, r: DeltaDiscoveryResponseMsg): void {
  s.send({ type_url: r.type_url, response_nonce: r.nonce });
}

function versionOf(rev: number, name: string): string {
  return workloadResources('shop', 'orders', rev).find((r) => r.name === name)!.version;
}

describe('xDS Delta (DeltaAggregatedResources)', { timeout: 30_000 }, () => {
  it('subscribe: named resources arrive with their content versions and a nonce; the ACK is counted', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      const r = await s.next();
      assert.deepEqual(sent(r), { [ORDERS_HTTP]: versionOf(1, ORDERS_HTTP) });
      assert.equal(r.resources[0].resource.type_url, ECDS);
      assert.equal(decodeMessage(ECDS, r.resources[0].resource.value).name, ORDERS_HTTP);
      assert.deepEqual(r.removed_resources, []);
      assert.match(r.system_version_info, /^sha256:/);
      assert.notEqual(r.nonce, '');
      ack(s, r);
      await s.expectNothing('an ACK gets no response');
      assert.equal(t.server.metrics().acks, 1);
      const ty = t.server.streams()[0].types.find((x) => x.typeUrl === ECDS)!;
      assert.equal(ty.ackedVersion, r.system_version_info);
    });
  });

  it('a subscribed name without a resource is named in removed_resources, once', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: ['meshward.http.shop.nope'] });
      const r = await s.next();
      assert.deepEqual(r.resources, []);
      assert.deepEqual(r.removed_resources, ['meshward.http.shop.nope']);
      ack(s, r);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      t.cache.flush();
      await s.expectNothing('the absence is not repeated');
    });
  });

  it('a resource that disappears is named in removed_resources', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP, ORDERS_NET] });
      ack(s, await s.next());
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from(workloadResources('shop', 'orders', 1).filter((r) => r.name === ORDERS_HTTP)));
      const r = await s.next();
      assert.deepEqual(r.resources, []);
      assert.deepEqual(r.removed_resources, [ORDERS_NET]);
      assert.equal(t.server.metrics().removalsSent, 1);
    });
  });

  it('unsubscribe sends nothing; subscribing again sends the resource again', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP, ORDERS_NET] });
      ack(s, await s.next());
      s.send({ type_url: ECDS, resource_names_unsubscribe: [ORDERS_NET] });
      await s.expectNothing('an unsubscribe needs no response');
      assert.deepEqual(t.server.streams()[0].types.find((x) => x.typeUrl === ECDS)!.names, [ORDERS_HTTP]);
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from([...workloadResources('shop', 'orders', 1).filter((r) => r.name === ORDERS_HTTP), ...workloadResources('shop', 'orders', 2).filter((r) => r.name === ORDERS_NET)]));
      t.cache.flush();
      await s.expectNothing('a change to an unsubscribed resource');
      s.send({ type_url: ECDS, resource_names_subscribe: [ORDERS_NET] });
      const r = await s.next();
      assert.deepEqual(sent(r), { [ORDERS_NET]: versionOf(2, ORDERS_NET) });
    });
  });

  it('subscribing to a name the client already holds sends it again (the client may have forgotten it)', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      ack(s, await s.next());
      s.send({ type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      assert.deepEqual(sent(await s.next()), { [ORDERS_HTTP]: versionOf(1, ORDERS_HTTP) });
    });
  });

  it('initial_resource_versions: what the client holds is not sent, what changed is, what is gone is removed', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from(workloadResources('shop', 'orders', 1).filter((r) => r.name === ORDERS_HTTP)));
      const same = track(RawStream.delta(t.address));
      same.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP], initial_resource_versions: { [ORDERS_HTTP]: versionOf(1, ORDERS_HTTP) } });
      await same.expectNothing('the client holds the current version');

      const stale = track(RawStream.delta(t.address));
      stale.send({
        node: NODE,
        type_url: ECDS,
        resource_names_subscribe: [ORDERS_HTTP, ORDERS_NET],
        initial_resource_versions: { [ORDERS_HTTP]: 'sha256:old', [ORDERS_NET]: versionOf(1, ORDERS_NET) },
      });
      const r = await stale.next();
      assert.deepEqual(sent(r), { [ORDERS_HTTP]: versionOf(1, ORDERS_HTTP) });
      assert.deepEqual(r.removed_resources, [ORDERS_NET], 'gone while the client was away');
    });
  });

  it('content versions make initial versions work across replicas and restarts: a client moving to another server downloads nothing', async () => {
    const policies = loadPolicies(EXAMPLE_YAML);
    const inventory = [{ namespace: 'shop', name: 'orders', labels: { app: 'orders' } }];
    const replica = async () => {
      const cache = new SnapshotCache({ rules: meshwardRules });
      const distributor = new PolicyDistributor({ cache, wasm: WASM });
      distributor.update({ policies, inventory });
      distributor.publish();
      const server = await XdsServer.start({ watcher: cache, nodeKey: distributor.nodeKey });
      return { cache, distributor, server };
    };
    const a = await replica();
    const b = await replica();
    const s1 = RawStream.delta(a.server.address);
    const s2 = RawStream.delta(b.server.address);
    try {
      s1.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP, ORDERS_NET] });
      const r = await s1.next();
      ack(s1, r);
      s1.close();
      s2.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP, ORDERS_NET], initial_resource_versions: sent(r) });
      await s2.expectNothing('replica b has the same versions');
      assert.equal(b.server.metrics().resourcesSent, 0);
    } finally {
      s2.close();
      for (const x of [a, b]) {
        x.distributor.close();
        await x.server.close(100);
      }
    }
  });

  it('NACK: recorded and counted; the rejected version is not sent again until the resource changes', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      ack(s, await s.next());
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const r2 = await s.next();
      s.send({ type_url: ECDS, response_nonce: r2.nonce, error_detail: { code: 3, message: 'config rejected: schema 2 unknown' } });
      await s.expectNothing('nothing is resent after a NACK');
      const [nack] = t.server.nacks();
      assert.equal(nack.message, 'config rejected: schema 2 unknown');
      assert.deepEqual(nack.resources, [{ name: ORDERS_HTTP, version: versionOf(2, ORDERS_HTTP) }]);
      assert.equal(t.server.metrics().nacks, 1);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 3));
      assert.deepEqual(sent(await s.next()), { [ORDERS_HTTP]: versionOf(3, ORDERS_HTTP) });
    });
  });

  it('streams given the same response share its bytes, yet a nonce never repeats on a stream', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const a = track(RawStream.delta(t.address));
      const b = track(RawStream.delta(t.address));
      a.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      b.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      const [ra, rb] = [await a.next(), await b.next()];
      assert.deepEqual(rb, ra, 'one response, encoded once, nonce and all');
      ack(a, ra);
      // Unsubscribed and subscribed again: the same view and subscription, so the same encoded
      // response; this stream already sent its nonce, so it gets another.
      a.send({ type_url: ECDS, response_nonce: ra.nonce, resource_names_unsubscribe: [ORDERS_HTTP] });
      a.send({ type_url: ECDS, response_nonce: ra.nonce, resource_names_subscribe: [ORDERS_HTTP] });
      const again = await a.next();
      assert.deepEqual(sent(again), sent(ra));
      assert.notEqual(again.nonce, ra.nonce);
      ack(a, again);
      await a.expectNothing('the ACK of the new nonce is an ACK');
      assert.equal(t.server.metrics().acks, 2);
      assert.equal(t.server.metrics().staleNonces, 0);
    });
  });

  it('a stale nonce is not an ACK, but the subscription change it carries applies', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      const r1 = await s.next();
      ack(s, r1);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const r2 = await s.next();
      s.send({ type_url: ECDS, response_nonce: r1.nonce, resource_names_subscribe: [ORDERS_NET] });
      await s.expectNothing('r2 awaits its ACK; the new name goes out after it');
      assert.equal(t.server.metrics().staleNonces, 1);
      assert.equal(t.server.metrics().acks, 1, 'the stale nonce did not count as an ACK');
      assert.deepEqual(t.server.streams()[0].types.find((x) => x.typeUrl === ECDS)!.names.sort(), [ORDERS_HTTP, ORDERS_NET]);
      ack(s, r2);
      assert.deepEqual(sent(await s.next()), { [ORDERS_NET]: versionOf(2, ORDERS_NET) });
    });
  });

  it('legacy wildcard: a first LDS request without names is "*", kept when a name is added, ended by unsubscribing "*"', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r' }));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: LDS });
      const r1 = await s.next();
      assert.deepEqual(Object.keys(sent(r1)).sort(), ['a', 'b']);
      ack(s, r1);
      s.send({ type_url: LDS, resource_names_subscribe: ['a'] });
      const r2 = await s.next();
      assert.deepEqual(Object.keys(sent(r2)), ['a'], 'a is sent again on subscribe');
      ack(s, r2);
      assert.equal(t.server.streams()[0].types[0].wildcard, true);
      s.send({ type_url: LDS, resource_names_unsubscribe: ['*'] });
      await s.expectNothing();
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r', c: 'r' }));
      t.cache.flush();
      await s.expectNothing('c is not subscribed once the wildcard is gone');
      assert.equal(t.server.streams()[0].types[0].wildcard, false);
    });
  });

  it('"*" subscribes to every resource of the type (ECDS); under it, unsubscribing a covered name resends it, an uncovered one is removed', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: ['*', 'meshward.http.shop.extra'] });
      const r1 = await s.next();
      assert.deepEqual(Object.keys(sent(r1)).sort(), [ORDERS_HTTP, ORDERS_NET]);
      assert.deepEqual(r1.removed_resources, ['meshward.http.shop.extra']);
      ack(s, r1);
      s.send({ type_url: ECDS, resource_names_unsubscribe: [ORDERS_HTTP, 'meshward.http.shop.extra'] });
      const r2 = await s.next();
      assert.deepEqual(Object.keys(sent(r2)), [ORDERS_HTTP], 'covered by the wildcard: sent so the client keeps it');
      assert.deepEqual(r2.removed_resources, ['meshward.http.shop.extra'], 'not covered: removed');
    });
  });

  it('an empty first ECDS request (not a root type) subscribes to nothing', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS });
      await s.expectNothing();
    });
  });

  it('unchanged state is never resent: the same content republished, or a change elsewhere, sends nothing', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.delta(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      ack(s, await s.next());
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from([...workloadResources('shop', 'orders', 1).filter((r) => r.name === ORDERS_HTTP), ...workloadResources('shop', 'orders', 5).filter((r) => r.name === ORDERS_NET)]));
      t.cache.setSnapshot('workload/shop/payments', workloadSnapshot('shop', 'payments', 1));
      t.cache.flush();
      await s.expectNothing();
    });
  });

  it('debounce: a burst of updates is pushed once, with the last state', async () => {
    await withServer(
      async (t, track) => {
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 0));
        t.cache.flush();
        const s = track(RawStream.delta(t.address));
        s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
        ack(s, await s.next());
        for (let i = 1; i <= 10; i++) t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', i));
        const r = await s.next();
        assert.deepEqual(sent(r), { [ORDERS_HTTP]: versionOf(10, ORDERS_HTTP) });
        ack(s, r);
        await s.expectNothing('the burst gave one response');
        assert.equal(t.cache.stats().coalesced, 9);
      },
      { cache: { debounce: { quietMs: 20, maxMs: 500 } } },
    );
  });

  it('the host agent type (meshward.v1.AgentConfig) over Delta', async () => {
    await withServer(async (t, track) => {
      const configJson = policyJson(1);
      t.cache.setSnapshot(agentKey('node-1'), Snapshot.from([agentResource('node-1', [{ namespace: 'shop', name: 'orders', labels: {}, pods: ['orders-1'], configuration: configJson, version: 'v1' }])]));
      const s = track(RawStream.delta(t.address));
      s.send({ node: agentNodeFor('node-1'), type_url: TYPE_URL.agentConfig, resource_names_subscribe: ['meshward.agent.node-1'] });
      const r = await s.next();
      const decoded = decodeMessage(TYPE_URL.agentConfig, r.resources[0].resource.value) as { workloads: { name: string; pods: string[]; configuration: string }[] };
      assert.equal(decoded.workloads[0].name, 'orders');
      assert.deepEqual(decoded.workloads[0].pods, ['orders-1']);
      assert.equal(decoded.workloads[0].configuration, configJson);
    });
  });
});

describe('ExtensionConfigDiscoveryService (DeltaExtensionConfigs)', { timeout: 30_000 }, () => {
  it('serves TypedExtensionConfig with the type implied', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from(ecdsResources({ namespace: 'shop', name: 'orders' }, policyJson(1), WASM)));
      const s = track(RawStream.delta(t.address, 'ecds'));
      s.send({ node: NODE, resource_names_subscribe: [ORDERS_HTTP] });
      const r = await s.next();
      assert.equal(r.type_url, ECDS);
      assert.deepEqual(Object.keys(sent(r)), [ORDERS_HTTP]);
      s.send({ response_nonce: r.nonce });
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      assert.deepEqual(sent(await s.next()), { [ORDERS_HTTP]: versionOf(2, ORDERS_HTTP) });
      assert.equal(t.server.streams()[0].service, 'ecds');
      assert.equal(t.server.streams()[0].protocol, 'delta');
    });
  });
});
