// ExtensionConfigDiscoveryService/FetchExtensionConfigs: the unary poll of the standalone ECDS
// service. The node is checked and authorized as on a stream; the answer carries the node's
// current extension configs (all, or the named ones) and the same versions the streams use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { discoveryCodecs, METHOD, TYPE_URL, type DiscoveryRequestMsg, type DiscoveryResponseMsg } from '../../src/xds/index.js';
import { ORDERS_HTTP, ORDERS_KEY, ORDERS_NET, withServer, workloadSnapshot } from './support/fixtures.js';
import { nodeFor, RawStream } from './support/raw-client.js';

const ECDS = TYPE_URL.extensionConfig;

function fetchConfigs(address: string, request: Partial<DiscoveryRequestMsg>): Promise<DiscoveryResponseMsg> {
  const codecs = discoveryCodecs();
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<DiscoveryResponseMsg>((resolve, reject) => {
    client.makeUnaryRequest(
      METHOD.ecdsFetch,
      (r: Partial<DiscoveryRequestMsg>) => codecs.request.encode(r as DiscoveryRequestMsg),
      (b: Buffer) => codecs.response.decode(b),
      request,
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  }).finally(() => client.close());
}

const names = (r: DiscoveryResponseMsg) => r.resources.map((a) => (Buffer.from(a.value).toString('latin1').includes(ORDERS_NET) ? ORDERS_NET : ORDERS_HTTP)).sort();

describe('ECDS FetchExtensionConfigs (unary)', () => {
  it('answers with every extension config of the node, at the version a stream is sent', () =>
    withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const fetched = await fetchConfigs(t.address, { node: nodeFor('shop', 'orders'), type_url: ECDS });
      assert.equal(fetched.type_url, ECDS);
      assert.deepEqual(names(fetched), [ORDERS_HTTP, ORDERS_NET]);
      const s = track(RawStream.sotw(t.address, 'ecds'));
      s.send({ node: nodeFor('shop', 'orders'), type_url: ECDS, resource_names: [ORDERS_HTTP, ORDERS_NET] });
      const streamed = await s.next();
      assert.equal(fetched.version_info, streamed.version_info, 'one version for both ways of asking');
      assert.deepEqual(fetched.resources.map((r) => Buffer.from(r.value)).sort(Buffer.compare), streamed.resources.map((r) => Buffer.from(r.value)).sort(Buffer.compare));
      assert.equal(t.server.metrics().fetches, 1);
    }));

  it('answers with the named configs only, and follows a policy change', () =>
    withServer(async (t) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const one = await fetchConfigs(t.address, { node: nodeFor('shop', 'orders'), resource_names: [ORDERS_HTTP] });
      assert.deepEqual(names(one), [ORDERS_HTTP]);
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const two = await fetchConfigs(t.address, { node: nodeFor('shop', 'orders'), resource_names: [ORDERS_HTTP] });
      assert.notEqual(two.version_info, one.version_info);
      assert.ok(Buffer.from(two.resources[0].value).toString('latin1').includes('"revision":2'));
    }));

  it('refuses a request without a node, a type it does not serve, a node with no configuration, and a denied identity', () =>
    withServer(
      async (t) => {
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
        const code = (p: Promise<unknown>) => p.then(() => 'OK', (e: grpc.ServiceError) => `${grpc.status[e.code]}: ${e.details}`);
        assert.match(await code(fetchConfigs(t.address, { type_url: ECDS })), /^INVALID_ARGUMENT: node: a fetch must carry the node/);
        assert.match(await code(fetchConfigs(t.address, { node: nodeFor('shop', 'orders'), type_url: TYPE_URL.listener })), /^INVALID_ARGUMENT: type_url .*Listener is not served/);
        assert.match(await code(fetchConfigs(t.address, { node: nodeFor('shop', 'billing') })), /^UNAVAILABLE: no configuration for node/);
        assert.match(await code(fetchConfigs(t.address, { node: nodeFor('shop', 'payments') })), /^PERMISSION_DENIED: payments is not for you/);
        const m = t.server.metrics();
        assert.equal(m.invalidRequests, 2);
        assert.equal(m.denied, 1);
        assert.equal(m.fetches, 0);
      },
      { authorize: ({ node }) => (node.id.includes('payments') ? { allowed: false, reason: 'payments is not for you' } : { allowed: true }) },
    ));
});
