// Reads capture files: classic pcap (either byte order, micro- or nanosecond timestamps, what
// `meshward capture` and `tcpdump -w` write) and pcapng (tshark's and Wireshark's default:
// section header, interface description and enhanced/simple packet blocks, per-interface link
// type and timestamp resolution). Frames are views into the file's buffer, not copies.

export interface CaptureFrame {
  /** Seconds since the epoch, with fraction. */
  time: number;
  /** The link-layer header type (LINKTYPE_*): 1 Ethernet, 113 Linux cooked, 276 cooked v2, 101 raw IP... */
  linktype: number;
  data: Uint8Array;
  /** Bytes on the wire; more than data.length when the capture cut the frame. */
  wireLength: number;
}

export class CaptureFormatError extends Error {
  readonly code = 'CAPTURE_FORMAT';
}

export function* readCapture(buf: Uint8Array): Generator<CaptureFrame> {
  if (buf.length < 4) throw new CaptureFormatError('the file is too short to be a capture');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic === 0x0a0d0d0a) yield* readPcapng(buf, dv);
  else if ([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1].includes(magic)) yield* readPcap(buf, dv, magic);
  else throw new CaptureFormatError(`not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`);
}

function* readPcap(buf: Uint8Array, dv: DataView, magic: number): Generator<CaptureFrame> {
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  if (buf.length < 24) throw new CaptureFormatError('pcap: truncated file header');
  const linktype = dv.getUint32(20, le) & 0x0fffffff;
  let o = 24;
  while (o + 16 <= buf.length) {
    const sec = dv.getUint32(o, le);
    const frac = dv.getUint32(o + 4, le);
    const cap = dv.getUint32(o + 8, le);
    const wire = dv.getUint32(o + 12, le);
    o += 16;
    if (o + cap > buf.length) return; // a capture cut short while being written: keep what is whole
    yield { time: sec + frac / (nanos ? 1e9 : 1e6), linktype, data: buf.subarray(o, o + cap), wireLength: wire };
    o += cap;
  }
}

function* readPcapng(buf: Uint8Array, dv: DataView): Generator<CaptureFrame> {
  let le = true;
  let interfaces: Array<{ linktype: number; tsDivisor: number }> = [];
  let o = 0;
  while (o + 12 <= buf.length) {
    const typeBE = dv.getUint32(o, false);
    if (typeBE === 0x0a0d0d0a) {
      // Section header: its byte-order magic decides how the section reads.
      le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
      interfaces = [];
    }
    const type = dv.getUint32(o, le);
    const len = dv.getUint32(o + 4, le);
    if (len < 12 || o + len > buf.length) return;
    const body = o + 8;
    if (type === 1) {
      // Interface description: link type, snap length, options (if_tsresol = 9).
      let tsDivisor = 1e6;
      let p = body + 8;
      while (p + 4 <= o + len - 4) {
        const code = dv.getUint16(p, le);
        const olen = dv.getUint16(p + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const v = buf[p + 4];
          tsDivisor = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        }
        p += 4 + ((olen + 3) & ~3);
      }
      interfaces.push({ linktype: dv.getUint16(body, le), tsDivisor });
    } else if (type === 6) {
      const ifc = interfaces[dv.getUint32(body, le)];
      const ts = dv.getUint32(body + 4, le) * 2 ** 32 + dv.getUint32(body + 8, le);
      const cap = dv.getUint32(body + 12, le);
      const wire = dv.getUint32(body + 16, le);
      if (ifc && body + 20 + cap <= o + len) yield { time: ts / ifc.tsDivisor, linktype: ifc.linktype, data: buf.subarray(body + 20, body + 20 + cap), wireLength: wire };
    } else if (type === 3) {
      const ifc = interfaces[0];
      const wire = dv.getUint32(body, le);
      const cap = Math.min(wire, len - 16);
      if (ifc) yield { time: 0, linktype: ifc.linktype, data: buf.subarray(body + 4, body + 4 + cap), wireLength: wire };
    }
    o += len;
  }
}
