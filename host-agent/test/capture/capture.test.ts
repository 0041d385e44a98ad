import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tcpFilter } from '../../src/capture/bpf.js';
import { Http1Parser } from '../../src/capture/http1-parser.js';
import { forEachSegment, newParseStats, TCP_ACK, TCP_FIN, TCP_SYN } from '../../src/capture/packets.js';
import { TcpReassembler, type FlowConsumer } from '../../src/capture/tcp-reassembly.js';

function record(src: number[], dst: number[], sport: number, dport: number, seq: number, flags: number, data = ''): Buffer {
  const payload = Buffer.from(data);
  const f = Buffer.alloc(54 + payload.length);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(40 + payload.length, 16);
  f[23] = 6;
  Buffer.from(src).copy(f, 26);
  Buffer.from(dst).copy(f, 30);
  f.writeUInt16BE(sport, 34);
  f.writeUInt16BE(dport, 36);
  f.writeUInt32BE(seq >>> 0, 38);
  f[46] = 0x50;
  f[47] = flags;
  payload.copy(f, 54);
  const r = Buffer.alloc(20 + ((f.length + 3) & ~3));
  r.writeUInt32LE(f.length, 0);
  r.writeUInt32LE(f.length, 4);
  f.copy(r, 20);
  return r;
}

describe('capture: packets and reassembly', () => {
  const C = [10, 0, 0, 1];
  const S = [10, 0, 0, 2];

  it('delivers each direction in order, once, through reordering and retransmission', () => {
    const got = { client: '', server: '', end: '' };
    const consumer: FlowConsumer = {
      clientData: (d) => (got.client += Buffer.from(d).toString()),
      serverData: (d) => (got.server += Buffer.from(d).toString()),
      end: (r) => (got.end = r),
    };
    const r = new TcpReassembler({ open: (ep) => (assert.deepEqual(ep.server, { ip: '10.0.0.2', port: 80 }), consumer) });
    const block = Buffer.concat([
      record(C, S, 5000, 80, 100, TCP_SYN),
      record(S, C, 80, 5000, 900, TCP_SYN | TCP_ACK),
      record(C, S, 5000, 80, 107, TCP_ACK, 'world '), // ahead of a gap
      record(C, S, 5000, 80, 101, TCP_ACK, 'hello '),
      record(C, S, 5000, 80, 101, TCP_ACK, 'hello '), // retransmitted
      record(C, S, 5000, 80, 113, TCP_ACK, 'again'),
      record(S, C, 80, 5000, 901, TCP_ACK, 'ok'),
      record(C, S, 5000, 80, 118, TCP_FIN | TCP_ACK),
      record(S, C, 80, 5000, 903, TCP_FIN | TCP_ACK),
    ]);
    const stats = newParseStats();
    forEachSegment(block, stats, (s) => r.segment(s));
    assert.equal(stats.tcp, 9);
    assert.deepEqual(got, { client: 'hello world again', server: 'ok', end: 'fin' });
    assert.equal(r.stats.retransmitted, 1);
    assert.equal(r.stats.outOfOrder, 1);
  });

  it('ends a connection whose gap does not fill within the limit (counted)', () => {
    let end = '';
    const r = new TcpReassembler({ maxHeldBytes: 8, open: () => ({ clientData() {}, serverData() {}, end: (why) => (end = why) }) });
    const stats = newParseStats();
    forEachSegment(Buffer.concat([record(C, S, 5001, 80, 1, TCP_SYN), record(C, S, 5001, 80, 50, TCP_ACK, 'too far ahead')]), stats, (s) => r.segment(s));
    assert.equal(end, 'gap');
    assert.equal(r.stats.gaps, 1);
  });

  it('builds classic BPF that the kernel accepts shape-wise (ends in returns, jumps in range)', () => {
    for (const ports of [[], [8080], [80, 443, 5432]]) {
      const p = tcpFilter(ports);
      assert.deepEqual(p.at(-1), [0x06, 0, 0, 0]);
      p.forEach(([code, jt, jf], i) => {
        if ((code & 0x07) === 0x05) assert.ok(i + 1 + Math.max(jt, jf) < p.length, `jump at ${i} in range`);
      });
    }
  });
});

describe('capture: HTTP/1 framing', () => {
  it('splits pipelined requests with length and chunked bodies, fed byte by byte', () => {
    const seen: string[] = [];
    const p = new Http1Parser('request', {
      head: (start, headers, bodyless) => seen.push(`${start[0]} ${start[1]} ${headers.length} ${bodyless}`),
      body: (d) => seen.push(`body:${Buffer.from(d).toString()}`),
      end: () => seen.push('end'),
      error: (why) => seen.push(`error:${why}`),
    });
    const wire = 'GET /a HTTP/1.1\r\nhost: x\r\n\r\nPOST /b HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcPUT /c HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n';
    for (const ch of Buffer.from(wire)) p.push(Uint8Array.of(ch));
    assert.deepEqual(seen.filter((s) => !s.startsWith('body:')), ['GET /a 1 true', 'end', 'POST /b 1 false', 'end', 'PUT /c 1 false', 'end']);
    assert.equal(seen.filter((s) => s.startsWith('body:')).map((s) => s.slice(5)).join(''), 'abchi');
  });

  it('stops on what is not HTTP/1.x and on a head past the limit', () => {
    const errors: string[] = [];
    const h = { head() {}, body() {}, end() {}, error: (e: string) => errors.push(e) };
    new Http1Parser('request', h).push(Buffer.from('\u0016\u0003\u0001 binary\r\n\r\n'));
    new Http1Parser('request', h, 16).push(Buffer.from('GET /' + 'a'.repeat(64)));
    assert.deepEqual(errors, ['not an HTTP/1.x request line', 'message head too large']);
  });
});
