// Event delivery to a real events cluster on 127.0.0.1:0: full batches at once, partial batches
// on the tick, a bounded buffer that counts drops, retries after a failed call, one call in
// flight, and the log when no cluster is configured.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FilterConfig } from '../../control-plane/src/compile/filter-config.js';
import { EventsServer, type Filter, type Json, config, get, request, sleep, startFilter, waitFor } from './helpers.js';

let server: EventsServer;
let url: string;
let filters: Filter[] = [];

beforeEach(async () => {
  server = new EventsServer();
  url = await server.listen();
});

afterEach(async () => {
  for (const f of filters) await f.close();
  filters = [];
  await server.close();
});

/** Monitor mode (every request is a violation, so one event each) delivering to the server. */
async function start(events: Partial<FilterConfig['events']>): Promise<Filter> {
  const c = config({ mode: 'monitor' });
  c.events = { ...c.events, cluster: 'meshward-events', authority: 'cp.meshward', path: '/v1/events', ...events };
  const f = await startFilter(c, { clusters: { 'meshward-events': { url } } });
  filters.push(f);
  return f;
}

function violations(f: Filter, n: number, prefix = '/v'): void {
  for (let i = 0; i < n; i++) request(f, get(`${prefix}/${i}`));
}

describe('event batches', () => {
  it('sends a full batch at once, with the documented headers and body', async () => {
    const f = await start({ batchSize: 3, flushIntervalMs: 60_000, token: 's3cret' });
    violations(f, 2);
    await sleep(100);
    assert.equal(server.batches.length, 0, 'a partial batch waits for the tick');
    assert.equal(f.metric('meshward.events_buffered'), 2);
    violations(f, 1, '/w');
    await waitFor(() => server.batches.length === 1, 3000, 'the batch');
    const [batch] = server.batches;
    assert.equal(batch.method, 'POST');
    assert.equal(batch.url, '/v1/events');
    assert.equal(batch.headers['content-type'], 'application/json');
    assert.equal(batch.headers.authorization, 'Bearer s3cret');
    assert.equal(batch.body.schema, 1);
    assert.deepEqual(batch.body.workload, { namespace: 'shop', name: 'orders' });
    assert.equal(batch.body.dropped, 0);
    const events = batch.body.events as Json[];
    assert.deepEqual(events.map((e) => (e.http as Json).path), ['/v/0', '/v/1', '/w/0']);
    await waitFor(() => f.metric('meshward.events_sent') === 3, 3000, 'events_sent');
    assert.equal(f.metric('meshward.events_emitted'), 3);
    assert.equal(f.metric('meshward.events_buffered'), 0);
    assert.equal(f.loggedEvents().length, 0, 'nothing goes to the log when a cluster is set');
  });

  it('sends no authorization header without a token', async () => {
    const f = await start({ batchSize: 1, token: '' });
    violations(f, 1);
    await waitFor(() => server.batches.length === 1);
    assert.equal(server.batches[0].headers.authorization, undefined);
  });

  it('flushes a partial batch on the tick', async () => {
    const f = await start({ batchSize: 100, flushIntervalMs: 50 });
    violations(f, 2);
    await waitFor(() => server.events().length === 2, 3000, 'the tick flush');
    assert.equal(server.batches.length, 1);
    await waitFor(() => f.metric('meshward.events_sent') === 2);
  });

  it('bounds the buffer, counts the drops and reports them in the next batch', async () => {
    const f = await start({ batchSize: 100, bufferLimit: 2, flushIntervalMs: 300 });
    violations(f, 5);
    assert.equal(f.metric('meshward.events_emitted'), 5);
    assert.equal(f.metric('meshward.events_dropped'), 3);
    assert.equal(f.metric('meshward.events_buffered'), 2);
    await waitFor(() => server.batches.length === 1, 3000, 'the tick flush');
    assert.equal(server.batches[0].body.dropped, 3);
    assert.deepEqual((server.batches[0].body.events as Json[]).map((e) => (e.http as Json).path), ['/v/0', '/v/1']);
    await waitFor(() => f.metric('meshward.events_sent') === 2);
    // After a successful send the count of drops starts again.
    violations(f, 1, '/later');
    await waitFor(() => server.batches.length === 2, 3000, 'the second batch');
    assert.equal(server.batches[1].body.dropped, 0);
  });

  it('puts a failed batch back and retries it on a later tick', async () => {
    server.answer = (n) => (n === 0 ? 503 : 200);
    const f = await start({ batchSize: 2, flushIntervalMs: 100 });
    violations(f, 2);
    await waitFor(() => server.batches.length >= 2, 5000, 'the retry');
    const first = (server.batches[0].body.events as Json[]).map((e) => e.id);
    const second = (server.batches[1].body.events as Json[]).map((e) => e.id);
    assert.deepEqual(second, first, 'the same events, in the same order');
    await waitFor(() => f.metric('meshward.events_sent') === 2, 3000, 'events_sent');
    assert.equal(f.metric('meshward.event_batches_failed'), 1);
    assert.equal(f.metric('meshward.events_dropped'), 0);
    assert.equal(f.metric('meshward.events_buffered'), 0);
  });

  it('counts a batch as failed when the call gets no response, and keeps the events', async () => {
    server.delayMs = 1500;
    const f = await start({ batchSize: 1, flushIntervalMs: 60_000, timeoutMs: 100 });
    violations(f, 1);
    await waitFor(() => f.metric('meshward.event_batches_failed') === 1, 3000, 'the timeout');
    assert.equal(f.metric('meshward.events_sent'), 0);
    assert.equal(f.metric('meshward.events_buffered'), 1, 'back in the buffer');
    assert.equal(f.metric('meshward.events_dropped'), 0);
  });

  it('drops what does not fit back after a failure, and counts it', async () => {
    server.answer = () => 500;
    const f = await start({ batchSize: 3, bufferLimit: 3, flushIntervalMs: 60_000 });
    violations(f, 3); // a full batch leaves at once
    await waitFor(() => server.batches.length === 1);
    violations(f, 2, '/w'); // fill the buffer while the call is in flight
    await waitFor(() => f.metric('meshward.event_batches_failed') === 1, 3000, 'the failure');
    // Room for one of the three failed events.
    assert.equal(f.metric('meshward.events_buffered'), 3);
    assert.equal(f.metric('meshward.events_dropped'), 2);
  });

  it('keeps one call in flight at a time', async () => {
    server.delayMs = 200;
    const f = await start({ batchSize: 2, flushIntervalMs: 50 });
    violations(f, 10);
    await waitFor(() => server.events().length === 10, 5000, 'all events');
    assert.equal(server.maxInFlight, 1);
    await waitFor(() => f.metric('meshward.events_sent') === 10);
  });

  it('counts a call the host refuses (unknown cluster) and keeps the events for the next tick', async () => {
    const c = config({ mode: 'monitor' });
    c.events = { ...c.events, cluster: 'no-such-cluster', batchSize: 1, flushIntervalMs: 60_000 };
    const f = await startFilter(c, { clusters: {} });
    filters.push(f);
    violations(f, 1);
    assert.equal(f.metric('meshward.event_batches_failed'), 1);
    assert.equal(f.metric('meshward.events_buffered'), 1);
    assert.equal(f.vm.failed, false);
  });
});

