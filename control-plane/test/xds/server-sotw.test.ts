// State-of-the-World conformance, one protocol rule per test, driven by a bare client over real
// sockets (support/raw-client.ts). "Nothing was sent" is proved with a probe on the same stream,
// never with a sleep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  agentKey,
  agentResource,
  decodeMessage,
  setVersion,
  Snapshot,
  TYPE_URL,
  type DiscoveryResponseMsg,
} from '../../src/xds/index.js';
import {
  listenerSnapshot,
  ORDERS_HTTP,
  ORDERS_KEY,
  ORDERS_NET,
  withServer,
  workloadResources,
  workloadSnapshot,
} from './support/fixtures.js';
import { agentNodeFor, nodeFor, RawStream, type SotwStream } from './support/raw-client.js';

const ECDS = TYPE_URL.extensionConfig;
const LDS = TYPE_URL.listener;
const NODE = nodeFor('shop', 'orders');

function names(r: DiscoveryResponseMsg): string[] {
  return r.resources.map((a) => decodeMessage(a.type_url, a.value).name as string).sort();
}

function ack(s: SotwStream, r: DiscoveryResponseMsg, resourceNames: string[]): void {
  s.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: resourceNames });
}

describe('xDS SotW (StreamAggregatedResources)', { timeout: 30_000 }, () => {
  it('version_info is the content version of what was sent, with a nonce; the ACK echoes both', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const r = await s.next();
      assert.equal(r.type_url, ECDS);
      assert.deepEqual(names(r), [ORDERS_HTTP]);
      const http = workloadResources('shop', 'orders', 1).find((x) => x.name === ORDERS_HTTP)!;
      assert.equal(r.version_info, setVersion([http]), 'version_info: hash of (name, content version) pairs');
      assert.notEqual(r.nonce, '');
      assert.ok(r.control_plane?.identifier.startsWith('meshward@'));
      ack(s, r, [ORDERS_HTTP]);
      await s.expectNothing('an ACK gets no response');
      const ty = t.server.streams()[0].types.find((x) => x.typeUrl === ECDS)!;
      assert.equal(ty.ackedVersion, r.version_info);
      assert.equal(ty.awaitingAck, false);
      assert.equal(t.server.metrics().acks, 1);
    });
  });

  it('nonces are per stream: every response on a stream has a new one, and a new stream starts afresh', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const r1 = await s.next();
      ack(s, r1, [ORDERS_HTTP]);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const r2 = await s.next();
      assert.notEqual(r2.nonce, r1.nonce);
      const other = track(RawStream.sotw(t.address));
      other.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const o1 = await other.next();
      // the other stream's nonce is valid there, whatever this one's were
      ack(other, o1, [ORDERS_HTTP]);
      await other.expectNothing();
      assert.equal(t.server.metrics().staleNonces, 0);
    });
  });

  it('NACK (error_detail): recorded and counted, the client keeps its version, nothing is resent until the resources change', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const r1 = await s.next();
      ack(s, r1, [ORDERS_HTTP]);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const r2 = await s.next();
      s.send({ type_url: ECDS, version_info: r1.version_info, response_nonce: r2.nonce, resource_names: [ORDERS_HTTP], error_detail: { code: 3, message: 'filter refused: bad rule' } });
      await s.expectNothing('after a NACK nothing is resent');
      const [nack] = t.server.nacks();
      assert.equal(nack.message, 'filter refused: bad rule');
      assert.equal(nack.rejectedVersion, r2.version_info);
      assert.equal(nack.keptVersion, r1.version_info);
      assert.equal(nack.nonce, r2.nonce);
      assert.deepEqual(nack.resources.map((x) => x.name), [ORDERS_HTTP]);
      assert.equal(t.server.metrics().nacks, 1);
      const ty = t.server.streams()[0].types.find((x) => x.typeUrl === ECDS)!;
      assert.equal(ty.ackedVersion, r1.version_info, 'the client still runs the version it ACKed');
      assert.equal(ty.lastNack?.nonce, r2.nonce);
      // the same content again is no change
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      t.cache.flush();
      await s.expectNothing('re-publishing the rejected content');
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 3));
      const r3 = await s.next();
      assert.notEqual(r3.version_info, r2.version_info);
      assert.deepEqual(names(r3), [ORDERS_HTTP]);
    });
  });

  it('a request with a stale nonce is ignored, subscription changes included', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const r1 = await s.next();
      ack(s, r1, [ORDERS_HTTP]);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const r2 = await s.next();
      // answers r1 although r2 was sent since: stale
      s.send({ type_url: ECDS, version_info: r1.version_info, response_nonce: r1.nonce, resource_names: [ORDERS_HTTP, ORDERS_NET] });
      await s.expectNothing('a stale request gets no response');
      assert.equal(t.server.metrics().staleNonces, 1);
      const ty = t.server.streams()[0].types.find((x) => x.typeUrl === ECDS)!;
      assert.deepEqual(ty.names, [ORDERS_HTTP], 'the stale request did not change the subscription');
      assert.equal(ty.awaitingAck, true, 'r2 still awaits its ACK');
      ack(s, r2, [ORDERS_HTTP, ORDERS_NET]);
      const r3 = await s.next();
      assert.deepEqual(names(r3), [ORDERS_NET], 'the current request adds the network filter');
    });
  });

  it('legacy wildcard: an empty first LDS request subscribes to every listener', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r' }));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: LDS, resource_names: [] });
      const r = await s.next();
      assert.deepEqual(names(r), ['a', 'b']);
      assert.equal(t.server.streams()[0].types[0].wildcard, true);
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r', c: 'r' }));
      ack(s, r, []);
      const r2 = await s.next();
      assert.deepEqual(names(r2), ['a', 'b', 'c'], 'a new listener reaches the wildcard subscriber');
    });
  });

  it('once a name was given, an empty LDS list unsubscribes (an empty response), it is not a wildcard', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r' }));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: LDS, resource_names: ['a'] });
      const r1 = await s.next();
      assert.deepEqual(names(r1), ['a']);
      ack(s, r1, []);
      const r2 = await s.next();
      assert.deepEqual(names(r2), [], 'full state of nothing: delete every listener');
      assert.equal(t.server.streams()[0].types[0].wildcard, false);
    });
  });

  it('explicit wildcard "*" alongside names, then leaving it: [*, a] → [a] keeps only a', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r' }));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: LDS, resource_names: ['*', 'a'] });
      const r1 = await s.next();
      assert.deepEqual(names(r1), ['a', 'b']);
      ack(s, r1, ['a']);
      const r2 = await s.next();
      assert.deepEqual(names(r2), ['a']);
    });
  });

  it('"*" is a wildcard for any type (ECDS); an empty list on a non-root type subscribes to nothing', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const empty = track(RawStream.sotw(t.address));
      empty.send({ node: NODE, type_url: ECDS, resource_names: [] });
      await empty.expectNothing('an empty ECDS subscription');
      const star = track(RawStream.sotw(t.address));
      star.send({ node: NODE, type_url: ECDS, resource_names: ['*'] });
      assert.deepEqual(names(await star.next()), [ORDERS_HTTP, ORDERS_NET]);
    });
  });

  it('a newly requested name is sent even if the stream sent it before', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const r1 = await s.next();
      ack(s, r1, [ORDERS_HTTP, ORDERS_NET]);
      const r2 = await s.next();
      assert.deepEqual(names(r2), [ORDERS_NET], 'only the new name: ECDS responses carry what changed');
      ack(s, r2, [ORDERS_NET]);
      await s.expectNothing('dropping a name');
      s.send({ type_url: ECDS, version_info: r2.version_info, response_nonce: r2.nonce, resource_names: [ORDERS_HTTP, ORDERS_NET] });
      const r3 = await s.next();
      assert.deepEqual(names(r3), [ORDERS_HTTP], 'requested again, sent again, though unchanged');
    });
  });

  it('Listener responses carry the full state; other types only what changed', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r1', b: 'r1' }, workloadResources('shop', 'orders', 1)));
      const lds = track(RawStream.sotw(t.address));
      lds.send({ node: NODE, type_url: LDS, resource_names: [] });
      const l1 = await lds.next();
      ack(lds, l1, []);
      const ecds = track(RawStream.sotw(t.address));
      ecds.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP, ORDERS_NET] });
      const e1 = await ecds.next();
      assert.deepEqual(names(e1), [ORDERS_HTTP, ORDERS_NET]);
      ack(ecds, e1, [ORDERS_HTTP, ORDERS_NET]);
      await ecds.expectNothing();

      // listener b moves to another route; the HTTP filter changes, the network one not
      const changed = workloadResources('shop', 'orders', 2);
      const net1 = workloadResources('shop', 'orders', 1).find((r) => r.name === ORDERS_NET)!;
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r1', b: 'r2' }, [changed.find((r) => r.name === ORDERS_HTTP)!, net1]));
      assert.deepEqual(names(await lds.next()), ['a', 'b'], 'LDS: both listeners, though only b changed');
      assert.deepEqual(names(await ecds.next()), [ORDERS_HTTP], 'ECDS: only the filter that changed');
    });
  });

  it('unchanged state is never resent: publishing the same content, or another node\'s change, sends nothing', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      ack(s, await s.next(), [ORDERS_HTTP]);
      assert.equal(t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1)), false, 'same content: no change');
      t.cache.setSnapshot('workload/shop/payments', workloadSnapshot('shop', 'payments', 1));
      // a change of the network filter only, which this stream does not subscribe to
      const http1 = workloadResources('shop', 'orders', 1).find((r) => r.name === ORDERS_HTTP)!;
      const net2 = workloadResources('shop', 'orders', 2).find((r) => r.name === ORDERS_NET)!;
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from([http1, net2]));
      t.cache.flush();
      await s.expectNothing();
      assert.equal(t.server.metrics().responses, 2, 'the first response and the probe');
    });
  });

  it('a reconnecting wildcard subscriber that presents the current version gets nothing; an older one gets the state', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, listenerSnapshot({ a: 'r', b: 'r' }));
      const s1 = track(RawStream.sotw(t.address));
      s1.send({ node: NODE, type_url: LDS, resource_names: [] });
      const r = await s1.next();
      s1.close();
      const s2 = track(RawStream.sotw(t.address));
      s2.send({ node: NODE, type_url: LDS, resource_names: [], version_info: r.version_info });
      await s2.expectNothing('the client holds the current version');
      const s3 = track(RawStream.sotw(t.address));
      s3.send({ node: NODE, type_url: LDS, resource_names: [], version_info: 'sha256:older' });
      assert.deepEqual(names(await s3.next()), ['a', 'b']);
    });
  });

  it('a subscribed resource that does not exist yet is sent when it appears', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, Snapshot.from([]));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      await s.expectNothing('nothing to send yet');
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      assert.deepEqual(names(await s.next()), [ORDERS_HTTP]);
    });
  });

  it('debounce: a burst of updates is pushed once, with the last state', async () => {
    await withServer(
      async (t, track) => {
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 0));
        t.cache.flush();
        const s = track(RawStream.sotw(t.address));
        s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
        ack(s, await s.next(), [ORDERS_HTTP]);
        for (let i = 1; i <= 10; i++) t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', i));
        const r = await s.next();
        const last = workloadResources('shop', 'orders', 10).find((x) => x.name === ORDERS_HTTP)!;
        assert.equal(r.version_info, setVersion([last]));
        ack(s, r, [ORDERS_HTTP]);
        await s.expectNothing('the burst gave one response');
        assert.equal(t.server.metrics().responses, 3, 'the first, the burst, the probe');
        assert.equal(t.cache.stats().coalesced, 9);
      },
      { cache: { debounce: { quietMs: 20, maxMs: 500 } } },
    );
  });

  it('one response awaits its ACK at a time: changes meanwhile go out after it, merged', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const r1 = await s.next();
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      t.cache.flush();
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 3));
      t.cache.flush();
      await s.expectNothing('r1 is not ACKed yet');
      ack(s, r1, [ORDERS_HTTP]);
      const r2 = await s.next();
      const last = workloadResources('shop', 'orders', 3).find((x) => x.name === ORDERS_HTTP)!;
      assert.equal(r2.version_info, setVersion([last]));
      assert.equal(t.server.metrics().pushes, 1);
    });
  });

  it('the host agent type (meshward.v1.AgentConfig) is served like any other', async () => {
    await withServer(async (t, track) => {
      const agent = (rev: number) =>
        Snapshot.from([agentResource('node-1', [{ namespace: 'shop', name: 'orders', labels: { app: 'orders' }, pods: ['orders-1'], configuration: '{"revision":' + rev + '}', version: `v${rev}` }])]);
      t.cache.setSnapshot(agentKey('node-1'), agent(1));
      const s = track(RawStream.sotw(t.address));
      s.send({ node: agentNodeFor('node-1'), type_url: TYPE_URL.agentConfig, resource_names: ['meshward.agent.node-1'] });
      const r1 = await s.next();
      assert.equal(r1.resources[0].type_url, TYPE_URL.agentConfig);
      const decoded = decodeMessage(TYPE_URL.agentConfig, r1.resources[0].value) as { node: string; workloads: { configuration: string }[] };
      assert.equal(decoded.node, 'node-1');
      assert.equal(decoded.workloads[0].configuration, '{"revision":1}');
      ack(s, r1, ['meshward.agent.node-1']);
      t.cache.setSnapshot(agentKey('node-1'), agent(2));
      const r2 = await s.next();
      assert.equal((decodeMessage(TYPE_URL.agentConfig, r2.resources[0].value) as { workloads: { configuration: string }[] }).workloads[0].configuration, '{"revision":2}');
    });
  });
});

