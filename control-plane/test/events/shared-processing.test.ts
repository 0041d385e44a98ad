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
