// The TCP mode's cost. (1) pgbench -S style: one indexed SELECT per round trip on a
// 10,000-row accounts table of the real PostgreSQL, with a random key each time, directly and
// through `meshward proxy --tcp` (protect mode, a statement policy with tables) and through the
// same proxy without the filter; the figure is the median added per round trip. (2) The
// conversation parsers' throughput in the host without sockets: PostgreSQL queries, MySQL
// COM_QUERY packets and Redis pipelined commands, judged one by one, in 64 KiB pieces.
// BENCH_TCP_QUERIES sets the round trips per setup (default 3000).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startMeshwardProxy } from '../cli/commands/proxy.js';
import { createLogger } from '../cli/logger.js';
import { FILTER_WASM } from '../cli/paths.js';
import type { WasmPluginHandle, WasmPluginNetwork } from '../host-agent/src/wasm-host/api.js';
import { createVm } from '../host-agent/src/wasm-host/index.js';
import { compile, loadPolicies } from '../control-plane/src/index.js';
import { emit, round } from './figure.js';

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

function policy(table: string): string {
  return `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: bench, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  mode: protect
  ingress:
    - name: reader
      postgres: [{statements: [SELECT, INSERT, UPDATE, SESSION, TRANSACTION], tables: ["${table}", "orders", "items"]}]
      mysql: [{statements: [SELECT, INSERT], tables: ["orders"]}]
      redis: [{commands: ["@read", SET], keys: ["session:*"]}]
`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function roundTrips(port: number, table: string, n: number): Promise<number[]> {
  const c = new pg.Client({ ...PG, port });
  await c.connect();
  const out: number[] = [];
  try {
    for (let i = 0; i < 200; i++) await c.query({ name: 'select', text: `SELECT abalance FROM ${table} WHERE aid = $1`, values: [1 + (i % 10000)] });
    for (let i = 0; i < n; i++) {
      const aid = 1 + Math.floor(Math.random() * 10000);
      const t = process.hrtime.bigint();
      await c.query({ name: 'select', text: `SELECT abalance FROM ${table} WHERE aid = $1`, values: [aid] });
      out.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  } finally {
    await c.end();
  }
  return out.sort((a, b) => a - b);
}

async function pgbenchLatency(queries: number): Promise<void> {
  const table = `mw_bench_${randomBytes(3).toString('hex')}_accounts`;
  const admin = new pg.Client(PG);
  await admin.connect();
  const dir = mkdtempSync(join(tmpdir(), 'meshward-bench-tcp-'));
  try {
    await admin.query(`CREATE TABLE ${table} (aid int primary key, bid int, abalance int, filler char(84))`);
    await admin.query(`INSERT INTO ${table} SELECT g, 1, 0, '' FROM generate_series(1, 10000) g`);
    writeFileSync(join(dir, 'policy.yaml'), policy(table));
    const start = (noFilter: boolean) => startMeshwardProxy({
      listen: { host: '127.0.0.1', port: 0 }, upstream: 'tcp://127.0.0.1:5432', policies: [join(dir, 'policy.yaml')],
      workload: { namespace: 'shop', name: 'db' }, labels: { app: 'db' }, fail: 'closed', upstreamProtocol: 'auto',
      noFilter, tcp: true, wasm: FILTER_WASM, logger: createLogger('error', () => {}, () => {}), watch: false,
    });
    const filtered = await start(false);
    const bare = await start(true);
    try {
      const direct = await roundTrips(5432, table, queries);
      const through = await roundTrips(filtered.proxy.address.port, table, queries);
      const passthrough = await roundTrips(bare.proxy.address.port, table, queries);
      const med = (s: number[]) => percentile(s, 0.5);
      emit({
        bench: 'tcp.postgres_select_round_trip_added_us',
        value: round(med(through) - med(direct), 1),
        unit: 'µs (median added per SELECT round trip, proxy --tcp with the filter vs direct)',
        baseline: { name: 'direct median µs', value: round(med(direct), 1) },
        proxy_median_us: round(med(through), 1),
        proxy_p99_us: round(percentile(through, 0.99), 1),
        direct_p99_us: round(percentile(direct, 0.99), 1),
        no_filter_median_us: round(med(passthrough), 1),
        filter_share_us: round(med(through) - med(passthrough), 1),
        queries,
      });
      const denied = Number(filtered.proxy.stats().filter['meshward.tcp.statements_denied'] ?? 0);
      if (denied !== 0) throw new Error(`the bench policy denied ${denied} statements`);
    } finally {
      await filtered.close();
      await bare.close();
    }
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- parser throughput ----

function pgMessage(type: string, body: string): Buffer {
  const b = Buffer.from(`${body}\0`);
  const h = Buffer.alloc(5);
  h.write(type, 0, 'latin1');
  h.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([h, b]);
}

function pgStream(bytes: number): { opening: Buffer; body: Buffer } {
  const startupBody = Buffer.from('\0\x03\0\0user\0bench\0database\0test\0\0', 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(startupBody.length + 4);
  const statements = [
    'SELECT o.id, o.total, i.sku FROM orders o JOIN items i ON i.order_id = o.id WHERE o.customer = 42 ORDER BY o.created DESC LIMIT 20',
    "INSERT INTO orders (id, customer, total, note) VALUES (1001, 42, 99.5, 'gift wrap, please; ring twice')",
    'SELECT count(*) FROM items WHERE sku LIKE \'AB-%\'',
  ];
  const parts: Buffer[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const m = pgMessage('Q', statements[i % statements.length]);
    parts.push(m);
    n += m.length;
  }
  return { opening: Buffer.concat([len, startupBody]), body: Buffer.concat(parts) };
}

function mysqlStream(bytes: number): { greeting: Buffer; opening: Buffer; ok: Buffer; body: Buffer } {
  const packet = (seq: number, payload: Buffer) => {
    const h = Buffer.alloc(4);
    h.writeUIntLE(payload.length, 0, 3);
    h[3] = seq;
    return Buffer.concat([h, payload]);
  };
  const greeting = packet(0, Buffer.concat([Buffer.from([10]), Buffer.from('10.11.6-MariaDB\0'), Buffer.alloc(4), Buffer.alloc(8, 1), Buffer.from([0, 0xff, 0xf7, 33, 2, 0, 0xff, 0x81, 21]), Buffer.alloc(10), Buffer.alloc(13, 1), Buffer.from('mysql_native_password\0')]));
  const resp = Buffer.alloc(32);
  resp.writeUInt32LE(0x0200 | 0x8000, 0);
  const parts: Buffer[] = [];
  let n = 0;
  const sql = ['SELECT id, total FROM orders WHERE customer = 42 ORDER BY created DESC LIMIT 20', "INSERT INTO orders (id, total) VALUES (5, 10.5)"];
  for (let i = 0; n < bytes; i++) {
    const p = packet(0, Buffer.concat([Buffer.from([3]), Buffer.from(sql[i % 2])]));
    parts.push(p);
    n += p.length;
  }
  return { greeting, opening: packet(1, Buffer.concat([resp, Buffer.from('bench\0'), Buffer.from([0])])), ok: packet(2, Buffer.from([0, 0, 0, 2, 0, 0, 0])), body: Buffer.concat(parts) };
}

function redisStream(bytes: number): Buffer {
  const cmd = (...a: string[]) => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`;
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += i % 2 ? cmd('GET', `session:${i}`) : cmd('SET', `session:${i}`, 'x'.repeat(32));
  return Buffer.from(s);
}

export async function parserThroughput(mb: number): Promise<void> {
  const config = compile(loadPolicies(policy('accounts')), { namespace: 'shop', name: 'db', labels: { app: 'db' } }, { events: { cluster: '' } }).json;
  const vm = await createVm({ module: readFileSync(FILTER_WASM), vmId: 'bench-tcp', logger: { log: () => {} }, logLevel: 'error' });
  const started = vm.startPlugin({ name: 'meshward', rootId: 'meshward', configuration: config });
  if (!started.plugin) throw new Error(`configuration refused: ${started.result.reason}`);
  const plugin = started.plugin as WasmPluginHandle & WasmPluginNetwork;
  const bytes = mb * 1024 * 1024;
  const CHUNK = 64 * 1024;
  const run = (name: string, setup: (s: ReturnType<typeof plugin.createNetworkStream>) => void, body: Buffer) => {
    let passed = 0;
    const stream = plugin.createNetworkStream(
      { connection: { id: 1, sourceAddress: '10.0.0.2', sourcePort: 1, destinationAddress: '10.0.0.3', destinationPort: 5432 } },
      { upstreamWrite: (d) => { passed += d.byteLength; }, downstreamWrite: () => {}, close: () => { throw new Error(`${name}: the filter closed the connection`); } },
    );
    stream.onNewConnection();
    setup(stream);
    passed = 0;
    const t = process.hrtime.bigint();
    for (let i = 0; i < body.length; i += CHUNK) stream.onDownstreamData(body.subarray(i, i + CHUNK), false);
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    stream.onDownstreamClose('remote');
    if (passed !== body.length) throw new Error(`${name}: ${passed} of ${body.length} bytes passed`);
    emit({ bench: `tcp.parser_${name}_mb_per_s`, value: round(body.length / 1048576 / s, 1), unit: 'MB/s (statements judged in 64 KiB pieces, in the host)', megabytes: round(body.length / 1048576, 1) });
  };
  const p = pgStream(bytes);
  run('postgres', (s) => s.onDownstreamData(p.opening, false), p.body);
  const m = mysqlStream(bytes);
  run('mysql', (s) => {
    s.onUpstreamData(m.greeting, false);
    s.onDownstreamData(m.opening, false);
    s.onUpstreamData(m.ok, false);
  }, m.body);
  run('redis', () => {}, redisStream(bytes));
  await plugin.close();
  await vm.close();
}

export async function benchTcpProxy(queries = Number(process.env.BENCH_TCP_QUERIES ?? '3000')): Promise<void> {
  await pgbenchLatency(queries);
  await parserThroughput(Number(process.env.BENCH_TCP_MB ?? '16'));
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTcpProxy();
