// MariaDB through `meshward proxy --tcp` against the real server: the reader's SELECT works and
// its DELETE gets ERR 1142 while its connection keeps working, the admin's DELETE works,
// `tables:` stops a query on another table, prepared statements (COM_STMT_PREPARE), COM_INIT_DB,
// pipelined and split traffic judged the same, monitor mode.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { ADMIN_IP, READER, READER_IP, RawConnection, socketFrom, startTcpHarness, type TcpHarness } from '../support/tcp-harness.js';

const DB = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };
const run = randomBytes(4).toString('hex');
const ORDERS = `mw_${run}_orders`;
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
      mysql: [{statements: [SELECT, INSERT, SESSION, TRANSACTION], tables: ["${ORDERS}"]}]
    - name: admin-all
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      mysql: [{statements: ["*"]}]
`;
}

async function connect(port: number, from: string): Promise<mysql.Connection> {
  return mysql.createConnection({ ...DB, port, stream: () => socketFrom(from).connect(port, '127.0.0.1') } as unknown as mysql.ConnectionOptions);
}

async function errno(p: Promise<unknown>): Promise<{ errno: number; sqlState: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { errno?: number; sqlState?: string; message: string };
    return { errno: e.errno ?? 0, sqlState: e.sqlState ?? '', message: e.message };
  }
  throw new Error('the statement was not denied');
}

// ---- raw protocol: packets of 3-byte length, sequence id ----
function packet(seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
}
const comQuery = (sql: string) => packet(0, Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]));
function packets(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    const len = buf.readUIntLE(i, 3);
    if (i + 4 + len > buf.length) break;
    out.push(buf.subarray(i + 4, i + 4 + len));
    i += 4 + len;
  }
  return out;
}
/** Handshake response for root without password (mysql_native_password, CLIENT_PROTOCOL_41). */
function handshakeResponse(): Buffer {
  const caps = 0x00000200 | 0x00008000 | 0x00080000 | 0x00000008 | 0x00010000; // 41, secure conn, plugin auth, with db, multi statements
  const b = Buffer.alloc(32);
  b.writeUInt32LE(caps, 0);
  b.writeUInt32LE(1 << 24, 4);
  b[8] = 33;
  return packet(1, Buffer.concat([b, Buffer.from('root\0'), Buffer.from([0]), Buffer.from('test\0'), Buffer.from('mysql_native_password\0')]));
}
/** OK (0x00) or ERR (0xff) packets of simple statements (no result sets with columns). */
function outcomes(pkts: Buffer[]): string[] {
  return pkts.filter((p) => p[0] === 0x00 || p[0] === 0xff).map((p) => (p[0] === 0x00 ? 'ok' : String(p.readUInt16LE(1))));
}
function countReplies(n: number) {
  return (b: Buffer): number | undefined => {
    let i = 0;
    let seen = 0;
    while (i + 4 <= b.length) {
      const len = b.readUIntLE(i, 3);
      if (i + 4 + len > b.length) return undefined;
      if (b[i + 4] === 0x00 || b[i + 4] === 0xff) seen++;
      i += 4 + len;
      if (seen === n) return i;
    }
    return undefined;
  };
}

describe('MariaDB through meshward proxy --tcp', { timeout: 60_000 }, () => {
  let h: TcpHarness;
  let admin: mysql.Connection;

  before(async () => {
    admin = await mysql.createConnection(DB);
    await admin.query(`CREATE TABLE ${ORDERS} (id int primary key, item varchar(20))`);
    await admin.query(`CREATE TABLE ${SECRETS} (id int, secret varchar(20))`);
    await admin.query(`INSERT INTO ${ORDERS} VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')`);
    h = await startTcpHarness({ upstream: 'tcp://127.0.0.1:3306', policy: policy('protect') });
  });

  after(async () => {
    await h?.close();
    await admin.query(`DROP TABLE IF EXISTS ${ORDERS}, ${SECRETS}`);
    await admin.end();
  });

  it("the reader's SELECT succeeds, its DELETE gets ERR 1142 and its connection keeps working", async () => {
    const reader = await connect(h.port, READER_IP);
    try {
      const [rows] = await reader.query(`SELECT item FROM ${ORDERS} ORDER BY id`);
      assert.deepEqual((rows as Array<{ item: string }>).map((r) => r.item), ['apple', 'pear', 'plum']);
      const denied = await errno(reader.query(`DELETE FROM ${ORDERS} WHERE id = 1`));
      assert.equal(denied.errno, 1142);
      assert.equal(denied.sqlState, '42000');
      assert.match(denied.message, /command denied by meshward policy: DELETE on mw_\w+_orders/);
      const [again] = await reader.query(`SELECT count(*) AS n FROM ${ORDERS}`);
      assert.equal(Number((again as Array<{ n: number }>)[0].n), 3);
      const ev = await h.events.waitFor((e) => e.kind === 'tcp.policy' && e.protocol === 'mysql');
      assert.equal(ev.action, 'block');
      assert.equal((ev.tcp as { user: string }).user, 'root');
      assert.equal((ev.tcp as { database: string }).database, 'test');
    } finally {
      await reader.end();
    }
  });

  it("the admin's DELETE succeeds", async () => {
    const a = await connect(h.port, ADMIN_IP);
    try {
      await a.query(`INSERT INTO ${ORDERS} VALUES (9, 'x')`);
      const [r] = await a.query(`DELETE FROM ${ORDERS} WHERE id = 9`);
      assert.equal((r as { affectedRows: number }).affectedRows, 1);
    } finally {
      await a.end();
    }
  });

  it('tables: a query on another table is denied', async () => {
    const reader = await connect(h.port, READER_IP);
    try {
      assert.equal((await errno(reader.query(`SELECT * FROM ${SECRETS}`))).errno, 1142);
      assert.equal((await errno(reader.query(`SELECT * FROM test.${SECRETS}`))).errno, 1142);
      const [ok] = await reader.query(`SELECT * FROM test.${ORDERS} WHERE id = 1`);
      assert.equal((ok as unknown[]).length, 1);
    } finally {
      await reader.end();
    }
  });

  it('prepared statements are judged at COM_STMT_PREPARE', async () => {
    const reader = await connect(h.port, READER_IP);
    try {
      const [rows] = await reader.execute(`SELECT item FROM ${ORDERS} WHERE id = ?`, [2]);
      assert.equal((rows as Array<{ item: string }>)[0].item, 'pear');
      assert.equal((await errno(reader.execute(`UPDATE ${ORDERS} SET item = ? WHERE id = ?`, ['x', 2]))).errno, 1142);
      const [again] = await reader.execute(`SELECT item FROM ${ORDERS} WHERE id = ?`, [2]);
      assert.equal((again as Array<{ item: string }>)[0].item, 'pear');
    } finally {
      await reader.end();
    }
  });

  it('pipelined commands in one packet, and the same split into small packets, are judged the same', async () => {
    for (const step of [0, 1, 5]) {
      const c = new RawConnection(h.port, READER_IP);
      await c.ready();
      try {
        await c.read((b) => (b.length >= 4 && b.length >= 4 + b.readUIntLE(0, 3) ? 4 + b.readUIntLE(0, 3) : undefined));
        c.write(handshakeResponse());
        const auth = packets(await c.read(countReplies(1)));
        assert.equal(auth.at(-1)![0], 0x00, 'authenticated');
        const pipeline = Buffer.concat([
          comQuery(`INSERT INTO ${ORDERS} VALUES (${100 + step}, 'a')`),
          comQuery(`DELETE FROM ${ORDERS} WHERE id = 1`),
          comQuery(`UPDATE ${SECRETS} SET secret = 'x'`),
          comQuery(`INSERT INTO ${ORDERS} VALUES (${200 + step}, 'b')`),
        ]);
        if (step === 0) c.write(pipeline);
        else await c.writeSplit(pipeline, step);
        assert.deepEqual(outcomes(packets(await c.read(countReplies(4)))), ['ok', '1142', '1142', 'ok'], `step ${step}`);
      } finally {
        c.close();
      }
    }
  });

  it('monitor mode lets everything through and records events', async () => {
    const m = await startTcpHarness({ upstream: 'tcp://127.0.0.1:3306', policy: policy('monitor') });
    const reader = await connect(m.port, READER_IP);
    try {
      await admin.query(`INSERT INTO ${SECRETS} VALUES (5, 'y')`);
      const [r] = await reader.query(`DELETE FROM ${SECRETS} WHERE id = 5`);
      assert.equal((r as { affectedRows: number }).affectedRows, 1);
      const ev = await m.events.waitFor((e) => e.kind === 'tcp.policy');
      assert.equal(ev.action, 'alert');
    } finally {
      await reader.end();
      await m.close();
    }
  });
});
