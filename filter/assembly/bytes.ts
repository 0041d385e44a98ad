// Byte slices and one growable byte buffer. The filter works on bytes: header values, property
// values and config strings are compared here without creating strings. Every function checks
// its own bounds; none of them can trap on any length.

/** True when the `len` bytes at `p` equal the ASCII string literal `lit`. */
export function eqAscii(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (len != n) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(s + (i << 1))) return false;
  }
  return true;
}

/** Like eqAscii, but ASCII letters of the input compare case-insensitively (`lit` is lower-case). */
export function eqAsciiNoCase(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (len != n) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>lower(load<u8>(p + i)) != <u32>load<u16>(s + (i << 1))) return false;
  }
  return true;
}

/** True when the input starts with the lower-case ASCII literal, ignoring ASCII case. */
export function startsWithAsciiNoCase(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (len < n) return false;
  return eqAsciiNoCase(p, n, lit);
}

// @ts-ignore: decorator
@inline
export function lower(b: u8): u8 {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** Byte equality of two memory ranges. */
export function eqBytes(a: usize, alen: usize, b: usize, blen: usize): bool {
  if (alen != blen) return false;
  if (alen == 0) return true;
  return memory.compare(a, b, alen) == 0;
}

/** Byte equality where the input `a` is folded to lower case (`b` is already lower-case). */
export function eqBytesNoCase(a: usize, alen: usize, b: usize, blen: usize): bool {
  if (alen != blen) return false;
  for (let i: usize = 0; i < alen; i++) {
    if (lower(load<u8>(a + i)) != load<u8>(b + i)) return false;
  }
  return true;
}

/** Copy n bytes from src to dst (non-overlapping): short copies (locations, keys, paths) in
 * words, long ones with memory.copy (a call into the runtime). */
export function copyBytesTo(dst: usize, src: usize, n: usize): void {
  if (n > 64) {
    memory.copy(dst, src, n);
    return;
  }
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) store<u64>(dst + i, load<u64>(src + i));
  for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
}

/** Copy `len` bytes at `p` into a new ArrayBuffer. */
export function copyBytes(p: usize, len: usize): ArrayBuffer {
  const out = new ArrayBuffer(<i32>len);
  if (len > 0) memory.copy(changetype<usize>(out), p, len);
  return out;
}

/** UTF-8 bytes of a string (config-time and error paths only). */
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

/** A string from bytes; invalid UTF-8 becomes U+FFFD (error and log paths only). */
export function bytesToString(p: usize, len: usize): string {
  if (len == 0) return "";
  return String.UTF8.decodeUnsafe(p, len, false);
}

/** Lower-case a byte buffer in place (ASCII only). */
export function lowerInPlace(b: ArrayBuffer): void {
  const p = changetype<usize>(b);
  const n = <usize>b.byteLength;
  for (let i: usize = 0; i < n; i++) store<u8>(p + i, lower(load<u8>(p + i)));
}

/**
 * A growable byte buffer, reused across calls (the JSON writer, the event batch body, header
 * pairs for proxy_http_call, the normalized path). `reset()` keeps the memory; the storage is a
 * managed ArrayBuffer that grows by doubling, so `ptr` is valid until the next write that grows it.
 */
export class ByteBuffer {
  private data: ArrayBuffer;
  ptr: usize;
  len: usize = 0;
  cap: usize;

  constructor(initial: i32 = 256) {
    this.data = new ArrayBuffer(initial < 16 ? 16 : initial);
    this.ptr = changetype<usize>(this.data);
    this.cap = <usize>this.data.byteLength;
  }

  // @ts-ignore: decorator
  @inline
  reset(): void {
    this.len = 0;
  }

  /** Drop the storage if it grew beyond `limit` (after an unusually large event or batch). */
  shrink(limit: usize): void {
    if (this.cap > limit) {
      this.data = new ArrayBuffer(<i32>limit);
      this.ptr = changetype<usize>(this.data);
      this.cap = limit;
    }
    this.len = 0;
  }

  reserve(extra: usize): void {
    const need = this.len + extra;
    if (need <= this.cap) return;
    let cap = this.cap << 1;
    while (cap < need) cap <<= 1;
    const next = new ArrayBuffer(<i32>cap);
    memory.copy(changetype<usize>(next), this.ptr, this.len);
    this.data = next;
    this.ptr = changetype<usize>(next);
    this.cap = cap;
  }

  // @ts-ignore: decorator
  @inline
  byte(b: u8): void {
    if (this.len >= this.cap) this.reserve(1);
    store<u8>(this.ptr + this.len, b);
    this.len++;
  }

  bytes(p: usize, n: usize): void {
    if (n == 0) return;
    if (this.len + n > this.cap) this.reserve(n);
    copyBytesTo(this.ptr + this.len, p, n);
    this.len += n;
  }

  buffer(b: ArrayBuffer): void {
    this.bytes(changetype<usize>(b), <usize>b.byteLength);
  }

  /** Append an ASCII string literal (code units above 0x7f are not expected here). */
  ascii(s: string): void {
    const n = <usize>s.length;
    if (this.len + n > this.cap) this.reserve(n);
    const src = changetype<usize>(s);
    const dst = this.ptr + this.len;
    for (let i: usize = 0; i < n; i++) store<u8>(dst + i, <u8>load<u16>(src + (i << 1)));
    this.len += n;
  }

  /** Append any string as UTF-8 (log and error paths). */
  utf8(s: string): void {
    const n = <usize>String.UTF8.byteLength(s, false);
    this.reserve(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.ptr + this.len, false);
    this.len += n;
  }

  decimal(v: u64): void {
    if (v == 0) {
      this.byte(0x30);
      return;
    }
    let digits: usize = 0;
    let t = v;
    while (t > 0) {
      digits++;
      t /= 10;
    }
    this.reserve(digits);
    let p = this.ptr + this.len + digits;
    t = v;
    while (t > 0) {
      p--;
      store<u8>(p, <u8>(0x30 + <u32>(t % 10)));
      t /= 10;
    }
    this.len += digits;
  }

  /** Lower-case hex without leading zeros (at least one digit). */
  hex(v: u64): void {
    let digits: usize = 1;
    let t = v >> 4;
    while (t > 0) {
      digits++;
      t >>= 4;
    }
    this.reserve(digits);
    let p = this.ptr + this.len + digits;
    t = v;
    for (let i: usize = 0; i < digits; i++) {
      p--;
      store<u8>(p, hexDigit(<u32>(t & 0xf)));
      t >>= 4;
    }
    this.len += digits;
  }

  /** Zero-padded decimal of exactly `width` digits (for timestamps). */
  padded(v: u32, width: i32): void {
    this.reserve(<usize>width);
    let p = this.ptr + this.len + <usize>width;
    let t = v;
    for (let i = 0; i < width; i++) {
      p--;
      store<u8>(p, <u8>(0x30 + t % 10));
      t /= 10;
    }
    this.len += <usize>width;
  }

  // @ts-ignore: decorator
  @inline
  truncate(n: usize): void {
    if (n < this.len) this.len = n;
  }

  /** A copy of the content as a new ArrayBuffer. */
  toArrayBuffer(): ArrayBuffer {
    return copyBytes(this.ptr, this.len);
  }

  toString(): string {
    return bytesToString(this.ptr, this.len);
  }
}

// @ts-ignore: decorator
@inline
export function hexDigit(d: u32): u8 {
  return <u8>(d < 10 ? 0x30 + d : 0x57 + d);
}
