// The ECDS client `meshward proxy --xds` uses, against the real control-plane server: first
// configuration, updates, NACK of an invalid one (the old one stays, the server records it),
// the control plane killed and restarted (the client keeps its policy, reconnects, and with
// Delta initial versions downloads nothing it has), defaults, SotW and the ECDS service.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subscribe, sidecarNode, type EcdsEvent } from '../../src/xds/index.js';
import {
  encodeMessage,
  makeResource,
  meshwardNodeKey,
  packAny,
  Snapshot,
  SnapshotCache,
  TYPE_URL,
  workloadKey,
  XdsServer,
} from '../../../control-plane/src/xds/index.js';
import { readFileSync } from 'node:fs';
import { identityAuthorizer, identityMapFromInventory } from '../../../control-plane/src/xds/index.js';
import { makeTestPki } from '../../../test/support/certs.js';
import { Events, FakeProxy, HTTP_NAME, policy, startControlPlane, ordersSnapshot } from './support.js';

const NODE = sidecarNode({ namespace: 'shop', name: 'orders', pod: 'orders-1' });
const FAST = { baseMs: 20, maxMs: 200 };

describe('ECDS client (subscribe)', { timeout: 30_000 }, () => {
  it('waits for its first configuration and applies it; ready resolves with it', async () => {
    const cp = await startControlPlane(policy(1));
    const proxy = new FakeProxy();
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST }, proxy.apply);
    try {
      const first = await sub.ready;
      assert.equal(first.json, policy(1));
      assert.equal(first.source, 'xds');
      assert.match(first.version, /^sha256:/);
      assert.equal(proxy.current, policy(1));
      const st = sub.status();
      assert.equal(st.connected, true);
      assert.deepEqual(Object.keys(st.resources), [HTTP_NAME]);
    } finally {
      await sub.close();
      await cp.close();
    }
  });

  it('applies an update and ACKs it', async () => {
    const cp = await startControlPlane(policy(1));
    const proxy = new FakeProxy();
    const events = new Events<EcdsEvent>();
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, onEvent: events.push }, proxy.apply);
    try {
      await sub.ready;
      await events.next('ack');
      cp.publish(policy(2));
      await proxy.appliedCount(2);
      assert.equal(proxy.current, policy(2));
      await cp.events.next('ack');
      const ack = await cp.events.next('ack');
      const stream = cp.server.streams()[0];
      assert.equal(stream.protocol, 'delta');
      assert.equal(stream.types[0].ackedVersion, ack.version);
      assert.equal(stream.types[0].clientVersions[HTTP_NAME], proxy.applied[1].version);
      assert.equal(sub.status().acks, 2);
    } finally {
      await sub.close();
      await cp.close();
    }
  });

  it('NACKs an invalid configuration with the reason, keeps the last good one, and the server records the NACK', async () => {
    const cp = await startControlPlane(policy(1));
    const proxy = new FakeProxy();
    const events = new Events<EcdsEvent>();
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, onEvent: events.push }, proxy.apply);
    try {
      await sub.ready;
      cp.publish(policy(2, 99));
      const nack = await events.next('nack');
      assert.match(nack.reason, /schema 99 is not supported/);
      assert.equal(proxy.current, policy(1), 'the last good configuration stays in force');
      await cp.events.next('nack');
      const [record] = cp.server.nacks();
      assert.match(record.message, /meshward\.http\.shop\.orders .*schema 99 is not supported/);
      assert.equal(cp.server.metrics().nacks, 1);
      assert.equal(sub.status().nacks, 1);
      assert.equal(sub.status().rejected, 1);
      // a good one afterwards is applied
      cp.publish(policy(3));
      await proxy.appliedCount(2);
      assert.equal(proxy.current, policy(3));
    } finally {
      await sub.close();
      await cp.close();
    }
  });

  it('refuses a resource that is not a Wasm filter with a plugin configuration, naming the field', async () => {
    const cp = await startControlPlane(undefined);
    const proxy = new FakeProxy();
    const events = new Events<EcdsEvent>();
    const body = encodeMessage(TYPE_URL.extensionConfig, { name: HTTP_NAME, typed_config: packAny(TYPE_URL.router, {}) });
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, onEvent: events.push }, proxy.apply);
    try {
      cp.cache.setSnapshot(workloadKey('shop', 'orders'), Snapshot.from([makeResource(TYPE_URL.extensionConfig, HTTP_NAME, body)]));
      const nack = await events.next('nack');
      assert.match(nack.reason, /typed_config: expected .*wasm\.v3\.Wasm.*found .*Router/);
      assert.equal(proxy.applied.length, 0);
    } finally {
      await sub.close();
      await cp.close();
    }
  });

  it('keeps its policy while the control plane is down, reconnects with backoff, and (Delta initial versions) downloads nothing it has', async () => {
    const cp = await startControlPlane(policy(1));
    const port = cp.server.port;
    const proxy = new FakeProxy();
    const events = new Events<EcdsEvent>();
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, onEvent: events.push }, proxy.apply);
    let restarted: { server: XdsServer; publish(json: string): void; close(): Promise<void> } | undefined;
    try {
      await sub.ready;
      await events.next('ack');
      await events.next('connected');
      cp.server.kill();
      const lost = await events.next('disconnected');
      assert.ok(lost.retryInMs >= 10 && lost.retryInMs <= 20, `first retry within [base/2, base]: ${lost.retryInMs}`);
      assert.equal(sub.status().connected, false);
      assert.equal(proxy.current, policy(1), 'still enforcing the last good policy');
      // a few failed attempts while nothing listens: the delays grow
      const d2 = await events.next('disconnected');
      const d3 = await events.next('disconnected');
      assert.ok(d3.retryInMs >= d2.retryInMs / 2 && d3.retryInMs <= 200, `${d2.retryInMs} then ${d3.retryInMs}`);

      // a new control plane (fresh process state) on the same port, same content
      const fresh = new SnapshotCache();
      fresh.setSnapshot('workload/shop/orders', ordersSnapshot(policy(1)));
      const server = await XdsServer.start({ watcher: fresh, nodeKey: meshwardNodeKey(), port });
      restarted = { server, publish: (j) => fresh.setSnapshot('workload/shop/orders', ordersSnapshot(j)), close: () => server.close(100) };
      await events.next('connected');
      // the first request carried initial_resource_versions; prove nothing came by making a change
      restarted.publish(policy(2));
      await proxy.appliedCount(2);
      const m = server.metrics();
      assert.equal(m.resourcesSent, 1, 'only the changed resource: the unchanged one was not downloaded again');
      assert.equal(m.responses, 1);
      assert.deepEqual(proxy.applied.map((a) => JSON.parse(a.json).revision), [1, 2]);
      assert.equal(sub.status().disconnects, 1);
    } finally {
      await sub.close();
      await restarted?.close();
    }
  });

  it("applies the default at once with initial.apply 'now', then the control plane's configuration", async () => {
    const cp = await startControlPlane(policy(5));
    const proxy = new FakeProxy();
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, initial: { json: policy(0), apply: 'now' } }, proxy.apply);
    try {
      const first = await sub.ready;
      assert.equal(first.source, 'default');
      assert.equal(first.json, policy(0));
      await proxy.appliedCount(2);
      assert.deepEqual(proxy.applied.map((a) => a.version.startsWith('sha256:') ? 'xds' : a.version), ['default', 'xds']);
      assert.equal(proxy.current, policy(5));
    } finally {
      await sub.close();
      await cp.close();
    }
  });

  it("applies the default when nothing arrives within the fetch timeout (initial.apply 'on-timeout')", async () => {
    // a port that refuses connections: a server started and stopped
    const gone = await startControlPlane(undefined);
    const address = gone.address;
    await gone.close();
    const proxy = new FakeProxy();
    const sub = subscribe({ server: address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, initial: { json: policy(0), apply: 'on-timeout', timeoutMs: 50 } }, proxy.apply);
    try {
      const first = await sub.ready;
      assert.equal(first.source, 'default');
      assert.equal(proxy.current, policy(0));
      assert.equal(sub.status().connected, false);
    } finally {
      await sub.close();
    }
  });

  it('a refused default rejects ready', async () => {
    const proxy = new FakeProxy();
    const sub = subscribe({ server: '127.0.0.1:1', node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, initial: { json: policy(0, 7), apply: 'now' } }, proxy.apply);
    try {
      await assert.rejects(sub.ready, /default configuration was refused: schema 7/);
    } finally {
      await sub.close();
    }
  });

  it('works over SotW and over the standalone ExtensionConfigDiscoveryService', async () => {
    const cp = await startControlPlane(policy(1));
    const proxies = [new FakeProxy(), new FakeProxy(), new FakeProxy()];
    const subs = [
      subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, protocol: 'sotw' }, proxies[0].apply),
      subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, protocol: 'sotw', service: 'ecds' }, proxies[1].apply),
      subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, protocol: 'delta', service: 'ecds' }, proxies[2].apply),
    ];
    try {
      await Promise.all(subs.map((s) => s.ready));
      cp.publish(policy(2));
      await Promise.all(proxies.map((p) => p.appliedCount(2)));
      for (const p of proxies) assert.equal(p.current, policy(2));
      const kinds = cp.server.streams().map((s) => `${s.protocol}/${s.service}`).sort();
      assert.deepEqual(kinds, ['delta/ecds', 'sotw/ads', 'sotw/ecds']);
    } finally {
      for (const s of subs) await s.close();
      await cp.close();
    }
  });

  it('a resource the control plane removes leaves the last good configuration in force, reported', async () => {
    const cp = await startControlPlane(policy(1));
    const proxy = new FakeProxy();
    const events = new Events<EcdsEvent>();
    const sub = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, onEvent: events.push }, proxy.apply);
    try {
      await sub.ready;
      cp.cache.setSnapshot('workload/shop/orders', Snapshot.from([]));
      const removed = await events.next('removed');
      assert.equal(removed.name, HTTP_NAME);
      assert.equal(proxy.current, policy(1));
      assert.deepEqual(sub.status().removed, [HTTP_NAME]);
    } finally {
      await sub.close();
      await cp.close();
    }
  });

  it('over mTLS: its own identity gets the policy; another workload\'s identity is refused and retried, nothing applied', async () => {
    const pki = makeTestPki();
    const cp = await startControlPlane(policy(1), {
      tls: { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), clientCa: readFileSync(pki.caCert) },
      authorize: identityAuthorizer({ workloads: identityMapFromInventory([{ namespace: 'shop', name: 'orders', labels: {}, serviceAccount: 'orders' }]) }),
    });
    const tlsFor = (uri: string, name: string) => {
      const c = pki.client(name, uri);
      return { ca: readFileSync(pki.caCert), cert: readFileSync(c.cert), key: readFileSync(c.key), serverName: 'localhost' };
    };
    const good = new FakeProxy();
    const bad = new FakeProxy();
    const badEvents = new Events<EcdsEvent>();
    const ok = subscribe({ server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, tls: tlsFor('spiffe://cluster.local/ns/shop/sa/orders', 'orders') }, good.apply);
    const denied = subscribe(
      { server: cp.address, node: NODE, resourceNames: [HTTP_NAME], backoff: FAST, tls: tlsFor('spiffe://cluster.local/ns/shop/sa/payments', 'payments'), onEvent: badEvents.push },
      bad.apply,
    );
    try {
      assert.equal((await ok.ready).json, policy(1));
      const lost = await badEvents.next('disconnected');
      assert.equal(lost.code, 7, 'PERMISSION_DENIED');
      await badEvents.next('disconnected'); // and it keeps trying, with backoff
      assert.equal(bad.applied.length, 0);
      assert.match(denied.status().lastError ?? '', /PERMISSION_DENIED: identity spiffe:\/\/cluster\.local\/ns\/shop\/sa\/payments may not fetch/);
      assert.ok(cp.server.metrics().denied >= 2);
    } finally {
      await ok.close();
      await denied.close();
      await cp.close();
      pki.cleanup();
    }
  });
});
