// The decoding pipeline run on a value before the detectors see it. One pass decodes, in one
// walk over the bytes: percent escapes (`%27`, `%u0027`, mixed case), `+` as a space (query and
// form values only, first pass), HTML entities (`&#39;`, `&#x27`, `&lt;` ...), JS/JSON escapes
// (`\u0027`, `\u{27}`, `\x27`), full-width forms (U+FF01-U+FF5E to ASCII, U+3000 to a space),
// overlong UTF-8 (`C0 AF` to `/`), and drops NUL bytes. Passes repeat while something changed,
// at most MAX_PASSES times (double and triple encoding); a value still changing after that is
// counted (decode_depth_exceeded). Case folding, comment and white-space removal and path
// normalisation belong to the detectors' own tokenizers. No allocation once the two scratch
// buffers have grown to the largest value.
import { ByteBuffer } from "../bytes";
import { hexValue, writeUtf8 } from "../json/json-reader";
import { Metric, count } from "../metrics";

const MAX_PASSES = 4;
const bufA = new ByteBuffer(1024);
const bufB = new ByteBuffer(1024);

/** Where the decoded value is (valid until the next normalize()). */
export let normPtr: usize = 0;
export let normLen: usize = 0;

/** True when one decoding pass could change the value. */
// 1: starts an escape in any value; 2: `+` (a space in query and form values).
const DECODE_CLASS = new StaticArray<u8>(256);
function initDecodeClass(): void {
  DECODE_CLASS[0x25] = 1;
  DECODE_CLASS[0x26] = 1;
  DECODE_CLASS[0x5c] = 1;
  DECODE_CLASS[0] = 1;
  for (let c = 0xc0; c < 256; c++) DECODE_CLASS[c] = 1;
  DECODE_CLASS[0x2b] = 2;
}
initDecodeClass();

export function needsDecoding(p: usize, len: usize, plus: bool): bool {
  const mask: u8 = plus ? 3 : 1;
  const table = changetype<usize>(DECODE_CLASS);
  for (let i: usize = 0; i < len; i++) {
    if ((load<u8>(table + <usize>load<u8>(p + i)) & mask) != 0) return true;
  }
  return false;
}

/** Decode [p, p+len) into normPtr/normLen. Returns false (normPtr = p) when nothing changed. */
export function normalize(p: usize, len: usize, plus: bool): bool {
  normPtr = p;
  normLen = len;
  if (!needsDecoding(p, len, plus)) return false;
  let src = p;
  let srcLen = len;
  let out = bufA;
  let changed = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    out.reset();
    const n = decodeOnce(src, srcLen, out, plus && pass == 0);
    if (n == 0) break;
    changed = true;
    src = out.ptr;
    srcLen = out.len;
    out = out == bufA ? bufB : bufA;
    if (pass == MAX_PASSES - 1 && needsDecoding(src, srcLen, false)) {
      out.reset();
      if (decodeOnce(src, srcLen, out, false) > 0) count(Metric.DecodeDepthExceeded);
    }
  }
  normPtr = src;
  normLen = srcLen;
  return changed;
}

/** Release scratch memory after an unusually large value. */
export function shrinkScratch(): void {
  if (bufA.cap > 65536) bufA.shrink(65536);
  if (bufB.cap > 65536) bufB.shrink(65536);
}

function hex2(p: usize): i32 {
  const h = hexValue(load<u8>(p));
  const l = hexValue(load<u8>(p + 1));
  if (h < 0 || l < 0) return -1;
  return (h << 4) | l;
}

