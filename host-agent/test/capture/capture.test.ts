import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tcpFilter } from '../../src/capture/bpf.js';
import { Http1Parser } from '../../src/capture/http1-parser.js';
import { forEachSegment, newParseStats, TCP_ACK, TCP_FIN, TCP_SYN } from '../../src/capture/packets.js';
import type { Plugin } from '../../src/capture/filter-host.js';
import { newInspectorStats, PassiveConnection } from '../../src/capture/passive-inspector.js';
import { TcpReassembler, type FlowConsumer } from '../../src/capture/tcp-reassembly.js';
import type { HttpFilterStream } from '../../src/wasm-host/api.js';

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

describe('capture: two connections interleaved', () => {
  it('keeps each connection and direction apart when segments alternate between them', () => {
    const A = [10, 0, 0, 1];
    const B = [10, 0, 0, 2];
    const got = new Map<number, string>();
    const r = new TcpReassembler({
      open: (ep) => ({
        clientData: (d) => got.set(ep.client.port, (got.get(ep.client.port) ?? '') + `>${Buffer.from(d)}`),
        serverData: (d) => got.set(ep.client.port, (got.get(ep.client.port) ?? '') + `<${Buffer.from(d)}`),
        end: () => undefined,
      }),
    });
    const block = Buffer.concat([
      record(A, B, 6000, 80, 10, TCP_SYN),
      record(A, B, 6001, 80, 20, TCP_SYN),
      record(A, B, 6000, 80, 11, TCP_ACK, 'a1'),
      record(A, B, 6001, 80, 21, TCP_ACK, 'b1'),
      record(B, A, 80, 6001, 500, TCP_ACK, 'B1'),
      record(B, A, 80, 6000, 700, TCP_ACK, 'A1'),
      record(A, B, 6000, 80, 13, TCP_ACK, 'a2'),
      record(B, A, 80, 6000, 702, TCP_ACK, 'A2'),
    ]);
    forEachSegment(block, newParseStats(), (s) => r.segment(s));
    assert.deepEqual(Object.fromEntries(got), { 6000: '>a1<A1>a2<A2', 6001: '>b1<B1' });
  });
});

describe('capture: bodies handed to the filter', () => {
  /** What the filter's HTTP streams were given, call by call. */
  function recordingPlugin(calls: string[]): Plugin {
    const stream = (n: number): HttpFilterStream => ({
      decodeHeaders: (h, end) => calls.push(`${n} req headers ${h.find(([k]) => k === ':path')?.[1]} end=${end}`),
      decodeData: (d, end) => calls.push(`${n} req data ${d.length} ${Buffer.from(d).subarray(0, 1)}…${Buffer.from(d).subarray(-1)} end=${end}`),
      decodeTrailers: () => undefined,
      encodeHeaders: (h, end) => calls.push(`${n} res headers ${h[0][1]} end=${end}`),
      encodeData: (d, end) => calls.push(`${n} res data ${d.length} end=${end}`),
      encodeTrailers: () => undefined,
      onReset: (reason) => calls.push(`${n} reset ${reason}`),
      complete: () => calls.push(`${n} complete`),
    });
    let n = 0;
    return { createHttpStream: () => stream(++n) } as unknown as Plugin;
  }

  it('gathers a body into one call, or pieces of 64 KiB past that, with known and unknown lengths', () => {
    const calls: string[] = [];
    const c = new PassiveConnection(recordingPlugin(calls), { client: { ip: '10.0.0.1', port: 5000 }, server: { ip: '10.0.0.2', port: 80 } }, newInspectorStats());
    const body = Buffer.alloc(150_000, 'x');
    body[0] = 0x61; // a…z: the pieces keep their order
    body[body.length - 1] = 0x7a;
    const wire = Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nhost: files\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
    for (let o = 0; o < wire.length; o += 1448) c.clientData(wire.subarray(o, o + 1448));
    // A chunked answer: no length announced, the gather grows.
    const chunks = Array.from({ length: 7 }, (_, i) => `${(1500).toString(16)}\r\n${String.fromCharCode(65 + i).repeat(1500)}\r\n`).join('');
    const res = Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    for (let o = 0; o < res.length; o += 1000) c.serverData(res.subarray(o, o + 1000));
    assert.deepEqual(calls, [
      '1 req headers /upload end=false',
      '1 req data 65536 a…x end=false',
      '1 req data 65536 x…x end=false',
      '1 req data 18928 x…z end=true',
      '1 res headers 200 end=false',
      '1 res data 10500 end=true',
      '1 complete',
    ]);
  });
});
