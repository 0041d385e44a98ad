// The event document: every field of the contract, JSON escaping of what the client sent,
// truncation at limits.maxEventFieldBytes, unique ids and ISO times.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FRONTEND, call, config, get, grpc, latin1, request, startFilter, type Json } from './helpers.js';

describe('event', () => {
  it('has the shape of the contract, filled from the request and the connection', async () => {
    const f = await startFilter(config({ mode: 'protect', version: 'sha256:feed' }), {
      nodeMetadata: { NAME: { type: 'string', value: 'orders-7d9f-x2' } },
    });
    try {
      const before = Date.now();
      request(f, call('DELETE', '/api/orders/1?token=secret', 'orders.shop'), { ...FRONTEND, namespace: 'ignored-because-spiffe' });
      const [e] = f.loggedEvents();
      assert.deepEqual(Object.keys(e), ['id', 'time', 'kind', 'severity', 'action', 'mode', 'workload', 'source',
        'destination', 'protocol', 'http', 'rule', 'attack', 'policy', 'evidence']);
      assert.match(e.time as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const t = Date.parse(e.time as string);
      assert.ok(t >= before - 1000 && t <= Date.now() + 1000, `time ${e.time as string} is now`);
      assert.deepEqual(e.workload, { namespace: 'shop', name: 'orders', pod: 'orders-7d9f-x2', container: '' });
      assert.deepEqual(e.source, {
        ip: '10.0.0.2', port: 43122, principal: 'spiffe://cluster.local/ns/shop/sa/frontend', namespace: 'shop', workload: 'frontend',
      });
      assert.deepEqual(e.destination, {
        ip: '10.0.0.3', port: 8080, principal: 'spiffe://cluster.local/ns/shop/sa/orders', workload: 'orders',
      });
      assert.equal(e.protocol, 'http');
      assert.deepEqual(e.http, { method: 'DELETE', path: '/api/orders/1', host: 'orders.shop', version: 'HTTP/1.1' });
      assert.equal('grpc' in e, false);
      assert.equal(e.rule, null);
      assert.equal(e.attack, null);
      assert.deepEqual(e.policy, { version: 'sha256:feed' });
    } finally {
      await f.close();
    }
  });

  it('reports an IPv6 peer, HTTP/2, no principal, and an empty pod when the node has no name', async () => {
    const f = await startFilter(config({ mode: 'monitor' }), { nodeMetadata: {} });
    try {
      request(f, get('/x'), { sourceAddress: 'fd00::7', sourcePort: 5000, protocol: 'HTTP/2', namespace: 'jobs' });
      const [e] = f.loggedEvents();
      assert.deepEqual(e.source, { ip: 'fd00::7', port: 5000, principal: '', namespace: 'jobs', workload: '' });
      assert.equal((e.workload as Json).pod, '');
      assert.equal((e.http as Json).version, 'HTTP/2');
    } finally {
      await f.close();
    }
  });

  it('reports gRPC service and method', async () => {
    const f = await startFilter(config({ mode: 'discover' }));
    try {
      request(f, grpc('/grpc.health.v1.Health/Check'));
      const [e] = f.loggedEvents();
      assert.equal(e.protocol, 'grpc');
      assert.deepEqual(e.grpc, { service: 'grpc.health.v1.Health', method: 'Check' });
    } finally {
      await f.close();
    }
  });

  it('escapes quotes, backslashes and control characters, and replaces invalid UTF-8', async () => {
    const f = await startFilter(config({ mode: 'monitor' }));
    try {
      // Header values are byte strings (latin1): UTF-8 goes in as its bytes, 0xff is not UTF-8.
      request(f, get(latin1('/a"b\\c\td\u0001e/\u00e9\u{1F600}') + '\xff'), {
        properties: { 'downstream_peer.workload': { type: 'bytes', value: new Uint8Array([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x62]) } },
      });
      const line = f.logs.find((l) => l.message.includes('meshward.event '))!.message;
      assert.ok(line.includes('"path":"/a\\"b\\\\c\\td\\u0001e/\u00e9\u{1F600}\ufffd"'), line);
      const [e] = f.loggedEvents();
      assert.equal((e.http as Json).path, '/a"b\\c\td\u0001e/\u00e9\u{1F600}\ufffd');
      // 0xff, a truncated 2-byte sequence and an encoded surrogate each become U+FFFD.
      assert.equal((e.source as Json).workload, 'a\ufffd\ufffd(\ufffd\ufffd\ufffdb');
    } finally {
      await f.close();
    }
  });

  it('cuts long fields at maxEventFieldBytes, on a character boundary, and counts each cut', async () => {
    const c = config({ mode: 'monitor' });
    c.limits.maxEventFieldBytes = 16;
    const f = await startFilter(c);
    try {
      request(f, get('/' + 'x'.repeat(5000), latin1('h'.repeat(14) + '\u00e9\u00e9.shop')), {});
      const [e] = f.loggedEvents();
      assert.equal((e.http as Json).path, '/' + 'x'.repeat(15));
      assert.equal((e.http as Json).host, 'h'.repeat(14) + '\u00e9', 'the second é would cross the limit');
      assert.equal(f.metric('meshward.fields_truncated'), 2);
      request(f, get('/short'), {});
      assert.equal(f.metric('meshward.fields_truncated'), 2);
    } finally {
      await f.close();
    }
  });

  it('gives every event a unique id, also across VMs', async () => {
    const a = await startFilter(config({ mode: 'monitor' }));
    const b = await startFilter(config({ mode: 'monitor' }));
    try {
      for (let i = 0; i < 50; i++) {
        request(a, get('/a'));
        request(b, get('/b'));
      }
      const ids = [...a.loggedEvents(), ...b.loggedEvents()].map((e) => e.id as string);
      assert.equal(ids.length, 100);
      assert.equal(new Set(ids).size, 100);
      const randomA = ids[0].split('-')[2];
      const randomB = ids[50].split('-')[2];
      assert.notEqual(randomA, randomB, 'each VM draws its own random part');
      assert.deepEqual(ids.slice(0, 3).map((id) => id.split('-')[3]), ['0', '1', '2']);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
