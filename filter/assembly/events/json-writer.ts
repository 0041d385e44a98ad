// A small JSON writer over a reused ByteBuffer. It writes strings straight from bytes: quotes,
// backslashes and control bytes are escaped, invalid UTF-8 is replaced by U+FFFD, and a string
// may be cut at a byte limit (on a character boundary). Commas are placed by the writer.
import { ByteBuffer, hexDigit } from "../bytes";

const MAX_NESTING = 16;

export class JsonWriter {
  readonly out: ByteBuffer;
  private depth: i32 = 0;
  /** Per level: does the next member need a comma? */
  private comma: StaticArray<bool> = new StaticArray<bool>(MAX_NESTING);

  constructor(initial: i32 = 1024) {
    this.out = new ByteBuffer(initial);
  }

  reset(): void {
    this.out.reset();
    this.depth = 0;
    unchecked(this.comma[0] = false);
  }

  beginObject(): void {
    this.separate();
    this.out.byte(0x7b);
    this.open();
  }

  endObject(): void {
    this.out.byte(0x7d);
    this.close();
  }

  beginArray(): void {
    this.separate();
    this.out.byte(0x5b);
    this.open();
  }

  endArray(): void {
    this.out.byte(0x5d);
    this.close();
  }

  /** A member name (an ASCII literal); the value follows. */
  name(lit: string): void {
    this.separate();
    const out = this.out;
    out.byte(0x22);
    out.ascii(lit);
    out.byte(0x22);
    out.byte(0x3a);
    // The value that follows must not get a comma of its own.
    unchecked(this.comma[this.depth] = false);
  }

  /** A string value from bytes, cut at `limit` bytes. True when it was cut. */
  string(p: usize, len: usize, limit: usize = usize.MAX_VALUE): bool {
    this.separate();
    let cut = false;
    if (len > limit) {
      len = limit;
      // Do not split a UTF-8 sequence: back off over continuation bytes.
      let back = 0;
      while (back < 3 && len > 0 && (load<u8>(p + len) & 0xc0) == 0x80) {
        len--;
        back++;
      }
      cut = true;
    }
    writeEscaped(this.out, p, len);
    return cut;
  }

  stringBuffer(b: ArrayBuffer, limit: usize = usize.MAX_VALUE): bool {
    return this.string(changetype<usize>(b), <usize>b.byteLength, limit);
  }

  /** A string value from an ASCII literal. */
  stringAscii(lit: string): void {
    this.separate();
    const out = this.out;
    out.byte(0x22);
    out.ascii(lit);
    out.byte(0x22);
  }

  number(v: u64): void {
    this.separate();
    this.out.decimal(v);
  }

  nul(): void {
    this.separate();
    this.out.ascii("null");
  }

  /** An already-encoded JSON value. */
  raw(p: usize, len: usize): void {
    this.separate();
    this.out.bytes(p, len);
  }

  private separate(): void {
    const d = this.depth;
    if (unchecked(this.comma[d])) this.out.byte(0x2c);
    unchecked(this.comma[d] = true);
  }

  private open(): void {
    if (this.depth < MAX_NESTING - 1) this.depth++;
    unchecked(this.comma[this.depth] = false);
  }

  private close(): void {
    if (this.depth > 0) this.depth--;
  }
}

/** Write `"…"` with JSON escapes and U+FFFD for invalid UTF-8. */
export function writeEscaped(out: ByteBuffer, p: usize, len: usize): void {
  out.reserve(len + 2);
  out.byte(0x22);
  let i: usize = 0;
  while (i < len) {
    // Copy the longest run that needs nothing.
    let j = i;
    while (j < len) {
      const c = load<u8>(p + j);
      if (c < 0x20 || c == 0x22 || c == 0x5c || c >= 0x80) break;
      j++;
    }
    if (j > i) out.bytes(p + i, j - i);
    i = j;
    if (i >= len) break;
    const c = load<u8>(p + i);
    if (c < 0x80) {
      out.byte(0x5c);
      if (c == 0x22) out.byte(0x22);
      else if (c == 0x5c) out.byte(0x5c);
      else if (c == 0x0a) out.byte(0x6e);
      else if (c == 0x0d) out.byte(0x72);
      else if (c == 0x09) out.byte(0x74);
      else if (c == 0x08) out.byte(0x62);
      else if (c == 0x0c) out.byte(0x66);
      else {
        out.ascii("u00");
        out.byte(hexDigit(<u32>c >> 4));
        out.byte(hexDigit(<u32>c & 0xf));
      }
      i++;
      continue;
    }
    const n = utf8SequenceLength(p + i, len - i);
    if (n == 0) {
      out.byte(0xef);
      out.byte(0xbf);
      out.byte(0xbd);
      i++;
    } else {
      out.bytes(p + i, n);
      i += n;
    }
  }
  out.byte(0x22);
}

/** Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0 when the bytes there are not one. */
export function utf8SequenceLength(p: usize, avail: usize): usize {
  const b0 = load<u8>(p);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    if (avail < 2 || !cont(load<u8>(p + 1))) return 0;
    return 2;
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (avail < 3) return 0;
    const b1 = load<u8>(p + 1);
    if (b0 == 0xe0 && (b1 < 0xa0 || b1 > 0xbf)) return 0;
    if (b0 == 0xed && (b1 < 0x80 || b1 > 0x9f)) return 0;
    if (!cont(b1) || !cont(load<u8>(p + 2))) return 0;
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (avail < 4) return 0;
    const b1 = load<u8>(p + 1);
    if (b0 == 0xf0 && (b1 < 0x90 || b1 > 0xbf)) return 0;
    if (b0 == 0xf4 && (b1 < 0x80 || b1 > 0x8f)) return 0;
    if (!cont(b1) || !cont(load<u8>(p + 2)) || !cont(load<u8>(p + 3))) return 0;
    return 4;
  }
  return 0;
}

// @ts-ignore: decorator
@inline
function cont(b: u8): bool {
  return (b & 0xc0) == 0x80;
}
