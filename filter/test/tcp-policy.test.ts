// Connection and statement policy in the filter, without servers: `protocols` admits a protocol
// and nothing else, egress rules against the TLS server name on outbound listeners, and every
// limit reached (statement size, denials waiting for their answer) with its counter.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { type Json, config, rule, startFilter } from './helpers.js';
import { FLIGHTS, clientHello, pgStartup } from './tcp/flights.js';
import { connect } from './tcp/helpers.js';

const READER = 'spiffe://cluster.local/ns/shop/sa/orders';

function pgQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const h = Buffer.alloc(5);
  h.write('Q', 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}

describe('TCP policy in the filter', () => {
  it('protocols: [postgres] admits PostgreSQL on its port and nothing else', async () => {
    const f = await startFilter(config({ ingress: [rule({ name: 'pg-only', from: [{ principal: READER }], ports: [5432], protocols: ['postgres'] })] }));
    try {
      const ok = connect(f, { principal: READER });
      ok.client(FLIGHTS['postgres StartupMessage'].bytes);
      assert.equal(ok.closed.length, 0);
      assert.deepEqual(ok.upstreamBytes, FLIGHTS['postgres StartupMessage'].bytes);
      ok.close();
      const redis = connect(f, { principal: READER });
      redis.client('*1\r\n$4\r\nPING\r\n');
      assert.deepEqual(redis.closed.sort(), ['downstream', 'upstream']);
      assert.equal(redis.toUpstream.length, 0, 'nothing reached the server');
      redis.close();
      const otherPort = connect(f, { principal: READER, destinationPort: 5433 });
      otherPort.client(FLIGHTS['postgres StartupMessage'].bytes);
      assert.equal(otherPort.closed.length, 2, 'the rule names port 5432 only');
      otherPort.close();
      const stranger = connect(f, { principal: 'spiffe://cluster.local/ns/x/sa/y' });
      stranger.client(FLIGHTS['postgres StartupMessage'].bytes);
      assert.equal(stranger.closed.length, 2);
      stranger.close();
      const events = f.loggedEvents().filter((e) => e.kind === 'tcp.policy');
      assert.deepEqual(events.map((e) => e.protocol), ['redis', 'postgres', 'postgres']);
      assert.ok(events.every((e) => e.action === 'block'));
      assert.equal(f.metric('meshward.tcp.connections_denied'), 3);
    } finally {
      await f.close();
    }
  });

  it('egress: outbound connections are checked against the TLS server name and port', async () => {
    const f = await startFilter({
      ...config(),
      egress: [{ id: 'shop/orders/payments', name: 'payments', to: [{ fqdn: 'api.stripe.com', ports: [443] }, { fqdn: '*.mailgun.net', ports: [] }] }],
    } as never);
    const outbound = { listener_direction: { type: 'int' as const, value: 2 } };
    try {
      const cases: Array<[string, number, boolean]> = [
        ['api.stripe.com', 443, true],
        ['API.STRIPE.COM', 443, true],
        ['api.stripe.com', 8443, false],
        ['eu.mailgun.net', 587, true],
        ['mailgun.net', 587, false],
        ['evil.example', 443, false],
      ];
      for (const [sni, port, allowed] of cases) {
        const tap = connect(f, { destinationPort: port, properties: outbound });
        tap.client(clientHello({ sni, versions: [0x0304] }));
        assert.equal(tap.closed.length === 0, allowed, `${sni}:${port}`);
        tap.close();
      }
      const plain = connect(f, { destinationPort: 80, properties: outbound });
      plain.client('GET / HTTP/1.1\r\nHost: api.stripe.com\r\n\r\n');
      assert.equal(plain.closed.length, 2, 'without TLS there is no server name to admit');
      plain.close();
      const allowedEvent = f.loggedEvents().find((e) => e.kind === 'tcp.policy' && (e.tcp as Json).sni === 'evil.example');
      assert.equal((allowedEvent?.tcp as Json).direction, 'outbound');
      assert.equal(allowedEvent?.action, 'block');
    } finally {
      await f.close();
    }
  });

  it('a statement longer than maxStatementBytes is judged on its start: tables unknown are denied, the rest dropped', async () => {
    const f = await startFilter({
      ...config({ ingress: [rule({ name: 'r', from: [{ principal: READER }], postgres: [{ statements: ['SELECT'], tables: ['orders'] }] })] }),
      tcp: { threats: 'block', maxStatementBytes: 64, maxIdentifyBytes: 16384 },
    } as never);
    try {
      const tap = connect(f, { principal: READER });
      tap.client(pgStartup({ user: 'app', database: 'shop' }));
      const start = tap.upstreamBytes.length;
      const long = pgQuery(`SELECT * FROM orders WHERE note IN (${"'x', ".repeat(200)}'y')`);
      tap.client(long.subarray(0, 300));
      tap.client(long.subarray(300, 700));
      tap.client(long.subarray(700));
      const sent = tap.upstreamBytes.subarray(start).toString('latin1');
      assert.equal(sent, 'Q\0\0\0\x14MESHWARD_DENIED\0', 'the probe went out, the rest of the statement was dropped');
      tap.client(pgQuery('SELECT id FROM orders'));
      assert.ok(tap.upstreamBytes.toString('latin1').endsWith('SELECT id FROM orders\0'), 'the next statement is read as one');
      tap.close();
      assert.equal(f.metric('meshward.tcp.statement_truncated'), 1);
      const ev = f.loggedEvents().find((e) => e.kind === 'tcp.policy');
      assert.equal((ev?.statement as Json).truncated, true);
      assert.ok(((ev?.statement as Json).text as string).length <= 1024);
    } finally {
      await f.close();
    }
  });

  it('"*" anywhere in a tables or keys list means any name, and the rest of the list is still read', async () => {
    const f = await startFilter(config({
      ingress: [rule({
        name: 'r',
        from: [{ principal: READER }],
        postgres: [{ statements: ['SELECT'], tables: ['orders', '*', 'users'] }],
        redis: [{ commands: ['get'], keys: ['session:*', '*', 'cart:*'] }],
      })],
    }));
    try {
      const tap = connect(f, { principal: READER });
      tap.client(pgStartup({ user: 'app', database: 'shop' }));
      const start = tap.upstreamBytes.length;
      tap.client(pgQuery('SELECT secret FROM vault'));
      assert.equal(tap.upstreamBytes.subarray(start).toString('latin1'), 'Q\0\0\0\x1dSELECT secret FROM vault\0', 'a table no name lists is read');
      tap.client(pgQuery('DELETE FROM vault'));
      assert.ok(tap.upstreamBytes.toString('latin1').endsWith('MESHWARD_DENIED\0'), 'the statements still limit it');
      tap.close();
    } finally {
      await f.close();
    }
  });

  it('denials waiting for their answer are bounded: beyond 32 the connection is closed', async () => {
    const f = await startFilter(config({ ingress: [rule({ name: 'r', from: [{ principal: READER }], postgres: [{ statements: ['SELECT'], tables: [] }] })] }));
    try {
      const tap = connect(f, { principal: READER });
      tap.client(pgStartup({ user: 'app', database: 'shop' }));
      for (let i = 0; i < 32; i++) tap.client(pgQuery(`DELETE FROM t${i}`));
      assert.equal(tap.closed.length, 0, '32 denials wait for the server');
      tap.client(pgQuery('DELETE FROM t32'));
      assert.deepEqual(tap.closed.sort(), ['downstream', 'upstream']);
      assert.equal(f.metric('meshward.tcp.denials_overflow'), 1);
      tap.close();
    } finally {
      await f.close();
    }
  });

  it('the server error answering a probe is rewritten, other errors pass untouched', async () => {
    const f = await startFilter(config({ ingress: [rule({ name: 'r', from: [{ principal: READER }], postgres: [{ statements: ['SELECT'], tables: [] }] })] }));
    const msg = (type: string, body: string) => {
      const b = Buffer.from(body, 'latin1');
      const h = Buffer.alloc(5);
      h.write(type, 0, 'latin1');
      h.writeUInt32BE(b.length + 4, 1);
      return Buffer.concat([h, b]);
    };
    try {
      const tap = connect(f, { principal: READER });
      tap.client(pgStartup({ user: 'app', database: 'shop' }));
      tap.server(msg('Z', 'I'));
      tap.client(Buffer.concat([pgQuery('SELECT 1'), pgQuery('DELETE FROM orders')]));
      const other = msg('E', 'SERROR\0C42P01\0Mrelation "x" does not exist\0\0');
      const probe = msg('E', 'SERROR\0C42601\0Msyntax error at or near "MESHWARD_DENIED"\0\0');
      // the answers, split in the middle of the probe's error
      const answers = Buffer.concat([other, msg('Z', 'I'), probe, msg('Z', 'I')]);
      tap.server(answers.subarray(0, other.length + 10));
      tap.server(answers.subarray(other.length + 10, other.length + 20));
      tap.server(answers.subarray(other.length + 20));
      const got = tap.downstreamBytes.toString('latin1');
      assert.ok(got.includes('relation "x" does not exist'), 'the real error passed');
      assert.ok(got.includes('C42501\0Mpermission denied: DELETE on orders is not allowed by meshward policy'), got);
      assert.ok(!got.includes('MESHWARD_DENIED'));
      tap.close();
    } finally {
      await f.close();
    }
  });
});