function hexN(p: usize, n: usize): i32 {
  let v = 0;
  for (let i: usize = 0; i < n; i++) {
    const h = hexValue(load<u8>(p + i));
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

/** ASCII a look-alike code point stands for (slashes, dots, circled digits), or 0. */
function lookAlike(cp: u32): u8 {
  if (cp == 0x2215 || cp == 0x2044 || cp == 0x29f8) return 0x2f; // ∕ ⁄ ⧸
  if (cp == 0x2216 || cp == 0xfe68 || cp == 0x29f9) return 0x5c; // ∖ ﹨ ⧹
  if (cp == 0x2024) return 0x2e; // ․
  if (cp >= 0x2460 && cp <= 0x2468) return <u8>(0x31 + cp - 0x2460); // ①..⑨
  if (cp == 0x24ea) return 0x30; // ⓪
  if (cp == 0x2080 || cp == 0x2070) return 0x30;
  if (cp >= 0x2081 && cp <= 0x2089) return <u8>(0x31 + cp - 0x2081); // subscripts
  return 0;
}

/** Append code point cp, folding full-width ASCII forms to ASCII. */
function emitCp(out: ByteBuffer, cp: u32): void {
  if (cp == 0) return;
  const a = lookAlike(cp);
  if (a != 0) {
    out.byte(a);
    return;
  }
  if (cp >= 0xff01 && cp <= 0xff5e) {
    out.byte(<u8>(cp - 0xff01 + 0x21));
    return;
  }
  if (cp == 0x3000) {
    out.byte(0x20);
    return;
  }
  writeUtf8(out, cp);
}

/** One decoding pass; returns how many escapes it decoded. */
function decodeOnce(p: usize, len: usize, out: ByteBuffer, plus: bool): i32 {
  out.reserve(len);
  let n = 0;
  let i: usize = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == 0x25 && i + 2 < len) {
      // %XX or %uXXXX
      if (i + 5 < len && (load<u8>(p + i + 1) | 0x20) == 0x75) {
        const v = hexN(p + i + 2, 4);
        if (v >= 0) {
          emitCp(out, <u32>v);
          i += 6;
          n++;
          continue;
        }
      }
      if (i + 2 < len) {
        const v = hex2(p + i + 1);
        if (v >= 0) {
          if (v != 0) out.byte(<u8>v);
          i += 3;
          n++;
          continue;
        }
      }
      out.byte(c);
      i++;
      continue;
    }
    if (c == 0x2b && plus) {
      out.byte(0x20);
      i++;
      n++;
      continue;
    }
    if (c == 0x26 && i + 2 < len) { // &...
      const used = entity(p + i, len - i, out);
      if (used > 0) {
        i += used;
        n++;
        continue;
      }
    }
    if (c == 0x5c && i + 1 < len) { // backslash escapes
      const e = load<u8>(p + i + 1) | 0x20;
      if (e == 0x75) { // \uXXXX or \u{X...}
        if (i + 5 < len) {
          const v = hexN(p + i + 2, 4);
          if (v >= 0) {
            emitCp(out, <u32>v);
            i += 6;
            n++;
            continue;
          }
        }
        if (i + 3 < len && load<u8>(p + i + 2) == 0x7b) {
          let j = i + 3;
          let v: u32 = 0;
          let digits = 0;
          while (j < len && digits < 7) {
            const h = hexValue(load<u8>(p + j));
            if (h < 0) break;
            v = (v << 4) | <u32>h;
            j++;
            digits++;
          }
          if (digits > 0 && j < len && load<u8>(p + j) == 0x7d && v <= 0x10ffff) {
            emitCp(out, v);
            i = j + 1;
            n++;
            continue;
          }
        }
      } else if (e == 0x78 && i + 3 < len) { // \xHH
        const v = hex2(p + i + 2);
        if (v >= 0) {
          if (v != 0) out.byte(<u8>v);
          i += 4;
          n++;
          continue;
        }
      }
      out.byte(c);
      i++;
      continue;
    }
    if (c == 0) {
      i++;
      n++;
      continue;
    }
    if (c >= 0xc0) {
      // Overlong two- and three-byte forms of ASCII, and full-width forms.
      if ((c == 0xc0 || c == 0xc1) && i + 1 < len) {
        const b1 = load<u8>(p + i + 1);
        if ((b1 & 0xc0) == 0x80) {
          const v = ((<u32>c & 0x1f) << 6) | (<u32>b1 & 0x3f);
          if (v != 0) out.byte(<u8>v);
          i += 2;
          n++;
          continue;
        }
      }
      if (c == 0xe0 && i + 2 < len && load<u8>(p + i + 1) == 0x80) {
        const b2 = load<u8>(p + i + 2);
        if ((b2 & 0xc0) == 0x80) {
          out.byte(b2 & 0x3f);
          i += 3;
          n++;
          continue;
        }
      }
      if (c == 0xef && i + 2 < len) {
        const b1 = load<u8>(p + i + 1);
        const b2 = load<u8>(p + i + 2);
        const cp = ((<u32>c & 0x0f) << 12) | ((<u32>b1 & 0x3f) << 6) | (<u32>b2 & 0x3f);
        if ((b1 & 0xc0) == 0x80 && (b2 & 0xc0) == 0x80 && cp >= 0xff01 && cp <= 0xff5e) {
          out.byte(<u8>(cp - 0xff01 + 0x21));
          i += 3;
          n++;
          continue;
        }
      }
      if ((c == 0xe2 || c == 0xef) && i + 2 < len) {
        const b1 = load<u8>(p + i + 1);
        const b2 = load<u8>(p + i + 2);
        if ((b1 & 0xc0) == 0x80 && (b2 & 0xc0) == 0x80) {
          const a = lookAlike(((<u32>c & 0x0f) << 12) | ((<u32>b1 & 0x3f) << 6) | (<u32>b2 & 0x3f));
          if (a != 0) {
            out.byte(a);
            i += 3;
            n++;
            continue;
          }
        }
      }
      if (c == 0xe3 && i + 2 < len && load<u8>(p + i + 1) == 0x80 && load<u8>(p + i + 2) == 0x80) {
        out.byte(0x20);
        i += 3;
        n++;
        continue;
      }
    }
    out.byte(c);
    i++;
  }
  return n;
}

