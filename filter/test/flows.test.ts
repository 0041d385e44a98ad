// Allowed-flow records (events/flow-table.ts) through the compiled filter in the host: counted per
// peer, method, path template and status class in every mode, written on the tick as flow.http
// events, bounded by reporting.maxFlows with the overflow counted (metric and batch field); and
// the response status carried by discover events and monitor violations.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import type { FilterConfig } from '../../control-plane/src/compile/filter-config.js';
import type { HeaderList } from '../../host-agent/src/wasm-host/index.js';
import {
  EventsServer, FRONTEND, type Filter, type StartOptions, type Json, type Peer, call, config, get, rule, startFilter, streamInfo, waitFor,
} from './helpers.js';
import { connect } from './tcp/helpers.js';

let filters: Filter[] = [];
afterEach(async () => {
  for (const f of filters) await f.close();
  filters = [];
});

const ADMIN: Peer = { principal: 'spiffe://cluster.local/ns/shop/sa/admin', sourceAddress: '10.0.0.9', sourcePort: 5000 };

async function start(overrides: Partial<FilterConfig>, clusters?: StartOptions['clusters']): Promise<Filter> {
  const c = config({ mode: 'monitor', ingress: [rule({ name: 'reads', http: [{ methods: ['GET', 'POST'], paths: ['/orders', '/orders/**'], hosts: [] }] })], ...overrides });
  c.events = { ...c.events, flushIntervalMs: 50, ...(overrides.events ?? {}) };
  const f = await startFilter(c, { clusters });
  filters.push(f);
  return f;
}

/** One request answered with `status` and a body of `size` bytes (when it is forwarded). */
function exchange(f: Filter, headers: HeaderList, status: number, o: { peer?: Peer; requestBody?: string; size?: number } = {}): void {
  let forwarded = false;
  const stream = f.plugin.createHttpStream(streamInfo(o.peer ?? FRONTEND), {
    requestHeaders: () => {
      forwarded = true;
    },
    requestData: () => {},
    requestTrailers: () => {},
    responseHeaders: () => {},
    responseData: () => {},
    responseTrailers: () => {},
    reset: () => {},
  });
  stream.decodeHeaders(headers, o.requestBody === undefined);
  if (o.requestBody !== undefined) stream.decodeData(new TextEncoder().encode(o.requestBody), true);
  if (forwarded) {
    stream.encodeHeaders([[':status', String(status)], ['content-type', 'text/plain']], false);
    stream.encodeData(new Uint8Array(o.size ?? 2), true);
  }
  stream.complete();
}

const records = (f: Filter): Json[] => f.loggedEvents().filter((e) => e.kind === 'flow.http');
const flow = (e: Json) => e.flow as { count: number; statusClass: string | null; requestBytes: number; responseBytes: number; firstSeen: string; lastSeen: string };
const httpOf = (e: Json) => e.http as { method: string; path: string; host: string; status?: number };

