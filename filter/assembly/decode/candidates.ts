// Base64 and hex candidates: a value (or a dot-separated part of a JWT) made only of the
// alphabet, long enough, that decodes to printable text is inspected decoded as well. Random
// identifiers and binary blobs decode to unprintable bytes and are left alone.
import { ByteBuffer } from "../bytes";
import { hexValue } from "../json/json-reader";
import { printablePercent } from "../inspect/text";

const MIN_B64: usize = 8;
const MIN_HEX: usize = 8;

function b64Value(c: u8): i32 {
  if (c >= 0x41 && c <= 0x5a) return <i32>c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return <i32>c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30 + 52;
  if (c == 0x2b || c == 0x2d) return 62;
  if (c == 0x2f || c == 0x5f) return 63;
  return -1;
}

/** True when [p, p+len) looks like base64 (standard or URL alphabet, optional padding). */
export function isBase64Like(p: usize, len: usize): bool {
  if (len < MIN_B64) return false;
  let end = len;
  while (end > 0 && load<u8>(p + end - 1) == 0x3d) end--;
  if (len - end > 2) return false;
  let upper = 0;
  let lower = 0;
  let digits = 0;
  for (let i: usize = 0; i < end; i++) {
    const c = load<u8>(p + i);
    if (b64Value(c) < 0) return false;
    if (c >= 0x41 && c <= 0x5a) upper++;
    else if (c >= 0x61 && c <= 0x7a) lower++;
    else if (c >= 0x30 && c <= 0x39) digits++;
  }
  // Plain words and numbers are not base64 candidates: want mixed case or digits with letters.
  return upper > 0 && (lower > 0 || digits > 0);
}

/** Decode base64 [p, p+len) into out (reset first). Returns false on a bad length. */
export function decodeBase64(p: usize, len: usize, out: ByteBuffer): bool {
  out.reset();
  let end = len;
  while (end > 0 && load<u8>(p + end - 1) == 0x3d) end--;
  if (end % 4 == 1) return false;
  out.reserve((end * 3) / 4 + 3);
  let acc: u32 = 0;
  let bits: u32 = 0;
  for (let i: usize = 0; i < end; i++) {
    const v = b64Value(load<u8>(p + i));
    if (v < 0) return false;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.byte(<u8>((acc >> bits) & 0xff));
    }
  }
  return true;
}

/** Hex digits only (optionally `0x` first), even length. */
export function isHexLike(p: usize, len: usize): bool {
  let i: usize = 0;
  if (len >= 2 && load<u8>(p) == 0x30 && (load<u8>(p + 1) | 0x20) == 0x78) i = 2;
  if (len - i < MIN_HEX || ((len - i) & 1) != 0) return false;
  let letters = 0;
  for (let j = i; j < len; j++) {
    const c = load<u8>(p + j);
    const h = hexValue(c);
    if (h < 0) return false;
    if (h > 9) letters++;
  }
  return letters > 0;
}

export function decodeHex(p: usize, len: usize, out: ByteBuffer): void {
  out.reset();
  let i: usize = 0;
  if (len >= 2 && load<u8>(p) == 0x30 && (load<u8>(p + 1) | 0x20) == 0x78) i = 2;
  out.reserve((len - i) / 2);
  while (i + 1 < len) {
    out.byte(<u8>((hexValue(load<u8>(p + i)) << 4) | hexValue(load<u8>(p + i + 1))));
    i += 2;
  }
}

/** Decoded bytes worth inspecting: mostly printable text with something other than letters. */
export function worthInspecting(p: usize, len: usize): bool {
  if (len < 4) return false;
  if (printablePercent(p, len) < 95) return false;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a))) return true;
  }
  return false;
}