describe('event delivery at the end of a root', () => {
  it('sends what waits when the plugin closes', async () => {
    const f = await start({ batchSize: 100, flushIntervalMs: 60_000 });
    violations(f, 3);
    assert.equal(server.batches.length, 0);
    await f.plugin.close();
    await waitFor(() => server.events().length === 3, 3000, 'the last batch');
    assert.equal(f.metric('meshward.events_dropped'), 0);
  });

  it('sends what the old root holds after a reconfiguration', async () => {
    const f = await start({ batchSize: 100, flushIntervalMs: 60_000 });
    violations(f, 2);
    const next = config({ mode: 'monitor' });
    next.events = { ...next.events, cluster: 'meshward-events', batchSize: 1, flushIntervalMs: 60_000 };
    assert.equal(f.plugin.reconfigure(JSON.stringify(next)).ok, true);
    await waitFor(() => server.events().length === 2, 3000, "the old root's events");
    violations(f, 1, '/new');
    await waitFor(() => server.events().length === 3, 3000, "the new root's event");
    assert.equal(f.metric('meshward.events_buffered'), 0);
  });
});

describe('events without a cluster', () => {
  it('are written to the proxy log at info, one line per event', async () => {
    const f = await startFilter(config({ mode: 'monitor' }));
    filters.push(f);
    violations(f, 3);
    const lines = f.logs.filter((l) => l.message.includes('meshward.event '));
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.equal(l.level, 'info');
      assert.ok(l.message.startsWith('meshward.event {'), l.message);
      assert.equal(l.message.includes('\n'), false);
    }
    assert.equal(f.metric('meshward.events_sent'), 3);
    assert.equal(f.metric('meshward.events_buffered'), 0);
  });
});
