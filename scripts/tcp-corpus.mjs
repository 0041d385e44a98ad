#!/usr/bin/env node
// Writes the seed corpus of the TCP fuzzers (filter/test/corpus/tcp/<target>/NAME.{c,s}.bin:
// client or server bytes), from the first flights of filter/test/tcp/flights.ts and protocol
// messages written here from the PostgreSQL, MySQL and RESP specifications. Run after a build;
// the files are checked in, so this is only needed to add seeds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { FLIGHTS, pgStartup, mysqlHandshake } = await import(join(root, 'dist/filter/test/tcp/flights.js'));
const out = join(root, 'filter/test/corpus/tcp');

function put(target, name, dir, bytes) {
  const d = join(out, target);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `${name}.${dir}.bin`), bytes);
}

for (const [name, f] of Object.entries(FLIGHTS)) put('identify', name.replace(/[^a-z0-9]+/gi, '-'), f.fromServer ? 's' : 'c', f.bytes);

// PostgreSQL
const pgm = (type, body) => {
  const h = Buffer.alloc(5);
  h.write(type, 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
};
const cs = (s) => Buffer.from(`${s}\0`);
const i16 = (n) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
put('postgres', '00-startup', 'c', pgStartup({ user: 'app', database: 'shop' }));
put('postgres', '01-sslrequest', 'c', Buffer.concat([i32(8), i32(80877103)]));
put('postgres', '02-query-select', 'c', pgm('Q', cs('SELECT * FROM orders WHERE id = 1')));
put('postgres', '03-query-delete', 'c', pgm('Q', cs('DELETE FROM orders')));
put('postgres', '04-query-multi', 'c', pgm('Q', cs("BEGIN; INSERT INTO orders VALUES (1, 'x'); SELECT * FROM items i JOIN audit_log a ON a.id = i.id; COMMIT")));
put('postgres', '05-query-injection', 'c', pgm('Q', cs("SELECT * FROM users WHERE name = '' OR 'a'='a' UNION SELECT NULL, NULL --'")));
put('postgres', '06-extended', 'c', Buffer.concat([
  pgm('P', Buffer.concat([cs('s1'), cs('UPDATE orders SET item = $1 WHERE id = $2'), i16(2), i32(25), i32(23)])),
  pgm('B', Buffer.concat([cs(''), cs('s1'), i16(0), i16(2), i32(1), Buffer.from('x'), i32(1), Buffer.from('1'), i16(0)])),
  pgm('D', Buffer.concat([Buffer.from('P'), cs('')])),
  pgm('E', Buffer.concat([cs(''), i32(0)])),
  pgm('S', Buffer.alloc(0)),
]));
put('postgres', '07-copy', 'c', Buffer.concat([pgm('Q', cs('COPY orders FROM STDIN')), pgm('d', Buffer.from('1\tx\n')), pgm('c', Buffer.alloc(0))]));
put('postgres', '08-dollar-quotes', 'c', pgm('Q', cs("DO $f$ BEGIN PERFORM 1; END $f$; SELECT E'\\\\'' FROM \"Orders\" /* a /* nested */ c */")));
put('postgres', '09-terminate', 'c', pgm('X', Buffer.alloc(0)));
put('postgres', '10-ssl-no', 's', Buffer.from('N'));
put('postgres', '11-auth-ok', 's', Buffer.concat([pgm('R', i32(0)), pgm('S', Buffer.concat([cs('server_version'), cs('15.0')])), pgm('K', Buffer.concat([i32(1), i32(2)])), pgm('Z', Buffer.from('I'))]));
put('postgres', '12-rows', 's', Buffer.concat([pgm('T', Buffer.concat([i16(1), cs('id'), i32(0), i16(0), i32(23), i16(4), i32(-1), i16(0)])), pgm('D', Buffer.concat([i16(1), i32(1), Buffer.from('1')])), pgm('C', cs('SELECT 1')), pgm('Z', Buffer.from('T'))]));
put('postgres', '13-probe-error', 's', Buffer.concat([pgm('E', Buffer.concat([cs('SERROR'), cs('C42601'), cs('Msyntax error at or near "MESHWARD_DENIED"'), Buffer.from([0])])), pgm('Z', Buffer.from('I'))]));
put('postgres', '14-other-error', 's', pgm('E', Buffer.concat([cs('SERROR'), cs('C42P01'), cs('Mrelation does not exist'), Buffer.from([0])])));
put('postgres', '15-parse-complete', 's', Buffer.concat([pgm('1', Buffer.alloc(0)), pgm('2', Buffer.alloc(0)), pgm('n', Buffer.alloc(0)), pgm('C', cs('UPDATE 1')), pgm('Z', Buffer.from('I'))]));

// MySQL
const myp = (seq, payload) => {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
};
const resp = Buffer.alloc(32);
resp.writeUInt32LE(0x0200 | 0x8000 | 0x0008 | 0x80000 | 0x0800, 0);
put('mysql', '00-greeting', 's', mysqlHandshake('10.11.6-MariaDB'));
put('mysql', '01-handshake-response', 'c', myp(1, Buffer.concat([resp, cs('app'), Buffer.from([0]), cs('shop'), cs('mysql_native_password')])));
put('mysql', '02-ok', 's', myp(2, Buffer.from([0, 0, 0, 2, 0, 0, 0])));
put('mysql', '03-query', 'c', myp(0, Buffer.concat([Buffer.from([3]), Buffer.from('SELECT * FROM orders WHERE id = 1')])));
put('mysql', '04-query-delete', 'c', myp(0, Buffer.concat([Buffer.from([3]), Buffer.from('DELETE FROM orders; DROP TABLE x')])));
put('mysql', '05-prepare', 'c', myp(0, Buffer.concat([Buffer.from([0x16]), Buffer.from('INSERT INTO orders VALUES (?, ?)')])));
put('mysql', '06-init-db', 'c', myp(0, Buffer.concat([Buffer.from([2]), Buffer.from('shop')])));
put('mysql', '07-probe-err', 's', myp(1, Buffer.concat([Buffer.from([0xff, 0x28, 0x04]), Buffer.from("#42000You have an error in your SQL syntax near 'MESHWARD_DENIED'")])));
put('mysql', '08-resultset', 's', Buffer.concat([myp(1, Buffer.from([1])), myp(2, Buffer.concat([Buffer.from([3]), Buffer.from('def'), Buffer.from([0, 0, 0, 2]), Buffer.from('id')])), myp(3, Buffer.from([0xfe, 0, 0, 2, 0])), myp(4, Buffer.from([1, 0x31])), myp(5, Buffer.from([0xfe, 0, 0, 2, 0]))]));
put('mysql', '09-exec-comment', 'c', myp(0, Buffer.concat([Buffer.from([3]), Buffer.from("SELECT 1 /*!50000 , (SELECT secret FROM s) */ # x'")])));
put('mysql', '10-big-packet', 'c', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0, 3]), Buffer.from('SELECT ')]));
put('mysql', '11-auth-switch', 's', myp(2, Buffer.concat([Buffer.from([0xfe]), cs('mysql_native_password'), Buffer.alloc(20, 1)])));

