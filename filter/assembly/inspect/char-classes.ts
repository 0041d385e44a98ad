// Character classes of a value: which of the characters the detectors care about it holds, as
// one bit mask, so that a detector whose trigger characters are absent is not called.
//
// Sixteen bytes at a time by nibble lookup (two 16-entry tables per group of eight classes, one
// indexed by a byte's low nibble, one by its high nibble; a class bit survives the AND only for
// the bytes of that class). Every class below is a product of a set of high nibbles and a set of
// low nibbles, so the lookup is exact; the scalar table is the reference for the tail of a value
// and, at start, for every byte (a mismatch traps the module at load rather than mis-gating).

export const F_SQUOTE: u32 = 1;
export const F_DQUOTE: u32 = 2;
export const F_LT: u32 = 4;
export const F_PAREN: u32 = 8;
export const F_SEMI: u32 = 16;
export const F_PIPE: u32 = 32;
export const F_AMP: u32 = 64;
export const F_DOLLAR: u32 = 128;
export const F_BRACE: u32 = 256;
export const F_BACKTICK: u32 = 512;
export const F_DOT: u32 = 1024;
export const F_SLASH: u32 = 2048;
export const F_BSLASH: u32 = 4096;
export const F_COLON: u32 = 8192;
export const F_CRLF: u32 = 16384;
export const F_EQ: u32 = 32768;
export const F_STAR: u32 = 65536;
export const F_HASH: u32 = 131072;
export const F_AT: u32 = 262144;
export const F_HIGH: u32 = 524288;
export const F_BANG: u32 = 1048576;
export const F_DASH: u32 = 2097152;
export const F_PCT: u32 = 4194304;
export const F_BRACKET: u32 = 8388608;
export const F_GT: u32 = 16777216;
export const F_COMMA: u32 = 33554432;
/** % & \ NUL, lead bytes >= 0xC0: a decoding pass may change the value. */
export const F_DECODE: u32 = 1 << 26;
export const F_PLUS: u32 = 1 << 27;

// The classes as (flags, high nibbles, low nibbles), nibble sets as 16-bit masks.
const ALL: u32 = 0xffff;
function nib(a: i32, b: i32 = -1): u32 {
  return (<u32>1 << a) | (b >= 0 ? <u32>1 << b : 0);
}
// Eight classes per group, one vector lookup pair per group.
const GROUPS = 4;
// Per group: 16 bytes of low-nibble table, 16 of high-nibble table; per group and byte value of
// the reduced group byte, the flags it stands for.
const NIBBLES: usize = memory.data(GROUPS * 32, 16);
const GROUP_FLAGS: usize = memory.data(GROUPS * 256 * 4, 16);
// The scalar reference, per byte.
const TABLE: usize = memory.data(256 * 4, 16);

let defined = 0;

/** The next class: bit (defined % 8) of group (defined / 8) in the nibble tables, and in the
 * scalar table for every byte it holds. */
function define(flags: u32, high: u32, low: u32): void {
  const g = <usize>(defined >> 3);
  const bit = <u8>(<u32>1 << <u32>(defined & 7));
  assert(g < <usize>GROUPS, "char-classes: more classes than groups");
  defined++;
  for (let n: usize = 0; n < 16; n++) {
    if ((low & (<u32>1 << <u32>n)) != 0) store<u8>(NIBBLES + g * 32 + n, load<u8>(NIBBLES + g * 32 + n) | bit);
    if ((high & (<u32>1 << <u32>n)) != 0) store<u8>(NIBBLES + g * 32 + 16 + n, load<u8>(NIBBLES + g * 32 + 16 + n) | bit);
  }
  for (let b: usize = 0; b < 256; b++) {
    const a = GROUP_FLAGS + ((g * 256 + b) << 2);
    if ((b & <usize>bit) != 0) store<u32>(a, load<u32>(a) | flags);
    if ((high & (<u32>1 << <u32>(b >> 4))) != 0 && (low & (<u32>1 << <u32>(b & 15))) != 0) {
      store<u32>(TABLE + (b << 2), load<u32>(TABLE + (b << 2)) | flags);
    }
  }
}

