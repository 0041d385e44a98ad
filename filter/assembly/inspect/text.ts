// Byte helpers for the detectors: case-insensitive search for ASCII literals, character tests.
// Everything works on [p, p+len) and never reads outside it.

// @ts-ignore: decorator
@inline
export function lc(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

// @ts-ignore: decorator
@inline
export function isAlpha(c: u8): bool {
  return ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

// @ts-ignore: decorator
@inline
export function isDigitB(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

// @ts-ignore: decorator
@inline
export function isAlnum(c: u8): bool {
  return isAlpha(c) || isDigitB(c);
}

// @ts-ignore: decorator
@inline
export function isWordByte(c: u8): bool {
  return isAlnum(c) || c == 0x5f || c >= 0x80;
}

// @ts-ignore: decorator
@inline
export function isSpace(c: u8): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c;
}

/** True when the bytes at p (at least lit.length available before end) equal the lower-case
 * ASCII literal, ignoring case. */
export function atNoCase(p: usize, end: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (p + n > end) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>lc(load<u8>(p + i)) != <u32>load<u16>(s + (i << 1))) return false;
  }
  return true;
}

/** Offset of the first occurrence of `lit` (lower-case ASCII) in [p+from, p+len), or -1. */
export function findNoCase(p: usize, len: usize, lit: string, from: usize = 0): isize {
  const n = <usize>lit.length;
  if (n == 0 || len < n) return -1;
  const first = <u8>lit.charCodeAt(0);
  const end = p + len;
  const last = len - n;
  for (let i = from; i <= last; i++) {
    if (lc(load<u8>(p + i)) == first && atNoCase(p + i, end, lit)) return <isize>i;
  }
  return -1;
}

export function hasNoCase(p: usize, len: usize, lit: string): bool {
  return findNoCase(p, len, lit, 0) >= 0;
}

/** Skip white space (and, when `comments`, nothing else) from i; returns the new offset. */
export function skipSpace(p: usize, len: usize, i: usize): usize {
  while (i < len && isSpace(load<u8>(p + i))) i++;
  return i;
}

/** True when the word at i (ASCII letters) equals `lit` and is not followed by a word byte. */
export function wordAt(p: usize, len: usize, i: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (!atNoCase(p + i, p + len, lit)) return false;
  return i + n >= len || !isWordByte(load<u8>(p + i + n));
}

/** Share of bytes in [p, p+len) that are printable ASCII or valid-looking UTF-8 (percent). */
export function printablePercent(p: usize, len: usize): i32 {
  if (len == 0) return 0;
  let ok: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if ((c >= 0x20 && c < 0x7f) || c == 0x0a || c == 0x0d || c == 0x09) ok++;
  }
  return <i32>((ok * 100) / len);
}


/** Only letters, digits, spaces, '_', '.' and '-' (a short identifier, number or word). Up to
 * sixteen bytes in one vector step when the load stays inside memory (lanes past the value are
 * ignored). */
export function plainWord(p: usize, len: usize): bool {
  if (len <= 16 && p + 16 <= (<usize>memory.size() << 16)) {
    const v = v128.load(p);
    const alpha = i8x16.lt_u(i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(26));
    const digit = i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(10));
    const marks = v128.or(v128.or(i8x16.eq(v, i8x16.splat(0x20)), i8x16.eq(v, i8x16.splat(0x5f))),
      v128.or(i8x16.eq(v, i8x16.splat(0x2e)), i8x16.eq(v, i8x16.splat(0x2d))));
    const ok = <u32>i8x16.bitmask(v128.or(v128.or(alpha, digit), marks));
    const need = (<u32>1 << <u32>len) - 1;
    return (ok & need) == need;
  }
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (!(isAlpha(c) || isDigitB(c) || c == 0x20 || c == 0x5f || c == 0x2e || c == 0x2d)) return false;
  }
  return true;
}

/** Offset of the first byte equal to `b` in [p+from, p+len), or a value >= len when none:
 * sixteen bytes at a time (SIMD compare, the mask's lowest bit is the first match). */
export function indexOfByte(p: usize, from: usize, len: usize, b: u8): usize {
  let i = from;
  const pat = i8x16.splat(<i8>b);
  while (i + 16 <= len) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(p + i), pat));
    if (m != 0) return i + <usize>ctz(m);
    i += 16;
  }
  while (i < len && load<u8>(p + i) != b) i++;
  return i;
}

/** Like indexOfByte, for the first of two bytes. */
export function indexOfEither(p: usize, from: usize, len: usize, a: u8, b: u8): usize {
  let i = from;
  const pa = i8x16.splat(<i8>a);
  const pb = i8x16.splat(<i8>b);
  while (i + 16 <= len) {
    const v = v128.load(p + i);
    const m = i8x16.bitmask(v128.or(i8x16.eq(v, pa), i8x16.eq(v, pb)));
    if (m != 0) return i + <usize>ctz(m);
    i += 16;
  }
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == a || c == b) break;
    i++;
  }
  return i;
}
