// Redis through `meshward proxy --tcp` against the real server: the reader's GET works and its
// DEL gets `-ERR` while its connection keeps working, the admin's DEL works, `keys:` limits the
// keys, pipelines and MULTI/EXEC, split packets judged the same, the caller's identity from a
// TLS client certificate, dangerous commands, monitor mode.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import net from 'node:net';
import { AbstractConnector, Redis } from 'ioredis';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { ADMIN_IP, READER, READER_IP, RawConnection, startTcpHarness, type TcpHarness } from '../support/tcp-harness.js';

const run = randomBytes(4).toString('hex');
const K = (name: string) => `mw:${run}:${name}`;

function policy(mode: string, threats = 'block'): string {
  return `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: cache, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  mode: ${mode}
  tcp: {threats: ${threats}}
  ingress:
    - name: orders-cache
      from: [{principal: "${READER}"}]
      redis: [{commands: ["@read", SET, PING, MULTI, EXEC, HELLO, CLIENT, INFO, SELECT], keys: ["mw:${run}:session:*"]}]
    - name: admin-all
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      redis: [{commands: ["*"]}]
`;
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

function client(port: number, from: string): Redis {
  return new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, Connector: connectorFrom(from) } as never);
}

async function redisError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the command was not denied');
}

/** RESP replies: count complete top-level replies (simple enough for these tests). */
function replies(n: number) {
  return (b: Buffer): number | undefined => {
    let i = 0;
    let seen = 0;
    const line = () => {
      const e = b.indexOf('\r\n', i);
      if (e < 0) return undefined;
      const s = b.toString('latin1', i, e);
      i = e + 2;
      return s;
    };
    const one = (): boolean => {
      const l = line();
      if (l === undefined) return false;
      if (l[0] === '$') {
        const len = Number(l.slice(1));
        if (len < 0) return true;
        if (i + len + 2 > b.length) return false;
        i += len + 2;
        return true;
      }
      if (l[0] === '*') {
        const count = Number(l.slice(1));
        for (let k = 0; k < count; k++) if (!one()) return false;
        return true;
      }
      return true;
    };
    while (seen < n) {
      if (!one()) return undefined;
      seen++;
    }
    return i;
  };
}

