// IP addresses and CIDR blocks, IPv4 and IPv6, parsed from bytes without allocation (the
// request's address is parsed into a reused IpAddress). IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) are treated as the IPv4 address they carry, on both sides.

export class IpAddress {
  v6: bool = false;
  bytes: StaticArray<u8> = new StaticArray<u8>(16);
}

export class Cidr {
  constructor(
    readonly v6: bool,
    readonly bytes: StaticArray<u8>,
    readonly prefix: i32,
  ) {}

  matches(ip: IpAddress): bool {
    if (ip.v6 != this.v6) return false;
    let bits = this.prefix;
    const a = this.bytes;
    const b = ip.bytes;
    let i = 0;
    while (bits >= 8) {
      if (unchecked(a[i]) != unchecked(b[i])) return false;
      i++;
      bits -= 8;
    }
    if (bits > 0) {
      const mask = <u8>(<u32>0xff << <u32>(8 - bits));
      if ((unchecked(a[i]) & mask) != (unchecked(b[i]) & mask)) return false;
    }
    return true;
  }
}

/** Parse an IPv4 or IPv6 address (no brackets, no port; an IPv6 zone `%eth0` is ignored). */
export function parseIp(p: usize, len: usize, out: IpAddress): bool {
  // Strip an IPv6 zone id.
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(p + i) == 0x25) {
      len = i;
      break;
    }
  }
  if (len == 0) return false;
  let colon = false;
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(p + i) == 0x3a) {
      colon = true;
      break;
    }
  }
  if (!colon) {
    out.v6 = false;
    return parseIpv4(p, len, out.bytes, 0);
  }
  if (!parseIpv6(p, len, out.bytes)) return false;
  out.v6 = true;
  unmap(out);
  return true;
}

/** ::ffff:a.b.c.d becomes a.b.c.d. */
function unmap(ip: IpAddress): void {
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (unchecked(b[i]) != 0) return;
  if (unchecked(b[10]) != 0xff || unchecked(b[11]) != 0xff) return;
  for (let i = 0; i < 4; i++) unchecked(b[i] = b[12 + i]);
  for (let i = 4; i < 16; i++) unchecked(b[i] = 0);
  ip.v6 = false;
}

/** Dotted quad into out[at..at+4]. Leading zeros are refused (they mean octal to some parsers). */
function parseIpv4(p: usize, len: usize, out: StaticArray<u8>, at: i32): bool {
  let part = 0;
  let value: u32 = 0;
  let digits = 0;
  for (let i: usize = 0; i <= len; i++) {
    const c: u32 = i < len ? <u32>load<u8>(p + i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value == 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      digits++;
      if (digits > 3 || value > 255) return false;
    } else if (c == 0x2e) {
      if (digits == 0 || part > 3) return false;
      unchecked(out[at + part] = <u8>value);
      part++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part == 4;
}

const words = new StaticArray<u16>(8);
const tail = new StaticArray<u8>(4);

function parseIpv6(p: usize, len: usize, out: StaticArray<u8>): bool {
  let w = 0;
  let gap = -1; // index in words where "::" stands
  let i: usize = 0;
  if (len >= 2 && load<u8>(p) == 0x3a) {
    if (load<u8>(p + 1) != 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    if (w >= 8) return false;
    // An IPv4 tail: the rest holds a '.' before any ':'.
    let dotted = false;
    for (let j = i; j < len; j++) {
      const c = load<u8>(p + j);
      if (c == 0x3a) break;
      if (c == 0x2e) {
        dotted = true;
        break;
      }
    }
    if (dotted) {
      if (w > 6) return false;
      if (!parseIpv4(p + i, len - i, tail, 0)) return false;
      unchecked(words[w] = (<u16>unchecked(tail[0]) << 8) | <u16>unchecked(tail[1]));
      unchecked(words[w + 1] = (<u16>unchecked(tail[2]) << 8) | <u16>unchecked(tail[3]));
      w += 2;
      i = len;
      break;
    }
    let value: u32 = 0;
    let digits = 0;
    while (i < len) {
      const h = hexDigitValue(load<u8>(p + i));
      if (h < 0) break;
      value = (value << 4) | <u32>h;
      digits++;
      if (digits > 4) return false;
      i++;
    }
    if (digits == 0) return false;
    unchecked(words[w] = <u16>value);
    w++;
    if (i == len) break;
    if (load<u8>(p + i) != 0x3a) return false;
    i++;
    if (i < len && load<u8>(p + i) == 0x3a) {
      if (gap >= 0) return false;
      gap = w;
      i++;
    } else if (i == len) {
      return false; // a trailing single ':'
    }
  }
  if (gap >= 0) {
    if (w > 7) return false;
    const move = w - gap;
    for (let k = 0; k < move; k++) unchecked(words[7 - k] = words[w - 1 - k]);
    for (let k = gap; k < 8 - move; k++) unchecked(words[k] = 0);
  } else if (w != 8) {
    return false;
  }
  for (let k = 0; k < 8; k++) {
    const v = unchecked(words[k]);
    unchecked(out[k * 2] = <u8>(v >> 8));
    unchecked(out[k * 2 + 1] = <u8>(v & 0xff));
  }
  return true;
}

function hexDigitValue(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return <i32>l - 0x57;
  return -1;
}

/** Parse `addr/prefix` (or a bare address: the whole address). Null when invalid. */
export function parseCidr(p: usize, len: usize): Cidr | null {
  let slash: isize = -1;
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(p + i) == 0x2f) {
      slash = <isize>i;
      break;
    }
  }
  const addrLen = slash < 0 ? len : <usize>slash;
  // No zones in a CIDR.
  for (let i: usize = 0; i < addrLen; i++) if (load<u8>(p + i) == 0x25) return null;
  const ip = new IpAddress();
  // Parse without unmapping first, so the prefix can be converted.
  let colon = false;
  for (let i: usize = 0; i < addrLen; i++) if (load<u8>(p + i) == 0x3a) colon = true;
  if (addrLen == 0) return null;
  if (colon) {
    if (!parseIpv6(p, addrLen, ip.bytes)) return null;
    ip.v6 = true;
  } else {
    if (!parseIpv4(p, addrLen, ip.bytes, 0)) return null;
  }
  const max = ip.v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const start = <usize>slash + 1;
    if (start >= len || len - start > 3) return null;
    prefix = 0;
    for (let i = start; i < len; i++) {
      const c = load<u8>(p + i);
      if (c < 0x30 || c > 0x39) return null;
      if (i > start && prefix == 0) return null; // leading zero
      prefix = prefix * 10 + (<i32>c - 0x30);
    }
    if (prefix > max) return null;
  }
  if (ip.v6 && prefix >= 96) {
    const before = ip.v6;
    unmap(ip);
    if (before && !ip.v6) prefix -= 96;
  }
  // Clear host bits so matching compares only the network part.
  const bytes = ip.bytes;
  const total = ip.v6 ? 16 : 4;
  for (let i = 0; i < total; i++) {
    const bitStart = i * 8;
    if (bitStart >= prefix) unchecked(bytes[i] = 0);
    else if (bitStart + 8 > prefix) unchecked(bytes[i] = bytes[i] & <u8>(<u32>0xff << <u32>(8 - (prefix - bitStart))));
  }
  return new Cidr(ip.v6, bytes, prefix);
}
