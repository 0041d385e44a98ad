// The capture ring's blocks (native/src/packet-ring.cc) parsed in place: each record is
// [u32 capLen][u32 wireLen][u32 sec][u32 nsec][u32 pkttype] + frame padded to 4; frames are
// Ethernet (optionally one 802.1Q tag), IPv4 or IPv6, TCP. Payloads are views into the block,
// never copies; the visitor must copy what it keeps beyond the call.

export interface TcpSegment {
  /** Addresses as text, ports as numbers. */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Uint8Array;
  /** Seconds since the epoch with fraction. */
  time: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface ParseStats {
  frames: number;
  tcp: number;
  truncated: number;
  other: number;
}

export function newParseStats(): ParseStats {
  return { frames: 0, tcp: 0, truncated: 0, other: 0 };
}

/** Address texts by value: a capture sees few addresses, each in many segments, and the same
 * string instance makes the reassembler's flow lookups cheap. Bounded; cleared when full. */
const IP4_TEXT = new Map<number, string>();
const IP4_TEXT_LIMIT = 4096;

function ip4(b: Uint8Array, o: number): string {
  const value = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  let text = IP4_TEXT.get(value);
  if (text === undefined) {
    text = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    if (IP4_TEXT.size >= IP4_TEXT_LIMIT) IP4_TEXT.clear();
    IP4_TEXT.set(value, text);
  }
  return text;
}

function ip6(b: Uint8Array, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[o + i] << 8) | b[o + i + 1]).toString(16));
  // Compress the longest zero run, as RFC 5952 writes it.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Calls `visit` for every TCP segment of one block. */
export function forEachSegment(block: Buffer, stats: ParseStats, visit: (s: TcpSegment) => void): void {
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let o = 0;
  while (o + 20 <= block.length) {
    const cap = dv.getUint32(o, true);
    const wire = dv.getUint32(o + 4, true);
    const time = dv.getUint32(o + 8, true) + dv.getUint32(o + 12, true) / 1e9;
    const f = o + 20;
    o = f + ((cap + 3) & ~3);
    stats.frames++;
    if (cap < wire) stats.truncated++;
    const end = f + cap;
    let p = f + 12;
    if (p + 2 > end) continue;
    let type = (block[p] << 8) | block[p + 1];
    p += 2;
    if (type === 0x8100 && p + 4 <= end) {
      type = (block[p + 2] << 8) | block[p + 3];
      p += 4;
    }
    let src: string;
    let dst: string;
    let l4: number;
    let l4end: number;
    if (type === 0x0800) {
      if (p + 20 > end || block[p + 9] !== 6) {
        stats.other++;
        continue;
      }
      const ihl = (block[p] & 0x0f) * 4;
      const total = (block[p + 2] << 8) | block[p + 3];
      // Fragments other than the first carry no TCP header.
      if (((block[p + 6] & 0x1f) << 8 | block[p + 7]) !== 0) {
        stats.other++;
        continue;
      }
      src = ip4(block, p + 12);
      dst = ip4(block, p + 16);
      l4 = p + ihl;
      l4end = Math.min(end, p + total);
    } else if (type === 0x86dd) {
      if (p + 40 > end || block[p + 6] !== 6) {
        stats.other++;
        continue;
      }
      const plen = (block[p + 4] << 8) | block[p + 5];
      src = ip6(block, p + 8);
      dst = ip6(block, p + 24);
      l4 = p + 40;
      l4end = Math.min(end, l4 + plen);
    } else {
      stats.other++;
      continue;
    }
    if (l4 + 20 > l4end) continue;
    const doff = (block[l4 + 12] >> 4) * 4;
    stats.tcp++;
    visit({
      src,
      dst,
      sport: (block[l4] << 8) | block[l4 + 1],
      dport: (block[l4 + 2] << 8) | block[l4 + 3],
      seq: dv.getUint32(l4 + 4, false),
      ack: dv.getUint32(l4 + 8, false),
      flags: block[l4 + 13],
      payload: block.subarray(Math.min(l4 + doff, l4end), l4end),
      time,
    });
  }
}
