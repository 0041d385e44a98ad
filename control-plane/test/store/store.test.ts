// One suite, run against SQLite and PostgreSQL: the same migrations, queries, pages, flows,
// incidents, documents and retention limits.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, SCHEMA_VERSION, type EventStore, type IncidentRow } from '../../src/store/index.js';
import { asIngested, makeEvent, makePgDatabase } from '../support/event-fixtures.js';

interface Backend {
  name: string;
  setup(): Promise<{ spec: string; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'meshward-store-'));
      return { spec: `sqlite:${join(dir, 'events.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    async setup() {
      const db = await makePgDatabase();
      return { spec: db.url, cleanup: () => db.drop() };
    },
  },
];

const T0 = Date.parse('2024-05-01T12:00:00.000Z');

const incident = (id: string, lastMs: number, over: Partial<IncidentRow> = {}): IncidentRow => ({
  id, status: 'open', severity: 3, namespace: 'shop', workload: 'orders', firstMs: lastMs - 1000, lastMs, updatedMs: lastMs, doc: JSON.stringify({ id }), ...over,
});

for (const backend of backends) {
  describe(`event store on ${backend.name}`, { timeout: 60_000 }, () => {
    let store: EventStore;
    let env: { spec: string; cleanup(): Promise<void> };

    before(async () => {
      env = await backend.setup();
      store = await openStore(env.spec);
    });
    after(async () => {
      await store.close();
      await env.cleanup();
    });

    it('migrates once: opening the same store again finds the schema in place', async () => {
      const again = await openStore(env.spec);
      assert.equal((await again.stats()).schemaVersion, SCHEMA_VERSION);
      await again.close();
    });

    it('stores events once: a retried id is skipped and reported as not inserted', async () => {
      const a = makeEvent({ at: T0 });
      const b = makeEvent({ at: T0 + 1 });
      assert.deepEqual(await store.insertEvents([asIngested(a), asIngested(b)]), [a.id, b.id]);
      assert.deepEqual(await store.insertEvents([asIngested(b), asIngested(a)]), []);
      const got = await store.getEvent(a.id);
      assert.equal(got?.timeMs, T0);
      assert.deepEqual(JSON.parse(got!.doc), a);
    });

    it('queries by time, workload, kind (exact and prefix), severity, action, peer and incident', async () => {
      const base = T0 + 10_000;
      const evs = [
        makeEvent({ at: base, kind: 'http.attack', severity: 'high', action: 'block', source: { ip: '10.9.9.9' } }),
        makeEvent({ at: base + 1, kind: 'anomaly.scan', severity: 'medium', action: 'alert', workload: { namespace: 'shop', name: 'payments' } }),
        makeEvent({ at: base + 2, kind: 'anomaly.flood', severity: 'critical', action: 'alert' }),
        makeEvent({ at: base + 3, kind: 'process.exec', severity: 'low', action: 'allow', workload: { namespace: 'bank', name: 'orders' } }),
      ];
      await store.insertEvents(evs.map((e) => asIngested(e)));
      const ids = async (q: Parameters<EventStore['queryEvents']>[0]) => (await store.queryEvents({ sinceMs: base, ...q })).items.map((r) => r.id);
      assert.deepEqual(await ids({}), [evs[3].id, evs[2].id, evs[1].id, evs[0].id]);
      assert.deepEqual(await ids({ untilMs: base + 2 }), [evs[1].id, evs[0].id]);
      assert.deepEqual(await ids({ namespace: 'shop', workload: 'orders' }), [evs[2].id, evs[0].id]);
      assert.deepEqual(await ids({ kind: 'anomaly.*' }), [evs[2].id, evs[1].id]);
      assert.deepEqual(await ids({ kind: 'http.attack' }), [evs[0].id]);
      assert.deepEqual(await ids({ minSeverity: 3 }), [evs[2].id, evs[0].id]);
      assert.deepEqual(await ids({ action: 'alert' }), [evs[2].id, evs[1].id]);
      assert.deepEqual(await ids({ peer: '10.9.9.9' }), [evs[0].id]);
      await store.linkEvents('inc-1', [evs[0].id, evs[2].id]);
      assert.deepEqual(await ids({ incident: 'inc-1', ascending: true }), [evs[0].id, evs[2].id]);
    });

    it('pages with cursors, newest first, without gaps or repeats when events share a time', async () => {
      const at = T0 + 50_000;
      const evs = Array.from({ length: 7 }, (_, i) => makeEvent({ at: at + (i < 4 ? 0 : i), workload: { namespace: 'paging', name: 'w' } }));
      await store.insertEvents(evs.map((e) => asIngested(e)));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.queryEvents({ namespace: 'paging', limit: 3, cursor });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.next;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual([...seen].sort(), evs.map((e) => e.id).sort());
      assert.equal(new Set(seen).size, 7);
      await assert.rejects(store.queryEvents({ cursor: 'bm90LWEtY3Vyc29y' }), { code: 'STORE_CURSOR_INVALID' });
    });

    it('groups traffic into distinct flows per caller and operation, with counts and actions', async () => {
      const at = T0 + 100_000;
      const flow = (method: string, path: string, principal: string, action: 'allow' | 'alert' = 'allow') =>
        makeEvent({ at, kind: action === 'allow' ? 'http.flow' : 'http.policy', action, workload: { namespace: 'flows', name: 'api' }, source: { ip: '10.1.1.1', principal }, http: { method, path, host: 'api' } });
      await store.insertEvents([
        flow('GET', '/a', 'p1'), flow('GET', '/a', 'p1'), flow('GET', '/a', 'p1', 'alert'), flow('POST', '/a', 'p1'), flow('GET', '/a', 'p2'),
        asIngested(makeEvent({ at, kind: 'http.attack', workload: { namespace: 'flows', name: 'api' } })).event,
      ].map((e) => asIngested(e)));
      const r = await store.flows({ namespace: 'flows', workload: 'api', sinceMs: at });
      assert.equal(r.truncated, false);
      const get = (m: string, p: string) => r.flows.find((f) => f.method === m && f.srcPrincipal === p)!;
      assert.equal(r.flows.length, 3);
      assert.equal(get('GET', 'p1').count, 3);
      assert.deepEqual([...get('GET', 'p1').actions].sort(), ['alert', 'allow']);
      assert.equal(get('POST', 'p1').count, 1);
      const limited = await store.flows({ namespace: 'flows', sinceMs: at, limit: 2 });
      assert.equal(limited.flows.length, 2);
      assert.equal(limited.truncated, true);
    });

    it('flow records count their requests, carry their status class, and discover ones are not counted twice', async () => {
      const at = T0 + 200_000;
      const w = { namespace: 'flows', name: 'records' };
      const record = (mode: 'monitor' | 'discover', count: number, statusClass: string | null, path = '/orders/{id}') => makeEvent({
        at, kind: 'flow.http', mode, workload: w, source: { ip: '10.1.1.2', principal: 'p3' }, http: { method: 'GET', path, host: 'api' },
        flow: { count, firstSeen: new Date(at - 500).toISOString(), lastSeen: new Date(at).toISOString(), statusClass, requestBytes: 0, responseBytes: 10 * count },
      });
      const tcp = makeEvent({ at, kind: 'flow.tcp', mode: 'protect', workload: w, protocol: 'postgres', source: { ip: '10.1.1.3' }, tcp: { operation: 'SELECT' }, flow: { count: 4, firstSeen: new Date(at).toISOString(), lastSeen: new Date(at).toISOString(), statusClass: null } });
      await store.insertEvents([record('monitor', 7, '2xx'), record('monitor', 2, '5xx'), record('discover', 50, '2xx'), record('monitor', 1, '2xx', '/health'), tcp].map((e) => asIngested(e)));
      const r = await store.flows({ namespace: 'flows', workload: 'records', sinceMs: at });
      const orders = r.flows.find((f) => f.path === '/orders/{id}')!;
      assert.equal(orders.count, 9, 'monitor records summed; the discover one left out');
      assert.equal(orders.maxStatus, 500);
      assert.deepEqual(orders.actions, ['allow']);
      const db = r.flows.find((f) => f.protocol === 'postgres')!;
      assert.equal(db.method, 'SELECT');
      assert.equal(db.count, 4);
      assert.equal(r.flows.length, 3);
      const httpOnly = await store.flows({ namespace: 'flows', workload: 'records', sinceMs: at, kinds: ['flow.http'] });
      assert.equal(httpOnly.flows.length, 2);
    });

    it('keeps incidents: upsert, query by status and severity, pages, and the open ones to resume', async () => {
      await store.saveIncidents([incident('inc-a', T0 + 1), incident('inc-b', T0 + 2, { severity: 4 }), incident('inc-c', T0 + 3, { status: 'resolved' })]);
      await store.saveIncidents([incident('inc-a', T0 + 5, { severity: 4, doc: '{"id":"inc-a","v":2}' })]);
      assert.equal((await store.getIncident('inc-a'))?.doc, '{"id":"inc-a","v":2}');
      const page1 = await store.queryIncidents({ sinceMs: T0, limit: 2 });
      assert.deepEqual(page1.items.map((i) => i.id), ['inc-a', 'inc-c']);
      const page2 = await store.queryIncidents({ sinceMs: T0, limit: 2, cursor: page1.next });
      assert.deepEqual(page2.items.map((i) => i.id), ['inc-b']);
      assert.deepEqual((await store.queryIncidents({ status: 'open', minSeverity: 4 })).items.map((i) => i.id), ['inc-a', 'inc-b']);
      assert.deepEqual((await store.openIncidents(T0 + 2)).map((i) => i.id), ['inc-b', 'inc-a']);
    });

    it('keeps one baseline and one state document per workload', async () => {
      await store.saveBaselines([{ namespace: 'shop', workload: 'orders', updatedMs: 1, doc: '{"v":1}' }, { namespace: 'shop', workload: 'cart', updatedMs: 1, doc: '{}' }]);
      await store.saveBaselines([{ namespace: 'shop', workload: 'orders', updatedMs: 2, doc: '{"v":2}' }]);
      assert.deepEqual((await store.listBaselines()).map((d) => [d.workload, d.doc]), [['cart', '{}'], ['orders', '{"v":2}']]);
      await store.saveWorkloadState({ namespace: 'shop', workload: 'orders', updatedMs: 3, doc: '{"mode":"monitor"}' });
      assert.equal((await store.listWorkloadStates())[0].doc, '{"mode":"monitor"}');
    });

    it('retention: deletes by age, then the oldest beyond the byte and count limits, and old incidents', async () => {
      const fresh = await openStore(env.spec.startsWith('sqlite:') ? `sqlite:${env.spec.slice(7)}.retention` : env.spec);
      try {
        const now = T0 + 10 * 86_400_000;
        if (fresh.backend === 'postgres') await fresh.applyRetention({ maxAgeMs: 1, maxBytes: 0, maxEvents: 0, maxIncidents: 0 }, now * 2); // empty the shared database
        const old = Array.from({ length: 5 }, (_, i) => makeEvent({ at: now - 8 * 86_400_000 + i }));
        const recent = Array.from({ length: 10 }, (_, i) => makeEvent({ at: now - 1000 + i }));
        await fresh.insertEvents([...old, ...recent].map((e) => asIngested(e)));
        const size = asIngested(recent[0]).doc.length;
        const r1 = await fresh.applyRetention({ maxAgeMs: 7 * 86_400_000, maxBytes: 1e12, maxEvents: 1e9, maxIncidents: 1e9 }, now);
        assert.equal(r1.deletedByAge, 5);
        const r2 = await fresh.applyRetention({ maxAgeMs: 7 * 86_400_000, maxBytes: size * 6 + 10, maxEvents: 1e9, maxIncidents: 1e9 }, now);
        assert.equal(r2.deletedBySize, 4);
        const r3 = await fresh.applyRetention({ maxAgeMs: 7 * 86_400_000, maxBytes: 1e12, maxEvents: 2, maxIncidents: 1e9 }, now);
        assert.equal(r3.deletedBySize, 4);
        const left = (await fresh.queryEvents({ ascending: true })).items.map((e) => e.id);
        assert.deepEqual(left, [recent[8].id, recent[9].id]);
        await fresh.saveIncidents([incident('old-resolved', now - 9 * 86_400_000, { status: 'resolved' }), incident('i1', now - 3), incident('i2', now - 2), incident('i3', now - 1)]);
        const r4 = await fresh.applyRetention({ maxAgeMs: 7 * 86_400_000, maxBytes: 1e12, maxEvents: 1e9, maxIncidents: 2 }, now);
        assert.equal(r4.incidentsDeleted, 2);
        assert.deepEqual((await fresh.queryIncidents({})).items.map((i) => i.id), ['i3', 'i2']);
      } finally {
        await fresh.close();
      }
    });

    it('keeps what it stored across a close and reopen', async () => {
      const e = makeEvent({ at: T0 + 200_000, workload: { namespace: 'restart', name: 'w' } });
      await store.insertEvents([asIngested(e)]);
      await store.close();
      store = await openStore(env.spec);
      assert.deepEqual((await store.queryEvents({ namespace: 'restart' })).items.map((r) => r.id), [e.id]);
    });

    it('reads events back in insertion order after a position, and keeps named positions', async () => {
      const start = await store.lastPosition();
      const evs = [0, 1, 2].map((i) => makeEvent({ at: T0 + 300_000 - i, workload: { namespace: 'order', name: 'w' } }));
      await store.insertEvents(evs.map((e) => asIngested(e)));
      const read = await store.eventsAfter(start, 10);
      assert.deepEqual(read.map((r) => r.event.event.id), evs.map((e) => e.id), 'insertion order, not event time');
      assert.ok(read.every((r, i) => i === 0 || r.position > read[i - 1].position));
      assert.equal(await store.lastPosition(), read[2].position);
      assert.deepEqual((await store.eventsAfter(read[0].position, 1)).map((r) => r.event.event.id), [evs[1].id]);
      assert.equal(read[0].event.timeMs, T0 + 300_000);
      assert.equal(await store.loadPosition('test'), undefined);
      await store.savePosition('test', read[1].position);
      await store.savePosition('test', read[2].position);
      assert.equal(await store.loadPosition('test'), read[2].position);
    });

    it('grants a lease to one holder at a time (SQLite: the one process)', async () => {
      const a = await store.tryLease('test-lease');
      assert.ok(a, 'the first taker gets it');
      const other = await openStore(env.spec);
      try {
        const b = await other.tryLease('test-lease');
        if (backend.name === 'postgres') {
          assert.equal(b, undefined, 'held elsewhere');
          await a.release();
          assert.match(await a.lost, /closed/);
          const c = await other.tryLease('test-lease');
          assert.ok(c, 'free again once released');
          await c.release();
        } else {
          assert.ok(b);
          await a.release();
        }
      } finally {
        await other.close();
      }
    });
  });
}
