// The addresses and ports of a queued TCP SYN, IPv4 or IPv6 (through IPv6 extension headers),
// from the first bytes NFQUEUE copies. Addresses in the text form the channel targets use
// (canonicalAddress), so they compare as strings.
import { canonicalAddress } from './channel-targets.js';

export interface SynFacts {
  family: 4 | 6;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

const TCP = 6;
/** Extension headers with the (length + 1) * 8 layout: hop-by-hop, routing, destination
 * options; the fragment header is 8 bytes and only its first fragment carries ports. */
const EXTENSIONS = new Set([0, 43, 60]);
const FRAGMENT = 44;
const MAX_EXTENSIONS = 8;

export function parseSyn(b: Buffer): SynFacts | undefined {
  if (b.length < 1) return undefined;
  const version = b[0] >> 4;
  if (version === 4) {
    if (b.length < 20 || b[9] !== TCP) return undefined;
    const ihl = (b[0] & 0x0f) * 4;
    if (b.length < ihl + 4) return undefined;
    return {
      family: 4,
      src: `${b[12]}.${b[13]}.${b[14]}.${b[15]}`,
      dst: `${b[16]}.${b[17]}.${b[18]}.${b[19]}`,
      sport: b.readUInt16BE(ihl),
      dport: b.readUInt16BE(ihl + 2),
    };
  }
  if (version !== 6 || b.length < 40) return undefined;
  let next = b[6];
  let off = 40;
  for (let i = 0; i < MAX_EXTENSIONS && next !== TCP; i++) {
    if (b.length < off + 8) return undefined;
    if (EXTENSIONS.has(next)) {
      const len = (b[off + 1] + 1) * 8;
      next = b[off];
      off += len;
    } else if (next === FRAGMENT) {
      if ((b.readUInt16BE(off + 2) & 0xfff8) !== 0) return undefined; // not the first fragment
      next = b[off];
      off += 8;
    } else {
      return undefined;
    }
  }
  if (next !== TCP || b.length < off + 4) return undefined;
  return { family: 6, src: ipv6(b, 8), dst: ipv6(b, 24), sport: b.readUInt16BE(off), dport: b.readUInt16BE(off + 2) };
}

function ipv6(b: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(at + i).toString(16));
  return canonicalAddress(groups.join(':'));
}
