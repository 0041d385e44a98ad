// The SQL classifier and injection shapes, through the compiled filter: each statement goes
// over a PostgreSQL (or MySQL) conversation in discover mode, and the tcp.flow / tcp.attack
// events say what the filter understood: kinds, tables, shapes.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { type Filter, type Json, config, startFilter } from './helpers.js';
import { mysqlHandshake, pgStartup } from './tcp/flights.js';
import { connect } from './tcp/helpers.js';

function pgQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const h = Buffer.alloc(5);
  h.write('Q', 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}
function mysqlPacket(seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
}

describe('SQL statements: kinds, tables, injection shapes', () => {
  let f: Filter;
  before(async () => {
    f = await startFilter(config({ mode: 'discover' }));
  });
  after(async () => {
    await f.close();
  });

  function pg(sql: string): Json[] {
    const before = f.loggedEvents().length;
    const tap = connect(f);
    tap.client(pgStartup({ user: 'app', database: 'shop' }));
    tap.client(pgQuery(sql));
    tap.close();
    assert.equal(f.vm.failed, false);
    return f.loggedEvents().slice(before).filter((e) => e.statement !== undefined);
  }

  function mysql(sql: string): Json[] {
    const before = f.loggedEvents().length;
    const tap = connect(f, { destinationPort: 3306 });
    tap.server(mysqlHandshake('10.11.6-MariaDB'));
    const resp = Buffer.alloc(32);
    resp.writeUInt32LE(0x0200 | 0x8000, 0);
    tap.client(mysqlPacket(1, Buffer.concat([resp, Buffer.from('app\0'), Buffer.from([0])])));
    tap.server(mysqlPacket(2, Buffer.from([0, 0, 0, 2, 0, 0, 0])));
    tap.client(mysqlPacket(0, Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)])));
    tap.close();
    assert.equal(f.vm.failed, false);
    return f.loggedEvents().slice(before).filter((e) => e.statement !== undefined);
  }

  const flows = (events: Json[]) => events.filter((e) => e.kind === 'tcp.flow').map((e) => {
    const s = e.statement as { kinds: string[]; tables: string[] };
    return { kinds: s.kinds, tables: s.tables };
  });

  const CASES: Array<[string, string[], string[]]> = [
    ['SELECT * FROM orders WHERE id = 1', ['SELECT'], ['orders']],
    ['select o.id from shop.orders o join "Order_Items" i on i.order_id = o.id', ['SELECT'], ['shop.orders', 'Order_Items']],
    ['SELECT * FROM a, b AS bb, c WHERE a.x = b.x', ['SELECT'], ['a', 'b', 'c']],
    ['SELECT * FROM generate_series(1, 10) g', ['SELECT'], []],
    ['SELECT * FROM orders WHERE id IN (SELECT order_id FROM items)', ['SELECT'], ['orders', 'items']],
    ['INSERT INTO orders (id, item) VALUES (1, \'x\')', ['INSERT'], ['orders']],
    ['INSERT INTO orders SELECT * FROM staging', ['SELECT', 'INSERT'], ['orders', 'staging']],
    ['INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET v = 2', ['INSERT', 'UPDATE'], ['t']],
    ['UPDATE orders SET item = \'y\' WHERE id = 2', ['UPDATE'], ['orders']],
    ['UPDATE orders o SET total = s.sum FROM sums s WHERE s.id = o.id', ['UPDATE'], ['orders', 'sums']],
    ['DELETE FROM ONLY orders USING archive WHERE archive.id = orders.id', ['DELETE'], ['orders', 'archive']],
    ['TRUNCATE TABLE a, b CASCADE', ['TRUNCATE'], ['a', 'b']],
    ['WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', ['SELECT', 'DELETE'], ['orders']],
    ['WITH recent AS (SELECT * FROM orders) SELECT * FROM recent', ['SELECT'], ['orders']],
    ['MERGE INTO stock s USING deliveries d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = s.n + d.n', ['MERGE'], ['stock', 'deliveries']],
    ['COPY orders FROM STDIN WITH (FORMAT csv)', ['COPY'], ['orders']],
    ['COPY (SELECT * FROM orders) TO STDOUT', ['SELECT', 'COPY'], ['orders']],
    ['CREATE TABLE audit (id int)', ['DDL'], ['audit']],
    ['CREATE INDEX ix ON orders (item)', ['DDL'], ['orders']],
    ['DROP TABLE IF EXISTS a, b', ['DDL'], ['a', 'b']],
    ['ALTER TABLE orders ADD COLUMN note text', ['DDL'], ['orders']],
    ['GRANT SELECT ON orders TO reporting', ['GRANT'], ['orders']],
    ['BEGIN', ['TRANSACTION'], []],
    ['SET search_path = shop', ['SESSION'], []],
    ['EXPLAIN ANALYZE DELETE FROM orders', ['DELETE'], ['orders']],
    ['VACUUM ANALYZE orders', ['MAINTENANCE'], []],
    ['LOCK TABLE orders IN ACCESS EXCLUSIVE MODE', ['LOCK'], ['orders']],
    ['CALL refresh_totals()', ['CALL'], []],
    ['TABLE orders', ['SELECT'], ['orders']],
    ['SELECT 1 UNION SELECT 2', ['SELECT', 'UNION'], []],
    ['/* comment */ -- line\n SELECT $$ DELETE FROM x $$, \'DROP TABLE y\' FROM orders', ['SELECT'], ['orders']],
    ['frobnicate the database', ['OTHER'], []],
  ];

  for (const [sql, kinds, tables] of CASES) {
    it(`postgres: ${sql.replace(/\n/g, ' ')}`, () => {
      assert.deepEqual(flows(pg(sql)), [{ kinds, tables }]);
    });
  }

  it('several statements in one query string: one flow each', () => {
    assert.deepEqual(flows(pg('SELECT * FROM a; UPDATE b SET x = 1;; DELETE FROM c')), [
      { kinds: ['SELECT'], tables: ['a'] },
      { kinds: ['UPDATE'], tables: ['b'] },
      { kinds: ['DELETE'], tables: ['c'] },
    ]);
  });

  const MYSQL: Array<[string, string[], string[]]> = [
    ['SELECT * FROM `shop`.`orders` WHERE id = 1', ['SELECT'], ['shop.orders']],
    ['INSERT orders VALUES (1)', ['INSERT'], ['orders']],
    ['INSERT IGNORE INTO orders VALUES (1) ON DUPLICATE KEY UPDATE n = n + 1', ['INSERT', 'UPDATE'], ['orders']],
    ['REPLACE INTO orders VALUES (1)', ['INSERT', 'DELETE'], ['orders']],
    ['UPDATE a, b SET a.x = b.x WHERE a.id = b.id', ['UPDATE'], ['a', 'b']],
    ['SELECT "not a table" FROM t # trailing comment', ['SELECT'], ['t']],
    ['/*!50000 DROP TABLE orders */', ['DDL'], ['orders']],
    ['LOCK TABLES orders READ, items WRITE', ['LOCK'], ['orders', 'items']],
    ['DESCRIBE orders', ['SESSION'], ['orders']],
  ];
  for (const [sql, kinds, tables] of MYSQL) {
    it(`mysql: ${sql}`, () => {
      assert.deepEqual(flows(mysql(sql)), [{ kinds, tables }]);
    });
  }

  const SHAPES: Array<[string, string]> = [
    ["SELECT * FROM users WHERE name = 'x' OR 1=1", 'tautology'],
    ["SELECT * FROM users WHERE name = '' OR 'a'='a'", 'tautology'],
    ['SELECT * FROM users WHERE id = 5 OR TRUE', 'tautology'],
    ["SELECT * FROM users WHERE name = 'admin'--' AND password = 'x'", 'comment-truncation'],
    ['SELECT id FROM orders WHERE id = 1; DROP TABLE orders', 'stacked-queries'],
    ['SELECT name FROM products WHERE id = 1 UNION SELECT NULL, NULL FROM dual', 'union'],
    ['SELECT name FROM products WHERE id = -1 UNION ALL SELECT table_name FROM information_schema.tables', 'union'],
    ['SELECT * FROM orders WHERE note = \'a /* b\' /* unterminated', 'comment-truncation'],
  ];
  for (const [sql, shape] of SHAPES) {
    it(`injection shape ${shape}: ${sql}`, () => {
      const attack = pg(sql).find((e) => e.kind === 'tcp.attack');
      assert.ok(attack, 'no tcp.attack event');
      assert.equal((attack.evidence as Json).shape, shape);
      assert.equal((attack.attack as Json).class, 'sqli');
      assert.equal(attack.action, 'alert', 'discover mode reports attacks without blocking');
    });
  }

  const CLEAN = [
    'SELECT * FROM orders WHERE 1=1 AND id = 3',
    "SELECT * FROM orders WHERE a = 'x' OR b = 'y'",
    'SELECT a FROM t1 UNION SELECT b FROM t2',
    "SELECT '--' FROM t -- a comment without quotes",
    'BEGIN; INSERT INTO t VALUES (1); COMMIT',
  ];
  for (const sql of CLEAN) {
    it(`no injection shape: ${sql}`, () => {
      assert.equal(pg(sql).filter((e) => e.kind === 'tcp.attack').length, 0);
    });
  }
});
