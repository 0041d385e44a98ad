// mTLS on the xDS port: the SPIFFE identity of the client certificate must be allowed the
// workload its node names, so one workload cannot fetch another's policy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { agentKey, agentResource, identityAuthorizer, identityMapFromInventory, Snapshot, TYPE_URL, type DeniedEvent } from '../../src/xds/index.js';
import { makeTestPki, type TestPki } from '../../../test/support/certs.js';
import { ORDERS_HTTP, ORDERS_KEY, startTestServer, workloadSnapshot, type TestServer } from './support/fixtures.js';
import { agentNodeFor, nodeFor, RawStream, type RawClientTls } from './support/raw-client.js';

const ECDS = TYPE_URL.extensionConfig;

describe('xDS over mTLS, identity checked against the workload', { timeout: 30_000 }, () => {
  let pki: TestPki;
  let t: TestServer;
  const denied: DeniedEvent[] = [];
  const identity = (uri: string, name: string): RawClientTls => {
    const c = pki.client(name, uri);
    return { ca: readFileSync(pki.caCert), cert: readFileSync(c.cert), key: readFileSync(c.key) };
  };

  before(async () => {
    pki = makeTestPki();
    const inventory = [
      { namespace: 'shop', name: 'orders', labels: {}, serviceAccount: 'orders' },
      { namespace: 'shop', name: 'payments', labels: {}, serviceAccount: 'payments' },
    ];
    t = await startTestServer({
      tls: { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), clientCa: readFileSync(pki.caCert) },
      authorize: identityAuthorizer({ workloads: identityMapFromInventory(inventory), agents: new Set(['meshward-system/agent']), trustDomain: 'cluster.local' }),
      hooks: { onDenied: (_s, d) => denied.push(d) },
    });
    t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    t.cache.setSnapshot('workload/shop/payments', workloadSnapshot('shop', 'payments', 1));
    t.cache.setSnapshot(agentKey('node-1'), Snapshot.from([agentResource('node-1', [])]));
  });

  after(async () => {
    await t.close();
    pki.cleanup();
  });

  it("a workload's own identity fetches its policy", async () => {
    const s = RawStream.delta(t.address, 'ads', identity('spiffe://cluster.local/ns/shop/sa/orders', 'orders'));
    try {
      s.send({ node: nodeFor('shop', 'orders'), type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      const r = await s.next();
      assert.deepEqual(r.resources.map((x) => x.name), [ORDERS_HTTP]);
      assert.equal(t.server.streams().find((x) => x.key === ORDERS_KEY)?.identity, 'spiffe://cluster.local/ns/shop/sa/orders');
    } finally {
      s.close();
    }
  });

  it("another workload's policy is refused with PERMISSION_DENIED, counted and reported", async () => {
    const s = RawStream.delta(t.address, 'ads', identity('spiffe://cluster.local/ns/shop/sa/orders', 'orders-2'));
    try {
      // the node claims to be payments; the certificate says orders
      s.send({ node: nodeFor('shop', 'payments'), type_url: ECDS, resource_names_subscribe: ['meshward.http.shop.payments'] });
      const status = await s.ended;
      assert.equal(status.code, 7);
      assert.match(status.details, /spiffe:\/\/cluster\.local\/ns\/shop\/sa\/orders may not fetch the policy of workload shop\/payments/);
      assert.equal(t.server.metrics().denied, 1);
      assert.equal(denied.at(-1)?.key, 'workload/shop/payments');
    } finally {
      s.close();
    }
  });

  it('an identity from another trust domain is refused', async () => {
    const s = RawStream.sotw(t.address, 'ads', identity('spiffe://elsewhere.example/ns/shop/sa/orders', 'foreign'));
    try {
      s.send({ node: nodeFor('shop', 'orders'), type_url: ECDS, resource_names: [ORDERS_HTTP] });
      assert.equal((await s.ended).code, 7);
    } finally {
      s.close();
    }
  });

  it('a client without a certificate, or with one from another CA, does not get a stream', async () => {
    const bare = RawStream.sotw(t.address, 'ads', { ca: readFileSync(pki.caCert) });
    const c = pki.rogueClient('spiffe://cluster.local/ns/shop/sa/orders');
    const rogue = RawStream.sotw(t.address, 'ads', { ca: readFileSync(pki.caCert), cert: readFileSync(c.cert), key: readFileSync(c.key) });
    try {
      for (const s of [bare, rogue]) {
        s.send({ node: nodeFor('shop', 'orders'), type_url: ECDS, resource_names: [ORDERS_HTTP] });
        assert.equal((await s.ended).code, 14, 'UNAVAILABLE: the handshake failed');
      }
    } finally {
      bare.close();
      rogue.close();
    }
  });

  it("a host agent's identity fetches agent configurations", async () => {
    const s = RawStream.sotw(t.address, 'ads', identity('spiffe://cluster.local/ns/meshward-system/sa/agent', 'agent'));
    try {
      s.send({ node: agentNodeFor('node-1'), type_url: TYPE_URL.agentConfig, resource_names: ['meshward.agent.node-1'] });
      assert.equal((await s.next()).resources.length, 1);
    } finally {
      s.close();
    }
  });
});