describe('ExtensionConfigDiscoveryService (StreamExtensionConfigs)', { timeout: 30_000 }, () => {
  it('implies the TypedExtensionConfig type: requests may leave type_url empty', async () => {
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const s = track(RawStream.sotw(t.address, 'ecds'));
      s.send({ node: NODE, resource_names: [ORDERS_HTTP] });
      const r = await s.next();
      assert.equal(r.type_url, ECDS);
      assert.deepEqual(names(r), [ORDERS_HTTP]);
      s.send({ version_info: r.version_info, response_nonce: r.nonce, resource_names: [ORDERS_HTTP] });
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      assert.deepEqual(names(await s.next()), [ORDERS_HTTP]);
      assert.equal(t.server.streams()[0].service, 'ecds');
    });
  });

  it('refuses another type with INVALID_ARGUMENT', async () => {
    await withServer(async (t, track) => {
      const s = track(RawStream.sotw(t.address, 'ecds'));
      s.send({ node: NODE, type_url: LDS, resource_names: [] });
      const status = await s.ended;
      assert.equal(status.code, 3);
      assert.match(status.details, /serves only .*TypedExtensionConfig/);
      assert.equal(t.server.metrics().invalidRequests, 1);
    });
  });
});

describe('stream admission', { timeout: 30_000 }, () => {
  it('a first request without a node ends the stream with INVALID_ARGUMENT', async () => {
    await withServer(async (t, track) => {
      const s = track(RawStream.sotw(t.address));
      s.send({ type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const status = await s.ended;
      assert.equal(status.code, 3);
      assert.match(status.details, /node/);
    });
  });

  it('a node that names no workload ends the stream with INVALID_ARGUMENT saying what is missing', async () => {
    await withServer(async (t, track) => {
      const s = track(RawStream.sotw(t.address));
      s.send({ node: { id: 'some-envoy' }, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      const status = await s.ended;
      assert.equal(status.code, 3);
      assert.match(status.details, /WORKLOAD_NAME/);
      assert.equal(t.server.metrics().streamsActive, 0);
    });
  });
});