/** An HTML entity at p (which is `&`): appends the character, returns the bytes used or 0. */
function entity(p: usize, avail: usize, out: ByteBuffer): usize {
  if (load<u8>(p + 1) == 0x23) { // &#
    let j: usize = 2;
    let v: u32 = 0;
    let digits = 0;
    const hex = j < avail && (load<u8>(p + j) | 0x20) == 0x78;
    if (hex) j++;
    while (j < avail && digits < 8) {
      const c = load<u8>(p + j);
      let d: i32 = -1;
      if (hex) d = hexValue(c);
      else if (c >= 0x30 && c <= 0x39) d = <i32>c - 0x30;
      if (d < 0) break;
      v = hex ? (v << 4) | <u32>d : v * 10 + <u32>d;
      j++;
      digits++;
    }
    if (digits == 0 || v > 0x10ffff) return 0;
    if (j < avail && load<u8>(p + j) == 0x3b) j++;
    emitCp(out, v);
    return j;
  }
  // Named: the few that matter for markup and quoting.
  const end = p + avail;
  if (named(p, end, "&lt;")) { out.byte(0x3c); return 4; }
  if (named(p, end, "&gt;")) { out.byte(0x3e); return 4; }
  if (named(p, end, "&quot;")) { out.byte(0x22); return 6; }
  if (named(p, end, "&apos;")) { out.byte(0x27); return 6; }
  if (named(p, end, "&amp;")) { out.byte(0x26); return 5; }
  if (named(p, end, "&colon;")) { out.byte(0x3a); return 7; }
  if (named(p, end, "&lpar;")) { out.byte(0x28); return 6; }
  if (named(p, end, "&rpar;")) { out.byte(0x29); return 6; }
  if (named(p, end, "&sol;")) { out.byte(0x2f); return 5; }
  if (named(p, end, "&tab;")) { out.byte(0x09); return 5; }
  if (named(p, end, "&newline;")) { out.byte(0x0a); return 9; }
  if (named(p, end, "&semi;")) { out.byte(0x3b); return 6; }
  if (named(p, end, "&equals;")) { out.byte(0x3d); return 8; }
  if (named(p, end, "&nbsp;")) { out.byte(0x20); return 6; }
  return 0;
}

function named(p: usize, end: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (p + n > end) return false;
  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(p + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (<u32>c != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}
