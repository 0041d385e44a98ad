// CIDR syntax for `ipBlock`. node:net decides what an address is; this file adds the prefix
// length and refuses host bits, since `10.1.2.3/8` is usually a typo for a narrower block and
// silently reading it as `10.0.0.0/8` would widen the policy.
import { isIP } from 'node:net';

/** Returns the problem, or undefined when `value` is `<address>/<prefix>` with no host bits. */
export function checkCidr(value: string): string | undefined {
  const q = JSON.stringify(value);
  const slash = value.indexOf('/');
  const address = slash >= 0 ? value.slice(0, slash) : value;
  const family = address.includes('%') ? 0 : isIP(address); // a zone (`fe80::1%eth0`) names no block
  if (family === 0) return `${q} is not an IPv4 or IPv6 CIDR (such as "10.0.0.0/8" or "fd00::/8")`;
  const bits = family === 4 ? 32 : 128;
  if (slash < 0) return `${q} is not a CIDR: add a prefix length, e.g. "${address}/${bits}"`;
  const prefixText = value.slice(slash + 1);
  const prefix = /^(0|[1-9][0-9]{0,2})$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) {
    return `${q}: prefix length must be an integer from 0 to ${bits} for IPv${family}`;
  }
  const bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const network = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
  if (network.some((b, i) => b !== bytes[i])) {
    const text = family === 4 ? network.join('.') : formatIpv6(network);
    return `${q} has host bits set beyond /${prefix} (did you mean "${text}/${prefix}"?)`;
  }
  return undefined;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** 16 bytes of an address node:net already accepted as IPv6 (with `::` and a dotted tail). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail.push(...ipv4Bytes(text.slice(lastColon + 1)));
    text = text.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(rest);
  const words = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** RFC 5952 text of 16 bytes: lower case, the longest run of two or more zero groups as `::`. */
function formatIpv6(bytes: number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