// Redis
const resp3 = (...args) => Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
put('redis', '00-get', 'c', resp3('GET', 'session:1'));
put('redis', '01-pipeline', 'c', Buffer.concat([resp3('SET', 'session:2', 'v'), resp3('DEL', 'session:2'), resp3('PING')]));
put('redis', '02-inline', 'c', Buffer.from('PING\r\nGET session:1\r\nDEL a b c\r\n\r\n'));
put('redis', '03-multi', 'c', Buffer.concat([resp3('MULTI'), resp3('SET', 'session:3', 'x'), resp3('FLUSHALL'), resp3('EXEC')]));
put('redis', '04-dangerous', 'c', Buffer.concat([resp3('CONFIG', 'SET', 'dir', '/tmp'), resp3('SLAVEOF', '1.2.3.4', '6379'), resp3('EVAL', "return os.execute('id')", '0'), resp3('MODULE', 'LOAD', '/x.so')]));
put('redis', '05-subscribe', 'c', Buffer.concat([resp3('SUBSCRIBE', 'ch'), resp3('CLIENT', 'REPLY', 'OFF')]));
put('redis', '06-big', 'c', resp3('SET', 'session:big', 'x'.repeat(600)));
put('redis', '07-replies', 's', Buffer.from('+OK\r\n:1\r\n$5\r\nhello\r\n*2\r\n$1\r\na\r\n$-1\r\n-ERR unknown command \'MESHWARD_DENIED\', with args beginning with: \r\n'));
put('redis', '08-resp3', 's', Buffer.from('%1\r\n+k\r\n:2\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n|1\r\n+ttl\r\n:3\r\n_\r\n,1.5\r\n#t\r\n(12345\r\n!3\r\nerr\r\n=7\r\ntxt:abc\r\n~1\r\n+s\r\n'));
put('redis', '09-hello3', 'c', resp3('HELLO', '3'));
console.log(`corpus written under ${out}`);
