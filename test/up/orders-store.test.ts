// The demo's orders store: PostgreSQL and Redis when they answer, memory otherwise, and it says
// what it left out rather than failing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openOrdersStore } from '../../cli/demo/orders-store.js';

describe('demo orders store', () => {
  it('falls back to memory without PostgreSQL and Redis, and says so', async () => {
    const { store, notes } = await openOrdersStore({ postgres: 'postgres://postgres@127.0.0.1:1/postgres', redis: 'redis://127.0.0.1:1' });
    try {
      assert.equal(store.kind, 'memory');
      assert.equal(notes.length, 2);
      assert.match(notes[0], /^PostgreSQL not reachable at 127\.0\.0\.1:1 .*orders are kept in memory/);
      assert.match(notes[1], /^Redis not reachable at 127\.0\.0\.1:1 .*not cached/);
      const o = await store.add({ item: 'tea', quantity: 1, card: '4111 1111 1111 1111' });
      assert.ok((await store.list()).some((x) => x.id === o.id));
      assert.equal(await store.remove(o.id), true);
    } finally {
      await store.close();
    }
  });

  it('uses the local PostgreSQL with a Redis cache that writes invalidate', async () => {
    const { store, notes } = await openOrdersStore();
    try {
      assert.deepEqual(notes, [], 'PostgreSQL and Redis run locally on this kind of machine');
      assert.equal(store.kind, 'postgresql+redis');
      const before = (await store.list()).length;
      const o = await store.add({ item: 'tea', quantity: 1, card: '4111 1111 1111 1111' });
      assert.equal((await store.list()).length, before + 1);
      assert.equal(await store.remove(o.id), true);
      assert.equal((await store.list()).length, before);
    } finally {
      await store.close();
    }
  });
});
