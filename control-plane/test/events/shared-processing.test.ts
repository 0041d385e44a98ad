// The shared processing pump on a real PostgreSQL store: events of concurrent writers become
// visible out of insertion order (a hole holds the saved position back until it fills), a
// rolled-back insert leaves a hole forever (given up after gapMs, counted), events the pump
// derived itself are not processed twice, and the position survives a change of holder.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SharedProcessing } from '../../src/events/shared-processing.js';
import type { IngestedEvent } from '../../src/events/event-types.js';
import { openStore, type EventStore } from '../../src/store/index.js';
import { EVENT_COLUMNS } from '../../src/store/sql-driver.js';
import { eventRow } from '../../src/store/sql-store.js';
import { asIngested, makeEvent, makePgDatabase } from '../support/event-fixtures.js';
import { waitUntilAsync } from '../../../test/support/control-plane-harness.js';

describe('shared event processing on PostgreSQL', { timeout: 60_000 }, () => {
  let db: { url: string; drop(): Promise<void> };
  let store: EventStore;
  let writer: pg.Client;
  const processed: string[] = [];
  let pump: SharedProcessing;

  /** An insert inside a transaction left open: its position is taken, its row not visible. */
  const openInsert = async (): Promise<string> => {
    const e = makeEvent();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, eventRow(asIngested(e)));
    return e.id;
  };
  const insert = async (): Promise<string> => {
    const e = makeEvent();
    await store.insertEvents([asIngested(e)]);
    pump.kick();
    return e.id;
  };
  const seen = (id: string) => waitUntilAsync(async () => processed.includes(id), `event ${id} processed`);

  before(async () => {
    db = await makePgDatabase();
    store = await openStore(db.url);
    writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    pump = new SharedProcessing({
      store,
      pollMs: 20,
      leaseRetryMs: 10,
      gapMs: 300,
      run: async (events: IngestedEvent[]) => {
        processed.push(...events.map((e) => e.event.id));
        // Derives one event per `derive-me` event and stores it, as the anomaly detectors do.
        const derived = events.filter((e) => e.event.kind === 'derive-me').map((e) => asIngested(makeEvent({ kind: 'anomaly.test', id: `anm-${e.event.id}` }), 'derived'));
        return store.insertEvents(derived);
      },
    });
    pump.start();
    await waitUntilAsync(async () => pump.leader, 'the lease');
  });

  after(async () => {
    await pump.close();
    await writer.end();
    await store.close();
    await db.drop();
  });

  it('waits for an insert that commits late, then processes it and moves on', async () => {
    const first = await insert();
    await seen(first);
    const late = await openInsert();
    const next = await insert();
    await seen(next);
    const held = pump.stats().position;
    assert.ok(!processed.includes(late));
    assert.equal(await store.loadPosition('events'), held, 'the saved position stops before the hole');
    await writer.query('COMMIT');
    pump.kick();
    await seen(late);
    await waitUntilAsync(async () => pump.stats().position > held, 'the position past both');
    assert.equal(processed.filter((id) => id === next).length, 1, 'the event past the hole was not processed again');
  });

  it('gives up a hole left by a rolled-back insert after gapMs, and counts it', async () => {
    await openInsert();
    const after = await insert();
    await seen(after);
    await writer.query('ROLLBACK');
    const last = await store.lastPosition();
    await waitUntilAsync(async () => pump.stats().position >= last, 'the position past the hole', 5000);
    assert.equal(pump.stats().gapsSkipped, 1);
  });

  it('does not process twice what it derived and stored itself', async () => {
    const e = makeEvent({ kind: 'derive-me' });
    await store.insertEvents([asIngested(e)]);
    pump.kick();
    await seen(e.id);
    const last = await store.lastPosition();
    await waitUntilAsync(async () => pump.stats().position >= last, 'the derived event read back');
    assert.equal(processed.filter((id) => id === `anm-${e.id}`).length, 0, 'derived: processed where it was made, skipped when read back');
  });

  it('hands the position to the next holder: nothing again, nothing lost', async () => {
    const done = pump.stats().position;
    await pump.close();
    const missed = await insert();
    const count = processed.length;
    pump = new SharedProcessing({ store, pollMs: 20, leaseRetryMs: 10, run: async (events) => (processed.push(...events.map((e) => e.event.id)), []) });
    pump.start();
    await seen(missed);
    assert.deepEqual(processed.slice(count), [missed], 'from the saved position on');
    assert.ok(pump.stats().position > done);
  });
});

