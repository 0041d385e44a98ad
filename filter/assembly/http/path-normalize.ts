// Path normalization before matching, so that an allow rule for `/public/**` cannot be reached
// by `/public/../admin`, `/public/%2e%2e/admin` or `/public\..\admin`. Most paths need none: a
// quick scan looks for `%`, `\`, `//` and dot segments, and only then the path is rewritten into
// a reused buffer (RFC 3986 section 6.2.2: decode percent-encoded unreserved characters, remove
// dot segments) with, in addition, encoded or back slashes taken as `/` and repeated slashes
// merged (what Envoy's normalize_path and merge_slashes do). Events report the path as sent.
import { ByteBuffer } from "../bytes";
import { hexValue } from "../json/json-reader";

/** True when the path (without query) must be normalized before matching. */
export function needsNormalization(p: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x25 || c == 0x5c) return true; // % or backslash
    if (c == 0x2f) {
      if (i + 1 < len && load<u8>(p + i + 1) == 0x2f) return true; // //
      continue;
    }
    if (c == 0x2e && (i == 0 || load<u8>(p + i - 1) == 0x2f)) {
      // "." or ".." as a whole segment
      if (i + 1 == len || load<u8>(p + i + 1) == 0x2f) return true;
      if (load<u8>(p + i + 1) == 0x2e && (i + 2 == len || load<u8>(p + i + 2) == 0x2f)) return true;
    }
  }
  return false;
}

const decoded = new ByteBuffer(256);

/** Normalize [p, p+len) into `out` (reset first); the result always starts with `/`. */
export function normalizePath(p: usize, len: usize, out: ByteBuffer): void {
  // 1. Decode %XX of unreserved characters and of `/` and `\`; `\` becomes `/`.
  decoded.reset();
  decoded.reserve(len);
  let i: usize = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == 0x25 && i + 2 < len) {
      const h = hexValue(load<u8>(p + i + 1));
      const l = hexValue(load<u8>(p + i + 2));
      if (h >= 0 && l >= 0) {
        const d = <u8>((h << 4) | l);
        if (d == 0x2f || d == 0x5c) {
          decoded.byte(0x2f);
          i += 3;
          continue;
        }
        if (isUnreserved(d)) {
          decoded.byte(d);
          i += 3;
          continue;
        }
      }
      decoded.byte(c);
      i++;
      continue;
    }
    decoded.byte(c == 0x5c ? 0x2f : c);
    i++;
  }
  // 2. Walk the segments: drop empty ones (merged slashes) but keep a trailing slash, drop ".",
  //    and let ".." remove the segment before it.
  out.reset();
  out.reserve(decoded.len + 1);
  const d = decoded.ptr;
  const n = decoded.len;
  let start: usize = 0;
  if (n > 0 && load<u8>(d) == 0x2f) start = 1;
  let pos = start;
  while (true) {
    if (pos == n || load<u8>(d + pos) == 0x2f) {
      const segLen = pos - start;
      const last = pos == n;
      if (segLen == 1 && load<u8>(d + start) == 0x2e) {
        if (last) out.byte(0x2f);
      } else if (segLen == 2 && load<u8>(d + start) == 0x2e && load<u8>(d + start + 1) == 0x2e) {
        // Remove the last written "/segment".
        let w = out.len;
        while (w > 0 && load<u8>(out.ptr + w - 1) != 0x2f) w--;
        if (w > 0) w--; // the slash itself
        out.truncate(w);
        if (last) out.byte(0x2f);
      } else if (segLen == 0) {
        if (last) out.byte(0x2f);
      } else {
        out.byte(0x2f);
        out.bytes(d + start, segLen);
      }
      if (last) break;
      start = pos + 1;
    }
    pos++;
  }
  if (out.len == 0) out.byte(0x2f);
  decoded.shrink(65536);
}

function isUnreserved(c: u8): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}
