// A captured frame → its TCP segment (IPv4 or IPv6), for the link types captures of a Linux host
// come in: Ethernet (with one 802.1Q tag; lo's fake Ethernet too), Linux cooked v1 and v2
// (`tshark -i any`), raw IP, and BSD null/loopback. Anything else is counted, not parsed.
import type { TcpSegment } from '../../host-agent/src/capture/packets.js';
import type { CaptureFrame } from './pcap-reader.js';

export interface FrameStats {
  frames: number;
  tcp: number;
  other: number;
  unsupportedLink: number;
}

const ip4 = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function ip6(b: Uint8Array, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[o + i] << 8) | b[o + i + 1]).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Where the network layer starts and which protocol it is (an EtherType), or undefined. */
function networkLayer(f: CaptureFrame): { at: number; type: number } | undefined {
  const b = f.data;
  switch (f.linktype) {
    case 1: {
      if (b.length < 14) return undefined;
      let type = (b[12] << 8) | b[13];
      let at = 14;
      if (type === 0x8100 && b.length >= 18) {
        type = (b[16] << 8) | b[17];
        at = 18;
      }
      return { at, type };
    }
    case 113:
      return b.length < 16 ? undefined : { at: 16, type: (b[14] << 8) | b[15] };
    case 276:
      return b.length < 20 ? undefined : { at: 20, type: (b[0] << 8) | b[1] };
    case 101:
    case 12:
    case 228:
    case 229:
      return b.length < 1 ? undefined : { at: 0, type: b[0] >> 4 === 6 ? 0x86dd : 0x0800 };
    case 0:
    case 108: {
      if (b.length < 4) return undefined;
      const v = b[4] >> 4;
      return { at: 4, type: v === 6 ? 0x86dd : 0x0800 };
    }
    default:
      return undefined;
  }
}

export function frameToSegment(f: CaptureFrame, stats: FrameStats): TcpSegment | undefined {
  stats.frames++;
  const l3 = networkLayer(f);
  if (!l3) {
    stats.unsupportedLink++;
    return undefined;
  }
  const b = f.data;
  const p = l3.at;
  let src: string;
  let dst: string;
  let l4: number;
  let end: number;
  if (l3.type === 0x0800) {
    if (p + 20 > b.length || b[p + 9] !== 6 || (((b[p + 6] & 0x1f) << 8) | b[p + 7]) !== 0) {
      stats.other++;
      return undefined;
    }
    src = ip4(b, p + 12);
    dst = ip4(b, p + 16);
    l4 = p + (b[p] & 0x0f) * 4;
    end = Math.min(b.length, p + ((b[p + 2] << 8) | b[p + 3]));
  } else if (l3.type === 0x86dd) {
    if (p + 40 > b.length || b[p + 6] !== 6) {
      stats.other++;
      return undefined;
    }
    src = ip6(b, p + 8);
    dst = ip6(b, p + 24);
    l4 = p + 40;
    end = Math.min(b.length, l4 + ((b[p + 4] << 8) | b[p + 5]));
  } else {
    stats.other++;
    return undefined;
  }
  if (l4 + 20 > end) {
    stats.other++;
    return undefined;
  }
  stats.tcp++;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const doff = (b[l4 + 12] >> 4) * 4;
  return {
    src,
    dst,
    sport: (b[l4] << 8) | b[l4 + 1],
    dport: (b[l4 + 2] << 8) | b[l4 + 3],
    seq: dv.getUint32(l4 + 4, false),
    ack: dv.getUint32(l4 + 8, false),
    flags: b[l4 + 13],
    payload: b.subarray(Math.min(l4 + doff, end), end),
    time: f.time,
  };
}
