// Learning TCP traffic end to end: Redis and PostgreSQL behind `meshward proxy --tcp --xds`
// (the network filter, configured by the control plane) in discover mode post their `tcp.flow`
// events to the control plane; `meshward learn` proposes a policy holding the commands and keys,
// statements and tables seen; applied (monitor: the same traffic raises no violation) and
// promoted to protect, the same traffic passes while a new command or statement kind is refused
// with the protocol's own error and the connection stays usable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AbstractConnector, Redis } from 'ioredis';
import pg from 'pg';
import { parse } from 'yaml';
import { startMeshwardProxy, type MeshwardProxy } from '../../cli/commands/proxy.js';
import { createLogger } from '../../cli/logger.js';
import { FILTER_WASM } from '../../cli/paths.js';
import { startCpHarness, waitForStored, waitUntil, type CpHarness } from '../support/control-plane-harness.js';
import { READER, READER_IP, socketFrom } from '../support/tcp-harness.js';

const run = `t${randomBytes(4).toString('hex')}`;
const K = (name: string) => `mw:${run}:${name}`;
const ORDERS = `mw_${run}_orders`;
const ITEMS = `mw_${run}_order_items`;
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

interface Learned {
  spec: {
    mode: string;
    ingress: Array<{ name: string; from: Array<Record<string, string>>; protocols?: string[]; redis?: Array<{ commands: string[]; keys?: string[] }>; postgres?: Array<{ statements: string[]; tables?: string[] }> }>;
  };
}

/** ioredis connects without a local address; this connector binds the caller's. */
function connectorFrom(from: string) {
  return class extends AbstractConnector {
    constructor(private readonly o: { host: string; port: number; disconnectTimeout?: number }) {
      super(o.disconnectTimeout ?? 2000);
    }
    connect(): Promise<net.Socket> {
      this.connecting = true;
      const s = net.connect({ host: this.o.host, port: this.o.port, localAddress: from });
      this.stream = s;
      return Promise.resolve(s);
    }
  };
}

async function redisClient(port: number): Promise<Redis> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, Connector: connectorFrom(READER_IP) } as never);
  await r.connect();
  return r;
}

async function pgClient(port: number): Promise<pg.Client> {
  const c = new pg.Client({ ...PG, port, stream: () => socketFrom(READER_IP) } as pg.ClientConfig);
  await c.connect();
  return c;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code?: string }).code ?? '', message: (err as Error).message };
  }
  throw new Error('the operation was not refused');
}

/** What the storefront does with its cache: the same in every phase. */
async function cacheTraffic(port: number): Promise<void> {
  const r = await redisClient(port);
  try {
    assert.equal(await r.set(K('session:1'), 'alice'), 'OK');
    assert.equal(await r.get(K('session:1')), 'alice');
    await r.hset(K('cart:7'), 'sku', '2');
    assert.equal(await r.hexists(K('cart:7'), 'sku'), 1);
    assert.deepEqual(await r.hgetall(K('cart:7')), { sku: '2' });
    assert.equal(await r.ping(), 'PONG');
  } finally {
    r.disconnect();
  }
}

/** What the orders service does with its database: the same in every phase. */
async function dbTraffic(port: number): Promise<void> {
  const c = await pgClient(port);
  try {
    const id = Math.floor(Math.random() * 1e9);
    await c.query('BEGIN');
    await c.query(`INSERT INTO ${ORDERS} (id, note) VALUES ($1, 'new')`, [id]);
    await c.query(`INSERT INTO ${ITEMS} (order_id, sku) VALUES ($1, 'a')`, [id]);
    await c.query('COMMIT');
    await c.query(`UPDATE ${ORDERS} SET note = 'paid' WHERE id = $1`, [id]);
    const r = await c.query(`SELECT o.note, i.sku FROM ${ORDERS} o JOIN ${ITEMS} i ON i.order_id = o.id WHERE o.id = $1`, [id]);
    assert.deepEqual(r.rows, [{ note: 'paid', sku: 'a' }]);
  } finally {
    await c.end();
  }
}