// A lease holder feeding its replica's stream follower (`feeds`): the replica reads each row once
// while it holds the lease, and every follower delivers every event exactly once across lease
// changes, whichever of the holder's saved position and the follower's own is ahead.
describe('a lease holder feeding its replica\'s stream follower', { timeout: 60_000 }, () => {
  let db: { url: string; drop(): Promise<void> };
  let store: EventStore;
  const inserted: string[] = [];

  interface Replica {
    /** The store as this replica sees it: counts the rows it reads. */
    store: EventStore;
    rowsRead: number;
    follower: SharedProcessing;
    /** What the follower delivered (the live stream). */
    delivered: string[];
    pump?: SharedProcessing;
  }
  const replicas: Replica[] = [];

  const replica = (): Replica => {
    const own = Object.create(store) as EventStore;
    const delivered: string[] = [];
    const r: Replica = {
      store: own,
      rowsRead: 0,
      delivered,
      // Polls only when kicked: the test decides when a follower catches up on its own.
      follower: new SharedProcessing({ store: own, lease: false, pollMs: 60_000, run: async (events) => (delivered.push(...events.map((e) => e.event.id)), []) }),
    };
    own.eventsAfter = async (position, limit) => {
      const rows = await store.eventsAfter(position, limit);
      r.rowsRead += rows.length;
      return rows;
    };
    r.follower.start();
    replicas.push(r);
    return r;
  };
  const lead = async (r: Replica): Promise<void> => {
    r.pump = new SharedProcessing({ store: r.store, pollMs: 20, leaseRetryMs: 10, feeds: r.follower, run: async () => [] });
    r.pump.start();
    await waitUntilAsync(async () => r.pump!.leader, 'the lease');
  };
  /** Stores n events, then kicks the pumps and the followers given, as a replica that stored them does. */
  const step = async (n: number, kick: SharedProcessing[] = []): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const e = makeEvent();
      await store.insertEvents([asIngested(e)]);
      inserted.push(e.id);
    }
    for (const r of replicas) r.pump?.kick();
    for (const f of kick) f.kick();
  };
  const caughtUp = (r: Replica, what: string) => waitUntilAsync(async () => r.delivered.length >= inserted.length, what);
  const saved = () => store.loadPosition('events');

  before(async () => {
    db = await makePgDatabase();
    store = await openStore(db.url);
  });

  after(async () => {
    for (const r of replicas) {
      await r.pump?.close();
      await r.follower.close();
    }
    await store.close();
    await db.drop();
  });

  it('reads each row once on the lease holder, each event streamed once, across lease changes', async () => {
    const a = replica();
    const b = replica();
    await Promise.all([a.follower.settled(), b.follower.settled()]);
    await lead(a);

    // A holds the lease: its follower is fed; B's follows on its own.
    await step(20, [a.follower, b.follower]);
    await caughtUp(a, 'A streaming the first events');
    await caughtUp(b, 'B streaming the first events');
    await waitUntilAsync(async () => (await saved()) === (await store.lastPosition()), 'A saving its position');
    await a.pump!.settled();
    assert.equal(a.rowsRead, 20, 'the holder read each row once (twice before `feeds`)');
    assert.equal(b.rowsRead, 20);

    // A goes away; with no holder, both followers follow on their own (B runs ahead of the saved position).
    await a.pump!.close();
    await step(10);
    a.follower.kick();
    b.follower.kick();
    await caughtUp(a, 'A streaming on its own once the lease is gone');
    await caughtUp(b, 'B streaming while no one holds the lease');

    // B takes the lease from a saved position behind its follower: what it reads again is not streamed again.
    const readBefore = b.rowsRead;
    await lead(b);
    await step(15, [b.follower]);
    await caughtUp(b, 'B streaming as the holder');
    await waitUntilAsync(async () => (await saved()) === (await store.lastPosition()), 'B saving its position');
    await b.pump!.settled();
    await b.follower.settled();
    assert.equal(b.rowsRead - readBefore, 10 + 15, 'the holder: the 10 events past the saved position again, then each new one once');

    // A's follower stays behind while B processes; A takes the lease back from a saved position
    // past its follower, which reads the rows between on its own.
    await step(5);
    await waitUntilAsync(async () => (await saved()) === (await store.lastPosition()), 'B processing what A has not streamed');
    await b.pump!.close();
    await lead(a);
    await step(5);
    await caughtUp(a, 'A streaming what it missed and what came after');
    b.follower.kick();
    await caughtUp(b, 'B streaming on its own again');

    await a.follower.settled();
    await b.follower.settled();
    assert.deepEqual(a.delivered, inserted, 'every event once, in order, at A');
    assert.deepEqual(b.delivered, inserted, 'every event once, in order, at B');
  });
});
