// PostgreSQL through `meshward proxy --tcp` against the real server: two callers of different
// identities (peers by source address), the reader's SELECT works and its DELETE gets
// SQLSTATE 42501 while its connection keeps working, the admin's DELETE works, `tables:` stops
// a query on another table, the extended protocol and transactions, pipelined and
// split-across-packets traffic judged the same as simple traffic, monitor mode.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ADMIN_IP, READER, READER_IP, RawConnection, socketFrom, startTcpHarness, type TcpHarness } from '../support/tcp-harness.js';

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const run = randomBytes(4).toString('hex');
const ORDERS = `mw_${run}_orders`;
const ITEMS = `mw_${run}_order_items`;
const SECRETS = `mw_${run}_secrets`;

function policy(mode: string): string {
  return `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  mode: ${mode}
  ingress:
    - name: orders-reads
      from: [{principal: "${READER}"}]
      postgres: [{statements: [SELECT, INSERT, TRANSACTION, SESSION], tables: ["${ORDERS}", "${ITEMS}"]}]
    - name: admin-all
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      postgres: [{statements: ["*"]}]
`;
}

async function client(port: number, from: string): Promise<pg.Client> {
  const c = new pg.Client({ ...PG, port, stream: () => socketFrom(from) } as pg.ClientConfig);
  await c.connect();
  return c;
}

async function sqlState(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? '', message: e.message };
  }
  throw new Error('the statement was not denied');
}

