// The capture reader and frame parser of `meshward replay`: pcap written by meshward capture's
// writer reads back; pcapng with a nanosecond interface; other link types; a file cut short keeps
// its whole records; a file that is not a capture is refused with a stable code.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { frameToSegment, type FrameStats } from '../../cli/replay/frames.js';
import { CaptureFormatError, readCapture } from '../../cli/replay/pcap-reader.js';
import { PcapWriter } from '../../host-agent/src/capture/pcap-writer.js';

/** IPv4 + TCP (no options) carrying `payload`, from 10.0.0.1:40000 to 10.0.0.2:80. */
function ipTcp(payload: string, flags = 0x18): Buffer {
  const data = Buffer.from(payload);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + data.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from([10, 0, 0, 1]).copy(ip, 12);
  Buffer.from([10, 0, 0, 2]).copy(ip, 16);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(80, 2);
  tcp.writeUInt32BE(1000, 4);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  return Buffer.concat([ip, tcp, data]);
}

const ethernet = (l3: Buffer) => Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x00]), l3]);
const stats = (): FrameStats => ({ frames: 0, tcp: 0, other: 0, unsupportedLink: 0 });

function pcapng(linktype: number, tsresol: number, frames: Array<{ ts: bigint; data: Buffer }>): Buffer {
  const block = (type: number, body: Buffer) => {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    body.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8 + 8 + 4);
  idb.writeUInt16LE(linktype, 0);
  idb.writeUInt32LE(65535, 4);
  idb.writeUInt16LE(9, 8);
  idb.writeUInt16LE(1, 10);
  idb[12] = tsresol;
  // then opt_endofopt (zeros)
  const epbs = frames.map((f) => {
    const pad = (4 - (f.data.length % 4)) % 4;
    const b = Buffer.alloc(20 + f.data.length + pad);
    b.writeUInt32LE(0, 0);
    b.writeUInt32LE(Number(f.ts >> 32n), 4);
    b.writeUInt32LE(Number(f.ts & 0xffffffffn), 8);
    b.writeUInt32LE(f.data.length, 12);
    b.writeUInt32LE(f.data.length, 16);
    f.data.copy(b, 20);
    return block(6, b);
  });
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), ...epbs]);
}

describe('replay: capture files', () => {
  it('reads back what the pcap writer wrote, with nanosecond times, and parses the TCP segment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-pcap-'));
    try {
      const w = new PcapWriter(join(dir, 'a.pcap'));
      w.write(ethernet(ipTcp('GET / HTTP/1.1\r\n\r\n')), 72, 1700000000, 123456789);
      w.close();
      const frames = [...readCapture(readFileSync(join(dir, 'a.pcap')))];
      assert.equal(frames.length, 1);
      assert.equal(frames[0].linktype, 1);
      assert.ok(Math.abs(frames[0].time - 1700000000.123456789) < 1e-6);
      const s = stats();
      const seg = frameToSegment(frames[0], s)!;
      assert.deepEqual([seg.src, seg.sport, seg.dst, seg.dport, seg.seq], ['10.0.0.1', 40000, '10.0.0.2', 80, 1000]);
      assert.equal(Buffer.from(seg.payload).toString(), 'GET / HTTP/1.1\r\n\r\n');
      assert.equal(s.tcp, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads pcapng with its interface link type and timestamp resolution (Linux cooked, raw IP)', () => {
    const sll = Buffer.concat([Buffer.alloc(14), Buffer.from([0x08, 0x00]), ipTcp('x')]);
    const file = pcapng(113, 9, [{ ts: 1700000000_500000000n, data: sll }]);
    const [f] = [...readCapture(file)];
    assert.equal(f.linktype, 113);
    assert.ok(Math.abs(f.time - 1700000000.5) < 1e-6);
    assert.equal(Buffer.from(frameToSegment(f, stats())!.payload).toString(), 'x');
    const [raw] = [...readCapture(pcapng(101, 6, [{ ts: 1n, data: ipTcp('y') }]))];
    assert.equal(Buffer.from(frameToSegment(raw, stats())!.payload).toString(), 'y');
  });

  it('keeps the whole records of a file cut short, counts what is not TCP, and refuses a non-capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-pcap-'));
    try {
      const w = new PcapWriter(join(dir, 'b.pcap'));
      w.write(ethernet(ipTcp('one')), 57, 1, 0);
      w.write(Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]), 42, 2, 0);
      w.write(ethernet(ipTcp('three')), 59, 3, 0);
      w.close();
      const bytes = readFileSync(join(dir, 'b.pcap'));
      const frames = [...readCapture(bytes.subarray(0, bytes.length - 10))];
      assert.equal(frames.length, 2);
      const s = stats();
      assert.equal(frameToSegment(frames[1], s), undefined);
      assert.equal(s.other, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => [...readCapture(Buffer.from('GET / HTTP/1.1\r\n'))], (e: unknown) => e instanceof CaptureFormatError && e.code === 'CAPTURE_FORMAT');
  });
});
