// Writes classic pcap files (nanosecond timestamps, LINKTYPE_ETHERNET: what the capture ring
// hands up for veth and lo) that tshark, tcpdump and Wireshark open. The capture ring's blocks
// (native/src/packet-ring.cc: [u32 capLen][u32 wireLen][u32 sec][u32 nsec][u32 pkttype] + frame,
// padded to 4) are turned into records without parsing the frames.
import { closeSync, openSync, writeSync } from 'node:fs';

const MAGIC_NANOS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const PACKET_OUTGOING = 4;

export class PcapWriter {
  private readonly fd: number;
  packets = 0;
  bytes = 0;

  constructor(path: string, private readonly snaplen = 262144) {
    this.fd = openSync(path, 'w', 0o600);
    const h = Buffer.alloc(24);
    h.writeUInt32LE(MAGIC_NANOS, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, h);
  }

  /** One frame. */
  write(frame: Uint8Array, wireLength: number, sec: number, nsec: number): void {
    const cap = Math.min(frame.length, this.snaplen);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(nsec, 4);
    h.writeUInt32LE(cap, 8);
    h.writeUInt32LE(wireLength, 12);
    writeSync(this.fd, h);
    writeSync(this.fd, frame, 0, cap);
    this.packets++;
    this.bytes += cap;
  }

  /** Every frame of one capture-ring block. On loopback each packet passes the tap twice (sent
   * and received); `skipOutgoing` keeps only the received copy, as tcpdump shows lo. */
  writeRingBlock(block: Buffer, skipOutgoing: boolean): void {
    let o = 0;
    while (o + 20 <= block.length) {
      const cap = block.readUInt32LE(o);
      const wire = block.readUInt32LE(o + 4);
      const sec = block.readUInt32LE(o + 8);
      const nsec = block.readUInt32LE(o + 12);
      const type = block.readUInt32LE(o + 16);
      const f = o + 20;
      o = f + ((cap + 3) & ~3);
      if (skipOutgoing && type === PACKET_OUTGOING) continue;
      this.write(block.subarray(f, f + cap), wire, sec, nsec);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
