// POST /v1/events through a real HTTP server: each answer the filter's retry logic depends on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHttpServer, type ApiServer } from '../../src/api/http-server.js';
import { apiAuthorizer } from '../../src/api/api-auth.js';
import { ingestRoute } from '../../src/api/ingest-http.js';
import { Router } from '../../src/api/router.js';
import { EventIngest } from '../../src/events/ingest.js';
import { IngestAuth } from '../../src/events/ingest-auth.js';
import { openSqliteStore, type EventStore } from '../../src/store/index.js';
import { makeEvent } from '../support/event-fixtures.js';

describe('POST /v1/events', () => {
  let store: EventStore;
  let server: ApiServer;
  let url: string;
  let release: () => void = () => {};
  let hold: Promise<void> | undefined;
  const auth = new IngestAuth(Buffer.alloc(32, 1), 'api-token', false);
  let ingest: EventIngest;

  before(async () => {
    store = await openSqliteStore(':memory:');
    const held = Object.create(store) as EventStore;
    held.insertEvents = async (events) => {
      if (hold) await hold;
      return store.insertEvents(events);
    };
    ingest = new EventIngest({ store: held, queueLimit: 4, maxBatchEvents: 4 });
    const router = new Router().add(ingestRoute(ingest, auth, 64 * 1024));
    server = await startHttpServer('127.0.0.1', 0, { ready: () => ({ ready: true }), metrics: () => '', status: () => ({}), api: { router, authorize: apiAuthorizer('api-token') } });
    url = `http://127.0.0.1:${server.address.port}/v1/events`;
  });
  after(async () => {
    await ingest.close();
    await server.close();
    await store.close();
  });

  const post = (body: unknown, token = auth.workloadToken('shop', 'orders')) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const batch = (events: unknown[]) => ({ schema: 1, workload: { namespace: 'shop', name: 'orders' }, dropped: 0, events });
  const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

  it('200 with the invalid events listed and the valid ones stored', async () => {
    const good = makeEvent();
    const r = await post(batch([good, { ...makeEvent(), kind: 'Bad' }]));
    assert.equal(r.status, 200);
    const body = (await r.json()) as { accepted: number; rejected: Array<{ index: number; field: string; rule: string }> };
    assert.equal(body.accepted, 1);
    assert.deepEqual(body.rejected.map((x) => [x.index, x.field, x.rule]), [[1, 'kind', 'format']]);
    assert.ok(await store.getEvent(good.id));
  });

  it('400 BATCH_MALFORMED for a body that is not a batch', async () => {
    const notJson = await post('{"schema": 1,');
    assert.equal(notJson.status, 400);
    assert.equal(await code(notJson), 'BATCH_MALFORMED');
    const v2 = await post({ ...batch([]), schema: 2 });
    assert.equal(v2.status, 400);
    assert.match(((await v2.json()) as { error: { message: string } }).error.message, /^schema: must be 1/);
    assert.equal(ingest.stats().batchesMalformed, 2);
  });

  it('401 for a missing token or another workload\'s token; the API token is accepted', async () => {
    const forged = await post(batch([makeEvent()]), auth.workloadToken('shop', 'payments'));
    assert.equal(forged.status, 401);
    assert.equal(forged.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await fetch(url, { method: 'POST', body: JSON.stringify(batch([])) })).status, 401);
    assert.equal((await post(batch([makeEvent()]), 'api-token')).status, 200);
    assert.equal(ingest.stats().batchesUnauthorized, 2);
  });

  it('413 beyond the body limit or the batch size', async () => {
    assert.equal((await post(batch([makeEvent({ evidence: { blob: 'x'.repeat(70 * 1024) } })]))).status, 413);
    const many = await post(batch([makeEvent(), makeEvent(), makeEvent(), makeEvent(), makeEvent()]));
    assert.equal(many.status, 413);
    assert.equal(await code(many), 'BODY_TOO_LARGE');
  });

  it('503 with Retry-After when the queue cannot take the batch, then 200 on the retry', async () => {
    hold = new Promise((r) => (release = r));
    const first = post(batch([makeEvent(), makeEvent(), makeEvent()]));
    while (ingest.stats().queueDepth < 3) await new Promise((r) => setImmediate(r));
    const refused = await post(batch([makeEvent(), makeEvent()]));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(await code(refused), 'UNAVAILABLE');
    hold = undefined;
    release();
    assert.equal((await first).status, 200);
    assert.equal((await post(batch([makeEvent(), makeEvent()]))).status, 200);
  });

  it('counts the flowsOverflow a batch carries, by workload; a bad one is BATCH_MALFORMED', async () => {
    const r = await post({ ...batch([makeEvent()]), flowsOverflow: 3 });
    assert.equal(r.status, 200);
    const again = await post({ ...batch([]), flowsOverflow: 2 });
    assert.equal(again.status, 200);
    assert.equal(ingest.stats().flowsOverflowBySenders, 5);
    assert.deepEqual(ingest.stats().flowsOverflowBy, { 'shop/orders': 5 });
    const bad = await post({ ...batch([]), flowsOverflow: -1 });
    assert.equal(bad.status, 400);
    assert.equal(await code(bad), 'BATCH_MALFORMED');
  });
});
