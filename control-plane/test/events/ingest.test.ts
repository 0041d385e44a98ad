// EventIngest against a real SQLite store (and a failing one): answers, the queue limit, store
// retries, derived events, processors and counters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventIngest, type EventProcessor } from '../../src/events/ingest.js';
import { ingested, type IngestedEvent } from '../../src/events/event-types.js';
import { openSqliteStore, type EventStore } from '../../src/store/index.js';
import { makeEvent } from '../support/event-fixtures.js';

const open = { type: 'open' } as const;

/** A store whose writes can be held or made to fail. */
function controllable(inner: EventStore) {
  let failures = 0;
  let gate: Promise<void> | undefined;
  let release = () => {};
  const store: EventStore = Object.create(inner) as EventStore;
  store.insertEvents = async (events) => {
    if (gate) await gate;
    if (failures > 0) {
      failures--;
      throw new Error('disk full');
    }
    return inner.insertEvents(events);
  };
  return {
    store,
    failNext(n: number) {
      failures = n;
    },
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = undefined;
      release();
    },
  };
}

describe('event ingest', () => {
  let sqlite: EventStore;
  before(async () => {
    sqlite = await openSqliteStore(':memory:');
  });
  after(() => sqlite.close());

  it('stores valid events, rejects bad ones alone with the reason, and skips retried ids', async () => {
    const ingest = new EventIngest({ store: sqlite });
    const good = [makeEvent(), makeEvent()];
    const r = await ingest.submit({ events: [good[0], { ...makeEvent(), severity: 'bad' }, good[1]], principal: open, origin: 'http', dropped: 3 });
    assert.equal(r.status, 'stored');
    assert.equal(r.status === 'stored' && r.accepted, 2);
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0].index, 1);
    assert.equal(r.rejected[0].field, 'severity');
    const again = await ingest.submit({ events: good, principal: open, origin: 'http' });
    assert.deepEqual(again.status === 'stored' && [again.accepted, again.duplicates], [0, 2]);
    const s = ingest.stats();
    assert.equal(s.eventsStored, 2);
    assert.equal(s.eventsDuplicate, 2);
    assert.equal(s.eventsRejected, 1);
    assert.equal(s.eventsDroppedBySenders, 3);
    assert.deepEqual(s.rejectedBy, { 'severity/enum': 1 });
    await ingest.close();
  });

  it('a workload token speaks only for its workload; a node token only for workloads on its node', async () => {
    const ingest = new EventIngest({ store: sqlite });
    const other = makeEvent({ workload: { namespace: 'shop', name: 'payments' } });
    const r = await ingest.submit({ events: [makeEvent(), other], principal: { type: 'workload', namespace: 'shop', name: 'orders' }, origin: 'http' });
    assert.equal(r.rejected[0].rule, 'workload-mismatch');
    assert.equal(r.rejected[0].code, 'EVENT_FORBIDDEN');
    const n = await ingest.submit({ events: [makeEvent(), other], principal: { type: 'node', node: 'n1' }, origin: 'agent', nodeWorkloads: new Set(['shop/payments']) });
    assert.deepEqual(n.rejected.map((x) => x.index), [0]);
    assert.equal(n.status === 'stored' && n.accepted, 1);
    await ingest.close();
  });

  it('answers "retry" when a batch does not fit the queue, keeping nothing of it, and counts it', async () => {
    const c = controllable(sqlite);
    const ingest = new EventIngest({ store: c.store, queueLimit: 5, maxBatchEvents: 5 });
    c.hold();
    const first = ingest.submit({ events: [makeEvent(), makeEvent(), makeEvent()], principal: open, origin: 'http' });
    const refused = await ingest.submit({ events: [makeEvent(), makeEvent(), makeEvent()], principal: open, origin: 'http' });
    assert.equal(refused.status, 'retry');
    assert.match(refused.status === 'retry' ? refused.reason : '', /queue is full \(3 of 5/);
    assert.equal(ingest.stats().queueDepth, 3);
    const fits = ingest.submit({ events: [makeEvent(), makeEvent()], principal: open, origin: 'http' });
    c.release();
    assert.equal((await first).status, 'stored');
    assert.equal((await fits).status, 'stored');
    const s = ingest.stats();
    assert.equal(s.batchesRefused, 1);
    assert.equal(s.eventsRefused, 3);
    assert.equal(s.queueDepth, 0);
    await ingest.close();
  });

  it('retries a failing store with backoff and answers only once stored', async () => {
    const c = controllable(sqlite);
    const ingest = new EventIngest({ store: c.store, retryMinMs: 5, retryMaxMs: 20 });
    c.failNext(3);
    const e = makeEvent();
    const r = await ingest.submit({ events: [e], principal: open, origin: 'http' });
    assert.equal(r.status, 'stored');
    assert.equal(ingest.stats().storeErrors, 3);
    assert.ok(await sqlite.getEvent(e.id));
    await ingest.close();
  });

  it('on shutdown with a dead store, answers "retry" so senders keep their events', async () => {
    const c = controllable(sqlite);
    const ingest = new EventIngest({ store: c.store, retryMinMs: 5, retryMaxMs: 5 });
    c.failNext(1_000_000);
    const pending = ingest.submit({ events: [makeEvent()], principal: open, origin: 'http' });
    await new Promise((r) => setTimeout(r, 20));
    await ingest.close(50);
    assert.equal((await pending).status, 'retry');
    const late = await ingest.submit({ events: [makeEvent()], principal: open, origin: 'http' });
    assert.match(late.status === 'retry' ? late.reason : '', /shutting down/);
  });

  it('stores derived events with the round and hands every new event to processors in order', async () => {
    const seen: string[] = [];
    const deriver: EventProcessor = {
      name: 'deriver',
      derive: (events) => events.filter((e) => e.event.kind === 'http.attack').map((e): IngestedEvent => ingested(makeEvent({ kind: 'anomaly.test', id: `anm-${e.event.id}` }), 'derived')),
    };
    const watcher: EventProcessor = { name: 'watcher', stored: (events) => void seen.push(...events.map((e) => e.event.kind)) };
    const broken: EventProcessor = { name: 'broken', stored: () => { throw new Error('boom'); } };
    const ingest = new EventIngest({ store: sqlite, processors: [deriver, broken, watcher] });
    await ingest.submit({ events: [makeEvent(), makeEvent({ kind: 'http.attack', severity: 'high' })], principal: open, origin: 'http' });
    await ingest.flush(); // the answer means stored; processors run right after
    assert.deepEqual(seen, ['http.flow', 'http.attack', 'anomaly.test']);
    assert.equal(ingest.stats().eventsDerived, 1);
    assert.equal(ingest.stats().processorErrors, 1);
    await ingest.close();
  });

  it('keeps at most 64 rejection reasons, the rest counted under (other)', async () => {
    const ingest = new EventIngest({ store: sqlite });
    const bad = Array.from({ length: 70 }, (_, i) => ({ ...makeEvent(), [`bad key ${i}!`]: 1 }));
    const r = await ingest.submit({ events: bad, principal: open, origin: 'http' });
    assert.equal(r.rejected.length, 70);
    const by = ingest.stats().rejectedBy;
    assert.equal(Object.keys(by).length, 65);
    assert.equal(by['(other)'], 6);
    await ingest.close();
  });

  it('refuses options that could never take a batch', () => {
    assert.throws(() => new EventIngest({ store: sqlite, queueLimit: 10, maxBatchEvents: 20 }), { code: 'INGEST_OPTIONS_INVALID' });
  });
});