// ---- raw protocol (PostgreSQL "Message Formats") ----
function startup(user: string, database: string): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from(`user\0${user}\0database\0${database}\0\0`)]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
}
function message(type: string, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.write(type, 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}
const query = (sql: string) => message('Q', Buffer.from(`${sql}\0`));
interface Msg { type: string; body: Buffer }
function parse(buf: Buffer): Msg[] {
  const out: Msg[] = [];
  let i = 0;
  while (i + 5 <= buf.length) {
    const len = buf.readUInt32BE(i + 1);
    if (i + 1 + len > buf.length) break;
    out.push({ type: String.fromCharCode(buf[i]), body: buf.subarray(i + 5, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}
/** Bytes up to and including the n-th ReadyForQuery. */
function untilReady(n: number) {
  return (b: Buffer): number | undefined => {
    let i = 0;
    let seen = 0;
    while (i + 5 <= b.length) {
      const len = b.readUInt32BE(i + 1);
      if (i + 1 + len > b.length) return undefined;
      if (b[i] === 0x5a && ++seen === n) return i + 1 + len;
      i += 1 + len;
    }
    return undefined;
  };
}
function errorCode(m: Msg): string {
  const fields = m.body.toString('latin1').split('\0');
  return fields.find((f) => f.startsWith('C'))?.slice(1) ?? '';
}
/** The replies to a run of simple queries: per query, 'ok' (CommandComplete) or the SQLSTATE. */
function outcomes(msgs: Msg[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const m of msgs) {
    if (m.type === 'C') current = 'ok';
    else if (m.type === 'E') current = errorCode(m);
    else if (m.type === 'Z') {
      out.push(current);
      current = '';
    }
  }
  return out;
}

describe('PostgreSQL through meshward proxy --tcp', { timeout: 60_000 }, () => {
  let h: TcpHarness;
  let admin: pg.Client;

  before(async () => {
    admin = new pg.Client(PG);
    await admin.connect();
    await admin.query(`CREATE TABLE ${ORDERS} (id int primary key, item text)`);
    await admin.query(`CREATE TABLE ${ITEMS} (order_id int, sku text)`);
    await admin.query(`CREATE TABLE ${SECRETS} (id int, secret text)`);
    await admin.query(`INSERT INTO ${ORDERS} VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')`);
    await admin.query(`INSERT INTO ${SECRETS} VALUES (1, 'hunter2')`);
    h = await startTcpHarness({ upstream: 'tcp://127.0.0.1:5432', policy: policy('protect') });
  });

  after(async () => {
    await h?.close();
    await admin.query(`DROP TABLE IF EXISTS ${ORDERS}, ${ITEMS}, ${SECRETS}`);
    await admin.end();
  });

  it("the reader's SELECT succeeds, its DELETE gets 42501 and its connection keeps working", async () => {
    const reader = await client(h.port, READER_IP);
    try {
      const r = await reader.query(`SELECT item FROM ${ORDERS} ORDER BY id`);
      assert.deepEqual(r.rows.map((x) => x.item), ['apple', 'pear', 'plum']);
      const denied = await sqlState(reader.query(`DELETE FROM ${ORDERS} WHERE id = 1`));
      assert.equal(denied.code, '42501');
      assert.match(denied.message, /permission denied: DELETE on mw_\w+_orders is not allowed by meshward policy/);
      const again = await reader.query(`SELECT count(*)::int AS n FROM ${ORDERS}`);
      assert.equal(again.rows[0].n, 3, 'nothing was deleted and the connection still works');
      await reader.query(`INSERT INTO ${ORDERS} VALUES (10, 'fig')`);
      const ev = await h.events.waitFor((e) => e.kind === 'tcp.policy' && (e.statement as { text?: string })?.text?.startsWith('DELETE') === true);
      assert.equal(ev.action, 'block');
      assert.equal((ev.source as { principal: string }).principal, READER);
      assert.deepEqual((ev.statement as { kinds: string[] }).kinds, ['DELETE']);
      assert.deepEqual((ev.statement as { tables: string[] }).tables, [ORDERS]);
      assert.equal(ev.protocol, 'postgres');
    } finally {
      await reader.end();
    }
  });

  it("the admin's DELETE succeeds", async () => {
    const a = await client(h.port, ADMIN_IP);
    try {
      const r = await a.query(`DELETE FROM ${ORDERS} WHERE id = 10`);
      assert.equal(r.rowCount, 1);
    } finally {
      await a.end();
    }
  });

  it('tables: a SELECT on another table is denied, also when hidden in a join or subquery', async () => {
    const reader = await client(h.port, READER_IP);
    try {
      assert.equal((await sqlState(reader.query(`SELECT * FROM ${SECRETS}`))).code, '42501');
      assert.equal((await sqlState(reader.query(`SELECT o.id FROM ${ORDERS} o JOIN ${SECRETS} s ON s.id = o.id`))).code, '42501');
      assert.equal((await sqlState(reader.query(`SELECT * FROM ${ORDERS} WHERE id IN (SELECT id FROM public.${SECRETS})`))).code, '42501');
      const ok = await reader.query(`SELECT o.id FROM ${ORDERS} o LEFT JOIN ${ITEMS} i ON i.order_id = o.id WHERE o.id = 1`);
      assert.equal(ok.rowCount, 1);
    } finally {
      await reader.end();
    }
  });

  it('the extended protocol (Parse/Bind/Execute) is judged at Parse; the connection stays in step', async () => {
    const reader = await client(h.port, READER_IP);
    try {
      const r = await reader.query({ text: `SELECT item FROM ${ORDERS} WHERE id = $1`, values: [2] });
      assert.equal(r.rows[0].item, 'pear');
      const denied = await sqlState(reader.query({ text: `DELETE FROM ${ORDERS} WHERE id = $1`, values: [2] }));
      assert.equal(denied.code, '42501');
      const named = await sqlState(reader.query({ name: 'wipe', text: `UPDATE ${ORDERS} SET item = $1`, values: ['x'] }));
      assert.equal(named.code, '42501');
      const after = await reader.query({ text: `SELECT item FROM ${ORDERS} WHERE id = $1`, values: [2] });
      assert.equal(after.rows[0].item, 'pear');
    } finally {
      await reader.end();
    }
  });

  it('inside a transaction a denied statement fails the transaction, as the server would', async () => {
    const reader = await client(h.port, READER_IP);
    try {
      await reader.query('BEGIN');
      await reader.query(`INSERT INTO ${ORDERS} VALUES (20, 'kiwi')`);
      assert.equal((await sqlState(reader.query(`TRUNCATE ${ORDERS}`))).code, '42501');
      assert.equal((await sqlState(reader.query(`SELECT 1 FROM ${ORDERS}`))).code, '25P02', 'current transaction is aborted');
      await reader.query('ROLLBACK');
      const r = await reader.query(`SELECT count(*)::int AS n FROM ${ORDERS} WHERE id = 20`);
      assert.equal(r.rows[0].n, 0);
    } finally {
      await reader.end();
    }
  });

  it('a multi-statement query string with one denied statement is denied whole', async () => {
    const reader = await client(h.port, READER_IP);
    try {
      assert.equal((await sqlState(reader.query(`SELECT 1 FROM ${ORDERS}; DELETE FROM ${ORDERS}`))).code, '42501');
      const r = await reader.query(`SELECT count(*)::int AS n FROM ${ORDERS}`);
      assert.equal(r.rows[0].n, 3);
    } finally {
      await reader.end();
    }
  });

  const PIPELINE = () => Buffer.concat([
    query(`SELECT id FROM ${ORDERS} WHERE id = 1`),
    query(`DELETE FROM ${ORDERS} WHERE id = 1`),
    query(`SELECT id FROM ${SECRETS}`),
    query(`SELECT id FROM ${ORDERS} WHERE id = 2`),
  ]);

  it('pipelined queries in one packet are judged one by one', async () => {
    const c = new RawConnection(h.port, READER_IP);
    await c.ready();
    try {
      c.write(startup('postgres', 'test'));
      await c.read(untilReady(1));
      c.write(PIPELINE());
      const replies = parse(await c.read(untilReady(4)));
      assert.deepEqual(outcomes(replies), ['ok', '42501', '42501', 'ok']);
    } finally {
      c.close();
    }
  });

  it('the same traffic split into one-byte packets is judged the same', async () => {
    const c = new RawConnection(h.port, READER_IP);
    await c.ready();
    try {
      await c.writeSplit(startup('postgres', 'test'));
      await c.read(untilReady(1));
      await c.writeSplit(PIPELINE(), 1);
      const replies = parse(await c.read(untilReady(4)));
      assert.deepEqual(outcomes(replies), ['ok', '42501', '42501', 'ok']);
      await c.writeSplit(PIPELINE(), 7);
      assert.deepEqual(outcomes(parse(await c.read(untilReady(4)))), ['ok', '42501', '42501', 'ok']);
    } finally {
      c.close();
    }
  });

  it('a caller no rule names is refused at the first statement... of its connection: closed', async () => {
    const c = new RawConnection(h.port, '127.0.0.9');
    await c.ready();
    c.write(startup('postgres', 'test'));
    await assert.rejects(c.read(untilReady(1)), /connection closed/);
    const ev = await h.events.waitFor((e) => e.kind === 'tcp.policy' && (e.source as { ip: string }).ip === '127.0.0.9');
    assert.equal(ev.action, 'block');
  });

  it('monitor mode lets everything through and records events', async () => {
    const m = await startTcpHarness({ upstream: 'tcp://127.0.0.1:5432', policy: policy('monitor') });
    const reader = await client(m.port, READER_IP);
    try {
      await admin.query(`INSERT INTO ${SECRETS} VALUES (2, 'x')`);
      const r = await reader.query(`DELETE FROM ${SECRETS} WHERE id = 2`);
      assert.equal(r.rowCount, 1, 'monitor does not block');
      const ev = await m.events.waitFor((e) => e.kind === 'tcp.policy');
      assert.equal(ev.action, 'alert');
      assert.equal(ev.mode, 'monitor');
      assert.deepEqual((ev.statement as { tables: string[] }).tables, [SECRETS]);
    } finally {
      await reader.end();
      await m.close();
    }
  });
});
