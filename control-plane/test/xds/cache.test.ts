// The snapshot cache without a socket: publishing, consistency checks, watches and their
// debounce, as the server sees them through ConfigWatcher.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  combineRules,
  ecdsResources,
  envoyRules,
  GENERIC_ECDS_NAMES,
  makeResource,
  meshwardRules,
  Snapshot,
  SnapshotCache,
  TYPE_URL,
  XdsError,
  type TypeResources,
} from '../../src/xds/index.js';
import { listenerSnapshot, ORDERS_HTTP, ORDERS_KEY, policyJson, WASM, workloadResources, workloadSnapshot } from './support/fixtures.js';

const ECDS = TYPE_URL.extensionConfig;

/** The next call of a watch, as a promise. */
function nextCall(cache: SnapshotCache, key: string, typeUrl: string): { promise: Promise<TypeResources | undefined>; cancel: () => void } {
  let cancel = (): void => {};
  const promise = new Promise<TypeResources | undefined>((resolve) => {
    cancel = cache.watch(key, typeUrl, (r) => {
      cancel();
      resolve(r);
    });
  });
  return { promise, cancel };
}

describe('SnapshotCache', () => {
  it('serves the published snapshot per key and type; a key without one answers undefined', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    const r = cache.fetch(ORDERS_KEY, ECDS)!;
    assert.deepEqual([...r.resources.keys()], ['meshward.http.shop.orders', 'meshward.network.shop.orders']);
    assert.equal(cache.fetch(ORDERS_KEY, TYPE_URL.listener)!.resources.size, 0, 'a type the snapshot lacks is empty');
    assert.equal(cache.fetch('workload/shop/other', ECDS), undefined);
    assert.deepEqual(cache.keys(), [ORDERS_KEY]);
  });

  it('refuses an inconsistent snapshot with every problem, and keeps the previous one', () => {
    const cache = new SnapshotCache({ rules: combineRules(envoyRules) });
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    const good = workloadResources('shop', 'orders', 2)[0];
    const tampered = { ...good, body: Buffer.from(good.body).fill(0, 0, 4) };
    const dangling = listenerSnapshot({ a: 'r' });
    const listenerOnly = Snapshot.from([...dangling.all()].filter((r) => r.typeUrl === TYPE_URL.listener));
    assert.throws(
      () => cache.setSnapshot(ORDERS_KEY, Snapshot.from([tampered, ...listenerOnly.all()])),
      (err: XdsError) => {
        assert.equal(err.code, 'XDS_SNAPSHOT_INCONSISTENT');
        assert.equal(err.problems.length >= 2, true, err.message);
        assert.ok(err.problems.some((p) => /not the content hash/.test(p)));
        assert.ok(err.problems.some((p) => /refers to .*RouteConfiguration "r"/.test(p)));
        return true;
      },
    );
    assert.equal(cache.fetch(ORDERS_KEY, ECDS)!.version, workloadSnapshot('shop', 'orders', 1).get(ECDS).version);
    assert.equal(cache.stats().rejected, 1);
  });

  it('setSnapshots publishes all or none', () => {
    const cache = new SnapshotCache({ rules: meshwardRules });
    const good = workloadSnapshot('shop', 'payments', 1);
    const broken = Snapshot.from([makeResource(ECDS, ORDERS_HTTP, Buffer.from('not that message \u00ff'))]);
    assert.throws(
      () => cache.setSnapshots(new Map([['workload/shop/payments', good], [ORDERS_KEY, broken]])),
      (err: XdsError) => err.code === 'XDS_SNAPSHOT_INCONSISTENT' && err.problems.every((p) => p.startsWith(`${ORDERS_KEY}: `)),
    );
    assert.deepEqual(cache.keys(), [], 'the good one was not published either');
    assert.deepEqual(cache.setSnapshots(new Map([['workload/shop/payments', good]])), ['workload/shop/payments']);
    assert.deepEqual(cache.setSnapshots(new Map([['workload/shop/payments', workloadSnapshot('shop', 'payments', 1)]])), [], 'same content: unchanged');
  });

  it("checks Meshward resources' content: a plugin configuration that is not JSON is refused", () => {
    const cache = new SnapshotCache({ rules: meshwardRules });
    const broken = makeResource(ECDS, ORDERS_HTTP, Buffer.from('not a protobuf of that type \u00ff\u00ff'));
    assert.throws(() => cache.setSnapshot(ORDERS_KEY, Snapshot.from([broken])), /does not decode|inconsistent/);
  });

  it('a snapshot with the current versions is not run through the rules again, but its content hashes still are', () => {
    let validated = 0;
    const cache = new SnapshotCache({ rules: { validate: (r) => (validated++, meshwardRules.validate!(r)) } });
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    assert.equal(validated, 2);
    assert.equal(cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1)), false);
    assert.deepEqual(cache.setSnapshots(new Map([[ORDERS_KEY, workloadSnapshot('shop', 'orders', 1)]])), []);
    assert.equal(validated, 2, 'names and versions of resources that passed: nothing new to validate');
    const [http, net] = workloadResources('shop', 'orders', 1);
    const tampered = { ...http, body: Buffer.from(http.body).fill(0, 0, 4) };
    assert.throws(() => cache.setSnapshot(ORDERS_KEY, Snapshot.from([tampered, net])), /not the content hash/);
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
    assert.equal(validated, 4, 'new content is validated');
  });

  it('a typed_config checked just before is not decoded again, but a different one is', () => {
    const cache = new SnapshotCache({ rules: meshwardRules });
    const w = { namespace: 'shop', name: 'orders' };
    const good = ecdsResources(w, policyJson(1), WASM, GENERIC_ECDS_NAMES);
    // Sorted, the generic names come first: each own-name resource follows one whose plugin
    // differs from it only by its JSON.
    const broken = ecdsResources(w, '["not an object"]', WASM);
    assert.throws(() => cache.setSnapshot(ORDERS_KEY, Snapshot.from([...good, ...broken])), (err: XdsError) => {
      assert.deepEqual(err.problems.map((p) => p.split(' ')[1]), [`${JSON.stringify(broken[0].name)}:`, `${JSON.stringify(broken[1].name)}:`]);
      return true;
    });
    assert.equal(cache.setSnapshot(ORDERS_KEY, Snapshot.from([...good, ...ecdsResources(w, policyJson(1), WASM)])), true);
  });

  it('a name given twice in one type is refused when the snapshot is made', () => {
    const [a] = workloadResources('shop', 'orders', 1);
    assert.throws(() => Snapshot.from([a, a]), (err: XdsError) => err.code === 'XDS_SNAPSHOT_INCONSISTENT' && /given twice/.test(err.message));
  });

  it('a watch hears a change after the call that made it, never during it, with the new resources', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    const next = nextCall(cache, ORDERS_KEY, ECDS);
    let heard = false;
    void next.promise.then(() => (heard = true));
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
    await Promise.resolve();
    assert.equal(heard, false, 'not synchronously');
    const r = await next.promise;
    assert.equal(r!.version, workloadSnapshot('shop', 'orders', 2).get(ECDS).version);
  });

  it('publishing the same content does not notify; a change to another type does not notify this type', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    let calls = 0;
    const cancel = cache.watch(ORDERS_KEY, ECDS, () => calls++);
    assert.equal(cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1)), false);
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1, [...listenerSnapshot({ a: 'r' }).all()]));
    cache.flush();
    assert.equal(calls, 0);
    cancel();
    assert.equal(cache.stats().unchanged, 1);
  });

  it('debounce: a burst of setSnapshot calls is announced once, with the last snapshot', async () => {
    const cache = new SnapshotCache({ debounce: { quietMs: 10, maxMs: 1000 } });
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 0));
    cache.flush();
    const seen: string[] = [];
    let done!: () => void;
    const announced = new Promise<void>((r) => (done = r));
    const cancel = cache.watch(ORDERS_KEY, ECDS, (r) => {
      seen.push(r!.version);
      done();
    });
    for (let i = 1; i <= 20; i++) cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', i));
    await announced;
    cache.flush(); // nothing pending: no second call
    assert.deepEqual(seen, [workloadSnapshot('shop', 'orders', 20).get(ECDS).version]);
    assert.equal(cache.stats().coalesced, 19);
    cancel();
    cache.close();
  });

  it('debounce has a ceiling: changes arriving without pause are still announced after maxMs', async () => {
    const cache = new SnapshotCache({ debounce: { quietMs: 50, maxMs: 60 } });
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 0));
    cache.flush();
    const next = nextCall(cache, ORDERS_KEY, ECDS);
    const started = performance.now();
    let i = 1;
    let announced = false;
    void next.promise.then(() => (announced = true));
    // a change every 20 ms (less than quietMs) until the ceiling releases one announcement
    while (!announced && performance.now() - started < 2000) {
      cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', i++));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(announced, true);
    assert.ok(performance.now() - started < 1000);
    cache.close();
  });

  it('clearSnapshot: watchers hear undefined', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    const next = nextCall(cache, ORDERS_KEY, ECDS);
    assert.equal(cache.clearSnapshot(ORDERS_KEY), true);
    assert.equal(await next.promise, undefined);
    assert.equal(cache.clearSnapshot(ORDERS_KEY), false);
  });

  it('a watch set before the snapshot exists hears its arrival; cancelled watches hear nothing and are dropped', async () => {
    const cache = new SnapshotCache();
    const next = nextCall(cache, ORDERS_KEY, ECDS);
    let cancelledCalls = 0;
    const cancel = cache.watch(ORDERS_KEY, ECDS, () => cancelledCalls++);
    cancel();
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    assert.equal((await next.promise)!.resources.size, 2);
    assert.equal(cancelledCalls, 0);
    assert.equal(cache.stats().watchedTypes, 0, 'no listener left: the entry is gone');
  });

  it('announceBatch: a change heard by many is announced over several turns, each listener once; flush hears the rest now', async () => {
    const cache = new SnapshotCache({ announceBatch: 3 });
    const keys = ['shop/a', 'shop/b', 'shop/c', 'shop/d'].map((id) => `workload/${id}`);
    for (const [i, key] of keys.entries()) cache.setSnapshot(key, workloadSnapshot('shop', `w${i}`, 0));
    cache.flush();
    const heard: string[] = [];
    // two listeners per key: a batch of 3 calls ends after the key that reaches 3 (a key is never split)
    for (const key of keys) for (const n of [1, 2]) cache.watch(key, ECDS, () => heard.push(`${key}#${n}`));
    for (const [i, key] of keys.entries()) cache.setSnapshot(key, workloadSnapshot('shop', `w${i}`, 1));
    await new Promise((r) => setImmediate(r)); // the debounce's turn: the first batch
    assert.equal(heard.length, 4, 'two keys (4 calls) in the first turn');
    assert.equal(cache.stats().announcing, 2);
    await new Promise((r) => setImmediate(r));
    assert.equal(heard.length, 8, 'the rest in the next turn');
    assert.equal(cache.stats().announcing, 0);
    assert.deepEqual(new Set(heard).size, 8, 'each listener once');

    // A key changed again while it waits keeps its place and is announced once, with the latest.
    const versions: string[] = [];
    for (const key of keys) cache.watch(key, ECDS, (r) => versions.push(r!.version));
    for (const [i, key] of keys.entries()) cache.setSnapshot(key, workloadSnapshot('shop', `w${i}`, 2));
    await new Promise((r) => setImmediate(r));
    cache.setSnapshot(keys[3], workloadSnapshot('shop', 'w3', 3));
    cache.flush();
    assert.equal(cache.stats().announcing, 0, 'flush announced everything');
    assert.equal(versions.length, 4);
    assert.equal(versions[3], workloadSnapshot('shop', 'w3', 3).get(ECDS).version);
    await new Promise((r) => setImmediate(r));
    assert.equal(versions.length, 4, 'nothing heard twice');

    // close() drops what is still waiting.
    for (const [i, key] of keys.entries()) cache.setSnapshot(key, workloadSnapshot('shop', `w${i}`, 4));
    await new Promise((r) => setImmediate(r));
    const before = versions.length;
    cache.close();
    await new Promise((r) => setImmediate(r));
    assert.equal(versions.length, before);
    assert.equal(cache.stats().announcing, 0);
    assert.throws(() => new SnapshotCache({ announceBatch: 0 }), /announceBatch: 0 must be a positive integer/);
  });

  it('a listener that throws is counted and does not stop the others', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
    let other = 0;
    cache.watch(ORDERS_KEY, ECDS, () => {
      throw new Error('boom');
    });
    cache.watch(ORDERS_KEY, ECDS, () => other++);
    cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
    cache.flush();
    assert.equal(other, 1);
    assert.equal(cache.stats().listenerErrors, 1);
  });
});