describe('learning TCP traffic: discover → learned redis/postgres entries → monitor → protect', { timeout: 90_000 }, () => {
  let h: CpHarness;
  let direct: Redis;
  let admin: pg.Client;
  const proxies: Record<'cache' | 'db', MeshwardProxy> = {} as never;
  const mode = (w: 'cache' | 'db') => (JSON.parse(proxies[w].proxy.configuration()!) as { mode: string }).mode;
  const port = (w: 'cache' | 'db') => proxies[w].proxy.address.port;

  before(async () => {
    direct = new Redis({ host: '127.0.0.1', port: 6379 });
    admin = new pg.Client(PG);
    await admin.connect();
    await admin.query(`CREATE TABLE ${ORDERS} (id bigint PRIMARY KEY, note text)`);
    await admin.query(`CREATE TABLE ${ITEMS} (order_id bigint, sku text)`);
    h = await startCpHarness({ inventory: 'workloads:\n  - {namespace: shop, name: cache, labels: {app: cache}}\n  - {namespace: shop, name: db, labels: {app: db}}\n' });
    const peersFile = join(h.dir, 'peers.yaml');
    writeFileSync(peersFile, `- {ip: ${READER_IP}, principal: "${READER}", namespace: shop, workload: orders}\n`);
    for (const [name, upstream] of [['cache', 'tcp://127.0.0.1:6379'], ['db', 'tcp://127.0.0.1:5432']] as const) {
      proxies[name] = await startMeshwardProxy({
        listen: { host: '127.0.0.1', port: 0 },
        upstream,
        policies: [],
        workload: { namespace: 'shop', name },
        labels: { app: name },
        fail: 'closed',
        upstreamProtocol: 'auto',
        noFilter: false,
        tcp: true,
        wasm: FILTER_WASM,
        eventsUrl: h.url,
        peersFile,
        logger: createLogger('error', () => {}, () => {}),
        watch: false,
        xds: { server: `127.0.0.1:${h.cp.xds.address.split(':').pop()}`, initial: 'wait', timeoutMs: 15_000 },
      });
    }
  });

  after(async () => {
    for (const p of Object.values(proxies)) await p.close();
    await h?.close();
    const keys = await direct.keys(`mw:${run}:*`);
    if (keys.length > 0) await direct.del(...keys);
    direct.disconnect();
    await admin.query(`DROP TABLE IF EXISTS ${ORDERS}, ${ITEMS}`);
    await admin.end();
  });

  it('records the callers\' commands and statements in discover mode', async () => {
    assert.deepEqual([mode('cache'), mode('db')], ['discover', 'discover']);
    await cacheTraffic(port('cache'));
    await dbTraffic(port('db'));
    await waitForStored(h, (e) => e.kind === 'tcp.flow' && (e.statement as { command?: string } | undefined)?.command === 'hgetall', 'the HGETALL flow');
    await waitForStored(h, (e) => e.kind === 'tcp.flow' && ((e.statement as { kinds?: string[] } | undefined)?.kinds ?? []).includes('UPDATE'), 'the UPDATE flow');
    await waitForStored(h, (e) => e.kind === 'tcp.flow' && ((e.statement as { tables?: string[] } | undefined)?.tables ?? []).length === 2, 'the JOIN flow');
    await h.cp.ingest.flush();
    const cache = h.cp.learner.baseline('shop', 'cache')!;
    assert.deepEqual(cache.skipped, {});
    assert.ok(cache.callers[`principal:${READER}`].operations[`REDIS GET mw:${run}:session:*`] >= 1, JSON.stringify(cache.callers));
    const db = h.cp.learner.baseline('shop', 'db')!;
    assert.deepEqual(db.skipped, {});
    assert.ok(db.callers[`principal:${READER}`].operations[`POSTGRES UPDATE ${ORDERS}`] >= 1, JSON.stringify(db.callers));
  });

  it('`meshward learn` proposes the commands with their keys and the statements with their tables', async () => {
    const cache = await h.cli(['learn', '--workload', 'shop/cache']);
    assert.equal(cache.code, 0, cache.stderr);
    const c = parse(cache.stdout) as Learned;
    assert.equal(c.spec.ingress.length, 1);
    assert.deepEqual(c.spec.ingress[0].from, [{ principal: READER }]);
    const redis = c.spec.ingress[0].redis!;
    const keysOf = (cmd: string) => redis.find((e) => e.commands.includes(cmd))?.keys;
    for (const cmd of ['SET', 'GET']) assert.deepEqual(keysOf(cmd), [`mw:${run}:session:*`], cmd);
    for (const cmd of ['HSET', 'HEXISTS', 'HGETALL']) assert.deepEqual(keysOf(cmd), [`mw:${run}:cart:*`], cmd);
    assert.ok(redis.some((e) => e.commands.includes('PING') && e.keys === undefined));
    assert.ok(!redis.some((e) => e.commands.includes('DEL')));

    const db = await h.cli(['learn', '--workload', 'shop/db']);
    assert.equal(db.code, 0, db.stderr);
    const d = parse(db.stdout) as Learned;
    assert.deepEqual(d.spec.ingress[0].from, [{ principal: READER }]);
    const statements = d.spec.ingress[0].postgres!;
    const tablesOf = (kind: string) => statements.find((e) => e.statements.includes(kind))?.tables;
    assert.deepEqual(tablesOf('INSERT'), [ITEMS, ORDERS].sort());
    assert.deepEqual(tablesOf('UPDATE'), [ORDERS]);
    assert.deepEqual(tablesOf('SELECT'), [ITEMS, ORDERS].sort());
    assert.ok(statements.some((e) => e.statements.includes('TRANSACTION')));
    assert.ok(!statements.some((e) => e.statements.includes('DELETE')));
  });

  it('applied in monitor: the same traffic raises no violation', async () => {
    for (const w of ['cache', 'db'] as const) {
      const applied = await h.cli(['learn', '--workload', `shop/${w}`, '--apply']);
      assert.equal(applied.code, 0, applied.stderr);
      await waitUntil(() => mode(w) === 'monitor', `the learned policy at the ${w} proxy (monitor)`);
    }
    await cacheTraffic(port('cache'));
    await dbTraffic(port('db'));
    // Markers after the traffic, each a violation: stored once everything before them was.
    const r = await redisClient(port('cache'));
    await r.echo('marker');
    r.disconnect();
    const c = await pgClient(port('db'));
    await c.query('SELECT count(*) FROM pg_class');
    await c.end();
    const isMarker = (e: { statement?: { command?: string; tables?: string[] } }) => e.statement?.command === 'echo' || (e.statement?.tables ?? []).includes('pg_class');
    await waitForStored(h, (e) => e.kind === 'tcp.policy' && isMarker(e), 'the cache marker');
    await waitForStored(h, (e) => e.kind === 'tcp.policy' && (e.statement as { tables?: string[] } | undefined)?.tables?.includes('pg_class') === true, 'the db marker');
    const page = await h.cp.store.queryEvents({ limit: 1000 });
    const violations = page.items.map((x) => JSON.parse(x.doc) as { kind: string; statement?: { command?: string; tables?: string[] } }).filter((e) => e.kind === 'tcp.policy' && !isMarker(e));
    assert.deepEqual(violations, []);
  });

  it('promoted to protect: the same traffic passes; a new command or statement kind gets the protocol\'s error', async () => {
    for (const w of ['cache', 'db'] as const) {
      const promoted = await h.cli(['learn', 'promote', '--workload', `shop/${w}`, '--mode', 'protect', '--since', '1h']);
      assert.equal(promoted.code, 0, promoted.stderr);
      await waitUntil(() => mode(w) === 'protect', `protect at the ${w} proxy`);
    }
    await cacheTraffic(port('cache'));
    await dbTraffic(port('db'));

    const r = await redisClient(port('cache'));
    try {
      assert.match((await failure(r.del(K('session:1')))).message, /^ERR meshward: command 'del' is not allowed by policy/);
      assert.equal(await r.get(K('session:1')), 'alice', 'not deleted, the connection still works');
      assert.match((await failure(r.get(K('config')))).message, /^ERR meshward/, 'a key outside the learned prefixes');
    } finally {
      r.disconnect();
    }
    const c = await pgClient(port('db'));
    try {
      const denied = await failure(c.query(`DELETE FROM ${ORDERS}`));
      assert.equal(denied.code, '42501', denied.message);
      assert.match(denied.message, /DELETE on .* is not allowed by meshward policy/);
      const rows = await c.query(`SELECT o.note, i.sku FROM ${ORDERS} o JOIN ${ITEMS} i ON i.order_id = o.id WHERE o.id > $1`, [0]);
      assert.equal(rows.rows.length, 3, 'nothing deleted (three runs of the traffic), the connection still works');
    } finally {
      await c.end();
    }
    const list = await h.cli(['learn', 'list']);
    assert.match(list.stdout, /shop\/cache\s+protect\s+shop\/cache-learned/);
    assert.match(list.stdout, /shop\/db\s+protect\s+shop\/db-learned/);
  });
});
