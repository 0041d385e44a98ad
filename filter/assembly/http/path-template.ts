// Path templates for flow records: a segment that is an identifier (all digits, a UUID, or hex
// of 8 characters or more with a digit in it) becomes `{id}`, so /orders/123 and /orders/456 are
// one flow. Written straight into the caller's buffer from the path's bytes.
import { ByteBuffer } from "../bytes";

const PLACEHOLDER = "{id}";

function isHex(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Is [p, p+len) an identifier segment? */
export function isIdSegment(p: usize, len: usize): bool {
  if (len == 0) return false;
  let digits: usize = 0;
  let hex: usize = 0;
  let dashes: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (isHex(c)) hex++;
    else if (c == 0x2d) dashes++;
    else return false;
  }
  if (dashes == 0) return hex == 0 || (len >= 8 && digits > 0);
  // UUID: 8-4-4-4-12 hex digits.
  if (len != 36 || dashes != 4) return false;
  return load<u8>(p + 8) == 0x2d && load<u8>(p + 13) == 0x2d && load<u8>(p + 18) == 0x2d && load<u8>(p + 23) == 0x2d;
}

/** Append the template of the path [p, p+len) (no query) to `out`. */
export function writePathTemplate(out: ByteBuffer, p: usize, len: usize): void {
  let start: usize = 0;
  for (let i: usize = 0; i <= len; i++) {
    if (i < len && load<u8>(p + i) != 0x2f) continue;
    // [start, i) is a segment (possibly empty); the slash at i follows it.
    if (i > start && isIdSegment(p + start, i - start)) out.ascii(PLACEHOLDER);
    else out.bytes(p + start, i - start);
    if (i < len) out.byte(0x2f);
    start = i + 1;
  }
}