describe('allowed-flow records', () => {
  it('monitor mode: allowed requests become flow.http records per peer, method, template and status class', async () => {
    const f = await start({});
    exchange(f, get('/orders/123'), 200, { size: 10 });
    exchange(f, get('/orders/456'), 200, { size: 20 });
    exchange(f, get('/orders/7f3c9a1b2e'), 200, { size: 30 });
    exchange(f, get('/orders/0b1e8a2c-4d5f-4a6b-9c8d-7e6f5a4b3c2d'), 200, { size: 40 });
    exchange(f, get('/orders/789'), 503);
    exchange(f, call('POST', '/orders'), 201, { requestBody: 'x'.repeat(33) });
    exchange(f, get('/orders/12'), 200, { peer: ADMIN });
    exchange(f, get('/orders/summary'), 200);
    exchange(f, call('DELETE', '/orders/1'), 200); // no rule: a violation, reported as such, no record
    await waitFor(() => records(f).length === 5, 3000, 'five flow records');
    const all = records(f);
    const find = (path: string, status: string, principal = FRONTEND.principal) =>
      all.find((e) => httpOf(e).path === path && flow(e).statusClass === status && (e.source as Json).principal === principal);
    const ids = find('/orders/{id}', '2xx')!;
    assert.ok(ids, 'numbers, hex and UUID segments collapse to {id}');
    assert.equal(flow(ids).count, 4);
    assert.equal(flow(ids).responseBytes, 100);
    assert.equal(ids.mode, 'monitor');
    assert.equal(ids.action, 'allow');
    assert.equal(ids.severity, 'info');
    assert.deepEqual(ids.rule, { id: 'shop/orders/reads', name: 'reads' });
    assert.deepEqual(ids.workload, { namespace: 'shop', name: 'orders', pod: 'orders-7d9f-x2', container: '' });
    assert.ok(Date.parse(flow(ids).firstSeen) <= Date.parse(flow(ids).lastSeen));
    assert.equal(flow(find('/orders/{id}', '5xx')!).count, 1, 'another status class is another record');
    assert.equal(flow(find('/orders', '2xx')!).requestBytes, 33);
    assert.equal(httpOf(find('/orders', '2xx')!).method, 'POST');
    assert.equal(flow(find('/orders/{id}', '2xx', ADMIN.principal)!).count, 1, 'another peer is another record');
    assert.ok(find('/orders/summary', '2xx'), 'a word is not an id');
    assert.equal(f.metric('meshward.flows_reported'), 5);
    const violation = f.loggedEvents().find((e) => e.kind === 'http.policy')!;
    assert.equal(httpOf(violation).status, 200, 'the monitor violation carries the response status');
  });

  it('records are counted afresh after each tick', async () => {
    const f = await start({});
    exchange(f, get('/orders/1'), 200);
    await waitFor(() => records(f).length === 1, 3000, 'the first record');
    exchange(f, get('/orders/2'), 200);
    exchange(f, get('/orders/3'), 200);
    await waitFor(() => records(f).length === 2, 3000, 'the second record');
    assert.deepEqual(records(f).map((e) => flow(e).count), [1, 2]);
  });

  it('the table is bounded: past maxFlows, requests are counted as overflow (metric and batch field)', async () => {
    const server = new EventsServer();
    const url = await server.listen();
    try {
      const f = await start({ reporting: { flows: true, maxFlows: 3 }, events: { ...config().events, cluster: 'meshward-events', flushIntervalMs: 50 } }, { 'meshward-events': { url } });
      for (const p of ['/orders/a', '/orders/b', '/orders/c', '/orders/d', '/orders/e']) exchange(f, get(p), 200);
      exchange(f, get('/orders/a'), 200); // an existing record still counts
      exchange(f, get('/orders/a'), 404); // a new status class needs a new record: overflow
      await waitFor(() => server.events().filter((e) => e.kind === 'flow.http').length === 3, 3000, 'three records');
      assert.equal(f.metric('meshward.flows_overflow'), 3);
      const withOverflow = server.batches.find((b) => (b.body.flowsOverflow as number) > 0)!;
      assert.equal(withOverflow.body.flowsOverflow, 3, 'the batch carries the overflow');
      const a = server.events().find((e) => httpOf(e).path === '/orders/a')!;
      assert.equal(flow(a).count, 2);
      // The next interval starts with room again, and the overflow was reported once.
      exchange(f, get('/orders/e'), 200);
      await waitFor(() => server.events().some((e) => httpOf(e).path === '/orders/e'), 3000, 'a record after the tick');
      const last = server.batches[server.batches.length - 1];
      assert.equal(last.body.flowsOverflow, 0);
    } finally {
      await server.close();
    }
  });

  it('discover events carry the response status; reporting.flows off sends no records', async () => {
    const d = await start({ mode: 'discover' });
    exchange(d, get('/anything/5'), 404);
    await waitFor(() => records(d).length === 1, 3000, 'the discover record');
    const seen = d.loggedEvents().find((e) => e.kind === 'http.flow')!;
    assert.equal(httpOf(seen).status, 404);
    assert.equal(flow(records(d)[0]).statusClass, '4xx');
    const off = await start({ reporting: { flows: false, maxFlows: 8 } });
    exchange(off, get('/orders/1'), 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(records(off).length, 0);
    assert.equal(off.metric('meshward.flows_reported'), 0);
  });

  it('TCP: allowed connections and commands become flow.tcp records per peer, protocol and operation', async () => {
    const reader = 'spiffe://cluster.local/ns/shop/sa/cart';
    const f = await start({ ingress: [rule({ name: 'cache', from: [{ principal: reader }], redis: [{ commands: ['get', 'set'], keys: [] }] })] });
    const tap = connect(f, { principal: reader });
    const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;
    tap.client(cmd('GET', 'a'));
    tap.client(cmd('get', 'b'));
    tap.client(cmd('SET', 'c', 'v'));
    tap.client(cmd('DEL', 'x')); // not admitted: a violation in monitor, no record
    tap.close();
    const tcp = () => f.loggedEvents().filter((e) => e.kind === 'flow.tcp');
    await waitFor(() => tcp().length === 3, 3000, 'three TCP records');
    const op = (name: string) => tcp().find((e) => (e.tcp as { operation: string }).operation === name)!;
    assert.equal(flow(op('connect')).count, 1);
    assert.equal(flow(op('GET')).count, 2, 'command names are upper-cased');
    assert.equal(flow(op('SET')).count, 1);
    assert.equal(op('GET').protocol, 'redis');
    assert.equal((op('GET').source as Json).principal, reader);
    assert.equal(flow(op('GET')).statusClass, null);
    assert.deepEqual(op('GET').rule, { id: 'shop/orders/cache', name: 'cache' });
    assert.equal(f.loggedEvents().filter((e) => e.kind === 'tcp.policy').length, 1);
  });

  it('a bad reporting section rejects the configuration, naming the field', async () => {
    for (const [reporting, message] of [
      [{ flows: 'yes', maxFlows: 8 }, /reporting\.flows: .*true or false/],
      [{ flows: true, maxFlows: 0 }, /reporting\.maxFlows/],
      [{ flows: true, maxFlows: 70000 }, /reporting\.maxFlows: must be at most 65536/],
      [{ flows: true }, /reporting.*maxFlows/],
    ] as const) {
      await assert.rejects(startFilter(JSON.stringify({ ...config(), reporting })), message);
    }
  });
});