function init(): void {
  define(F_SQUOTE, nib(2), nib(7));
  define(F_DQUOTE, nib(2), nib(2));
  define(F_LT, nib(3), nib(0xc));
  define(F_GT, nib(3), nib(0xe));
  define(F_PAREN, nib(2), nib(8, 9));
  define(F_SEMI, nib(3), nib(0xb));
  define(F_PIPE, nib(7), nib(0xc));
  define(F_AMP | F_DECODE, nib(2), nib(6));
  define(F_DOLLAR, nib(2), nib(4));
  define(F_BRACE, nib(7), nib(0xb, 0xd));
  define(F_BACKTICK, nib(6), nib(0));
  define(F_DOT, nib(2), nib(0xe));
  define(F_SLASH, nib(2), nib(0xf));
  define(F_BSLASH | F_DECODE, nib(5), nib(0xc));
  define(F_COLON, nib(3), nib(0xa));
  define(F_CRLF, nib(0), nib(0xa, 0xd));
  define(F_EQ, nib(3), nib(0xd));
  define(F_STAR, nib(2), nib(0xa));
  define(F_HASH, nib(2), nib(3));
  define(F_AT, nib(4), nib(0));
  define(F_HIGH, 0x0f00, ALL);
  define(F_HIGH | F_DECODE, 0xf000, ALL);
  define(F_BANG, nib(2), nib(1));
  define(F_DASH, nib(2), nib(0xd));
  define(F_PCT | F_DECODE, nib(2), nib(5));
  define(F_BRACKET, nib(5), nib(0xb, 0xd));
  define(F_COMMA, nib(2), nib(0xc));
  define(F_DECODE, nib(0), nib(0));
  define(F_PLUS, nib(2), nib(0xb));
  // The vector path must agree with the table for every byte.
  const one = memory.data(16, 16);
  for (let b: usize = 0; b < 256; b++) {
    memory.fill(one, <u8>b, 16);
    assert(flagsOf(one, 16) == load<u32>(TABLE + (b << 2)), "char-classes: nibble tables disagree");
  }
}

/** The classes of the characters in [p, p+len). */
export function flagsOf(p: usize, len: usize): u32 {
  let f: u32 = 0;
  let i: usize = 0;
  if (len >= 16) {
    const low = i8x16.splat(0x0f);
    const l0 = v128.load(NIBBLES);
    const h0 = v128.load(NIBBLES, 16);
    const l1 = v128.load(NIBBLES, 32);
    const h1 = v128.load(NIBBLES, 48);
    const l2 = v128.load(NIBBLES, 64);
    const h2 = v128.load(NIBBLES, 80);
    const l3 = v128.load(NIBBLES, 96);
    const h3 = v128.load(NIBBLES, 112);
    let a0 = i8x16.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (; i + 16 <= len; i += 16) {
      const v = v128.load(p + i);
      const lo = v128.and(v, low);
      const hi = i8x16.shr_u(v, 4);
      a0 = v128.or(a0, v128.and(i8x16.swizzle(l0, lo), i8x16.swizzle(h0, hi)));
      a1 = v128.or(a1, v128.and(i8x16.swizzle(l1, lo), i8x16.swizzle(h1, hi)));
      a2 = v128.or(a2, v128.and(i8x16.swizzle(l2, lo), i8x16.swizzle(h2, hi)));
      a3 = v128.or(a3, v128.and(i8x16.swizzle(l3, lo), i8x16.swizzle(h3, hi)));
    }
    f = load<u32>(GROUP_FLAGS + (<usize>orBytes(a0) << 2)) |
      load<u32>(GROUP_FLAGS + ((256 + <usize>orBytes(a1)) << 2)) |
      load<u32>(GROUP_FLAGS + ((512 + <usize>orBytes(a2)) << 2)) |
      load<u32>(GROUP_FLAGS + ((768 + <usize>orBytes(a3)) << 2));
  }
  for (; i < len; i++) f |= load<u32>(TABLE + (<usize>load<u8>(p + i) << 2));
  return f;
}

/** The OR of a vector's sixteen bytes. */
// @ts-ignore: decorator
@inline
function orBytes(a: v128): u32 {
  let x = i64x2.extract_lane(a, 0) | i64x2.extract_lane(a, 1);
  x |= x >> 32;
  x |= x >> 16;
  x |= x >> 8;
  return <u32>(x & 0xff);
}

init();