describe('Redis through meshward proxy --tcp', { timeout: 60_000 }, () => {
  let h: TcpHarness;
  let direct: Redis;

  before(async () => {
    direct = new Redis({ host: '127.0.0.1', port: 6379 });
    await direct.set(K('session:1'), 'alice');
    await direct.set(K('config'), 'secret');
    h = await startTcpHarness({ upstream: 'tcp://127.0.0.1:6379', policy: policy('protect') });
  });

  after(async () => {
    await h?.close();
    const keys = await direct.keys(`mw:${run}:*`);
    if (keys.length > 0) await direct.del(...keys);
    direct.disconnect();
  });

  it("the reader's GET succeeds, its DEL gets -ERR and its connection keeps working", async () => {
    const r = client(h.port, READER_IP);
    await r.connect();
    try {
      assert.equal(await r.get(K('session:1')), 'alice');
      const message = await redisError(r.del(K('session:1')));
      assert.match(message, /^ERR meshward: command 'del' is not allowed by policy \(event evt-/);
      assert.equal(await r.get(K('session:1')), 'alice', 'not deleted, connection still usable');
      const ev = await h.events.waitFor((e) => e.kind === 'tcp.policy' && e.protocol === 'redis');
      assert.equal((ev.statement as { command: string }).command, 'del');
      assert.deepEqual((ev.statement as { keys: string[] }).keys, [K('session:1')]);
    } finally {
      r.disconnect();
    }
  });

  it("the admin's DEL succeeds", async () => {
    const a = client(h.port, ADMIN_IP);
    await a.connect();
    try {
      await direct.set(K('tmp'), '1');
      assert.equal(await a.del(K('tmp')), 1);
    } finally {
      a.disconnect();
    }
  });

  it('keys: a GET of a key outside the patterns is denied', async () => {
    const r = client(h.port, READER_IP);
    await r.connect();
    try {
      assert.match(await redisError(r.get(K('config'))), /^ERR meshward/);
      assert.equal(await r.set(K('session:2'), 'bob'), 'OK');
    } finally {
      r.disconnect();
    }
  });

  it('a pipeline with a denied command in the middle: each reply in its place', async () => {
    const r = client(h.port, READER_IP);
    await r.connect();
    try {
      const results = await r.pipeline().get(K('session:1')).del(K('session:1')).set(K('session:3'), 'c').get(K('session:3')).exec();
      assert.deepEqual(results!.map(([err, v]) => (err ? 'ERR' : v)), ['alice', 'ERR', 'OK', 'c']);
    } finally {
      r.disconnect();
    }
  });

  it('MULTI/EXEC with a denied command aborts the transaction, as a refused command would', async () => {
    const r = client(h.port, READER_IP);
    await r.connect();
    try {
      const err = await redisError(r.multi().set(K('session:4'), 'd').del(K('session:1')).exec());
      assert.match(err, /EXECABORT/);
      assert.equal(await r.get(K('session:4')), null, 'nothing of the transaction ran');
      const ok = await r.multi().set(K('session:4'), 'd').get(K('session:4')).exec();
      assert.deepEqual(ok!.map(([, v]) => v), ['OK', 'd']);
    } finally {
      r.disconnect();
    }
  });

  it('split-across-packets and inline commands are judged the same', async () => {
    const c = new RawConnection(h.port, READER_IP);
    await c.ready();
    try {
      const cmds = Buffer.from(
        `*2\r\n$3\r\nGET\r\n$${K('session:1').length}\r\n${K('session:1')}\r\n` +
        `*2\r\n$3\r\nDEL\r\n$${K('session:1').length}\r\n${K('session:1')}\r\n` +
        `PING\r\n` +
        `DEL ${K('session:1')}\r\n` +
        `GET ${K('session:1')}\r\n`);
      await c.writeSplit(cmds, 1);
      const out = (await c.read(replies(5))).toString('latin1');
      const lines = out.split('\r\n');
      assert.equal(lines[0], '$5');
      assert.equal(lines[1], 'alice');
      assert.match(lines[2], /^-ERR meshward: command 'del'/);
      assert.equal(lines[3], '+PONG');
      assert.match(lines[4], /^-ERR meshward: command 'del'/);
      assert.equal(lines[6], 'alice');
    } finally {
      c.close();
    }
  });

  it('dangerous commands are attacks: CONFIG SET dir is blocked even for the admin (threats: block)', async () => {
    const a = client(h.port, ADMIN_IP);
    await a.connect();
    try {
      assert.match(await redisError(a.config('SET', 'dir', '/tmp')), /dangerous command \(config-set-dir\)/);
      assert.match(await redisError(a.call('SLAVEOF', '10.9.9.9', '6379') as Promise<unknown>), /dangerous command \(replication\)/);
      assert.equal(await a.ping(), 'PONG');
      const ev = await h.events.waitFor((e) => e.kind === 'tcp.attack' && (e.evidence as { shape: string }).shape === 'replication');
      assert.equal(ev.action, 'block');
      assert.equal((ev.attack as { class: string }).class, 'redis-dangerous-command');
    } finally {
      a.disconnect();
    }
  });

  it("the caller's identity from a TLS client certificate", async () => {
    const pki: TestPki = makeTestPki();
    const t = await startTcpHarness({
      upstream: 'tcp://127.0.0.1:6379',
      policy: policy('protect'),
      tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert },
    });
    try {
      const cert = pki.client('orders', READER);
      const r = new Redis({
        host: '127.0.0.1', port: t.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null,
        tls: { ca: readFileSync(pki.caCert), cert: readFileSync(cert.cert), key: readFileSync(cert.key), servername: 'localhost' },
      });
      await r.connect();
      try {
        assert.equal(await r.get(K('session:1')), 'alice');
        assert.match(await redisError(r.del(K('session:1'))), /^ERR meshward/);
        const ev = await t.events.waitFor((e) => e.kind === 'tcp.policy');
        assert.equal((ev.source as { principal: string }).principal, READER);
      } finally {
        r.disconnect();
      }
    } finally {
      await t.close();
      pki.cleanup();
    }
  });

  it('monitor mode lets everything through and records events', async () => {
    const m = await startTcpHarness({ upstream: 'tcp://127.0.0.1:6379', policy: policy('monitor') });
    const r = client(m.port, READER_IP);
    await r.connect();
    try {
      await direct.set(K('gone'), '1');
      assert.equal(await r.del(K('gone')), 1);
      const ev = await m.events.waitFor((e) => e.kind === 'tcp.policy');
      assert.equal(ev.action, 'alert');
    } finally {
      r.disconnect();
      await m.close();
    }
  });
});
