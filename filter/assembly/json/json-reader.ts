// A byte-level JSON pull tokenizer. It walks a byte range by offsets, allocates nothing per
// token, knows the field path of the current value (`ingress[2].http[0].paths[1]`) for error
// messages and locations, and can be fed a document in pieces: when a token runs past the end of
// a non-final piece, next() answers NeedMore without consuming it, and feed() continues with a
// buffer that starts at the unconsumed bytes (`consumedInPiece()`). Configuration parsing feeds
// the whole document once; JSON body inspection feeds body chunks.
//
// The path is built only when asked for (most tokens of a body are never inspected): each open
// container remembers its current key (where it lies in the piece) or element index, and
// detach() copies the keys out of a piece before its bytes go away.
//
// Grammar is RFC 8259. Limits: nesting depth 64, field path 1 KiB (longer paths are cut), keys
// in the path 128 bytes. Strings are not checked for valid UTF-8 (writers replace bad bytes).
import { ByteBuffer } from "../bytes";

export const enum JsonToken {
  None = 0,
  BeginObject,
  EndObject,
  BeginArray,
  EndArray,
  Key,
  String,
  Number,
  True,
  False,
  Null,
  End,
  NeedMore,
  Error,
}

const MAX_DEPTH = 64;
const PATH_CAP: usize = 1024;
const KEY_IN_PATH_CAP: usize = 128;

const enum Expect {
  Value = 0,
  ValueOrEnd,
  KeyOrEnd,
  Key,
  Colon,
  CommaOrEnd,
  Done,
}

const OBJECT: u8 = 0;
const ARRAY: u8 = 1;

// Results of the scanners.
const OK = 0;
const MORE = 1;
const FAIL = 2;

export class JsonReader {
  private base: usize = 0;
  private end: usize = 0;
  private pos: usize = 0;
  private final: bool = true;
  private before: u64 = 0; // bytes consumed by earlier pieces
  private expect: i32 = Expect.Value;
  private depth: i32 = 0;
  // Per open container: its kind, elements so far (arrays), and its current key (objects): at
  // keyPtrs in the piece, or at keyOffs in keyStore when keyPtrs is 0; keyLens -1 before one.
  private kinds: StaticArray<u8> = new StaticArray<u8>(MAX_DEPTH);
  private counts: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH);
  private keyPtrs: StaticArray<usize> = new StaticArray<usize>(MAX_DEPTH);
  private keyOffs: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH);
  private keyLens: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH);
  private keyStore: ByteBuffer = new ByteBuffer(64);
  private keySpare: ByteBuffer = new ByteBuffer(64);
  private pathBuf: ByteBuffer = new ByteBuffer(128);
  private pathReady: bool = true;
  private scratch: ByteBuffer = new ByteBuffer(64);
  private failed: bool = false;

  /** Why the document is invalid (after an Error token), with the byte offset. */
  error: string = "";

  // The current token: String/Key content (without quotes, escapes undecoded) or Number text.
  tokenStart: usize = 0;
  tokenEnd: usize = 0;
  escaped: bool = false;
  // Number details.
  numInteger: bool = false;
  numNegative: bool = false;
  numOverflow: bool = false;
  numValue: u64 = 0;

  /** Start a new document on [p, p+len). */
  reset(p: usize, len: usize, final: bool = true): void {
    this.base = p;
    this.end = p + len;
    this.pos = p;
    this.final = final;
    this.before = 0;
    this.expect = Expect.Value;
    this.depth = 0;
    this.keyStore.reset();
    this.pathBuf.reset();
    this.pathReady = true;
    this.failed = false;
    this.error = "";
  }

  /** Continue the document with the next piece, which must begin with the bytes of the previous
   * piece that were not consumed (from consumedInPiece()). */
  feed(p: usize, len: usize, final: bool): void {
    this.before += <u64>(this.pos - this.base);
    this.base = p;
    this.end = p + len;
    this.pos = p;
    this.final = final;
  }

  /** The bytes of the current piece are about to change or go away: copy the keys of open
   * objects out of it. Whoever feeds pieces calls this before reusing or dropping one. */
  detach(): void {
    this.compactKeys(true);
  }

  /** Bytes of the current piece consumed so far. */
  consumedInPiece(): usize {
    return this.pos - this.base;
  }

  /** Offset in the whole document. */
  offset(): u64 {
    return this.before + <u64>(this.pos - this.base);
  }

  get nesting(): i32 {
    return this.depth;
  }

  next(): JsonToken {
    if (this.failed) return JsonToken.Error;
    this.pathReady = false;
    while (true) {
      this.skipWhitespace();
      if (this.pos >= this.end) {
        if (!this.final) return JsonToken.NeedMore;
        if (this.expect == Expect.Done) return JsonToken.End;
        return this.fail("unexpected end of input");
      }
      const c = load<u8>(this.pos);
      const expect = this.expect;
      if (expect == Expect.Value) return this.value(c);
      if (expect == Expect.CommaOrEnd) {
        const kind = load<u8>(changetype<usize>(this.kinds) + <usize>(this.depth - 1));
        if (c == 0x2c) { // ,
          this.pos++;
          this.expect = kind == OBJECT ? Expect.Key : Expect.Value;
          continue;
        }
        if (kind == OBJECT && c == 0x7d) return this.close(JsonToken.EndObject);
        if (kind == ARRAY && c == 0x5d) return this.close(JsonToken.EndArray);
        return this.fail(kind == OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      if (expect == Expect.Colon) {
        if (c != 0x3a) return this.fail("expected ':'");
        this.pos++;
        this.expect = Expect.Value;
        continue;
      }
      if (expect == Expect.KeyOrEnd || expect == Expect.Key) {
        if (c == 0x7d && expect == Expect.KeyOrEnd) return this.close(JsonToken.EndObject);
        if (c != 0x22) return this.fail("expected a field name");
        return this.key();
      }
      if (expect == Expect.ValueOrEnd) {
        if (c == 0x5d) return this.close(JsonToken.EndArray);
        return this.value(c);
      }
      return this.fail("unexpected data after the document");
    }
    return JsonToken.Error; // not reached
  }

  /** After a token that starts a value (Begin*, or a scalar), skip the rest of that value.
   * Returns false when the document is invalid (or, fed in pieces, incomplete). */
  skip(token: JsonToken): bool {
    if (token != JsonToken.BeginObject && token != JsonToken.BeginArray) {
      return token != JsonToken.Error && token != JsonToken.NeedMore && token != JsonToken.End;
    }
    const target = this.depth - 1;
    while (true) {
      const t = this.next();
      if (t == JsonToken.Error || t == JsonToken.NeedMore || t == JsonToken.End) return false;
      if ((t == JsonToken.EndObject || t == JsonToken.EndArray) && this.depth == target) return true;
    }
    return false; // not reached
  }

  // ---- the current token ----

  /** True when the current Key or String equals the ASCII literal. */
  is(lit: string): bool {
    const n = <usize>lit.length;
    const s = changetype<usize>(lit);
    if (!this.escaped) {
      if (this.tokenEnd - this.tokenStart != n) return false;
      for (let i: usize = 0; i < n; i++) {
        if (<u32>load<u8>(this.tokenStart + i) != <u32>load<u16>(s + (i << 1))) return false;
      }
      return true;
    }
    this.scratch.reset();
    unescapeInto(this.tokenStart, this.tokenEnd, this.scratch);
    if (this.scratch.len != n) return false;
    for (let i: usize = 0; i < n; i++) {
      if (<u32>load<u8>(this.scratch.ptr + i) != <u32>load<u16>(s + (i << 1))) return false;
    }
    return true;
  }

  /** The current Key or String, escapes decoded, as new bytes. */
  stringBytes(): ArrayBuffer {
    this.scratch.reset();
    unescapeInto(this.tokenStart, this.tokenEnd, this.scratch);
    const out = this.scratch.toArrayBuffer();
    this.scratch.shrink(4096);
    return out;
  }

  /** Append the current Key or String, decoded, to a buffer. */
  stringInto(out: ByteBuffer): void {
    unescapeInto(this.tokenStart, this.tokenEnd, out);
  }

  /** The field path of the current value: `ingress[2].http[0]`; empty at the top level. */
  path(): string {
    return this.builtPath().toString();
  }

  /** The current field path as bytes (valid until the next token). */
  get pathPtr(): usize {
    return this.builtPath().ptr;
  }

  get pathLen(): usize {
    return this.builtPath().len;
  }

  /** The path of a field of the object just read: `events.batchSize`. */
  pathOf(field: string): string {
    const path = this.builtPath();
    return path.len == 0 ? field : path.toString() + "." + field;
  }

  // ---- the container stack (plain loads and stores: these run per token) ----

  // @ts-ignore: decorator
  @inline
  private count(d: i32): i32 {
    return load<i32>(changetype<usize>(this.counts) + (<usize>d << 2));
  }

  // @ts-ignore: decorator
  @inline
  private setCount(d: i32, v: i32): void {
    store<i32>(changetype<usize>(this.counts) + (<usize>d << 2), v);
  }

  // @ts-ignore: decorator
  @inline
  private setKey(d: i32, ptr: usize, off: i32, len: i32): void {
    store<usize>(changetype<usize>(this.keyPtrs) + (<usize>d << alignof<usize>()), ptr);
    store<i32>(changetype<usize>(this.keyOffs) + (<usize>d << 2), off);
    store<i32>(changetype<usize>(this.keyLens) + (<usize>d << 2), len);
  }

  // @ts-ignore: decorator
  @inline
  private keyLen(d: i32): i32 {
    return load<i32>(changetype<usize>(this.keyLens) + (<usize>d << 2));
  }

  /** Where the current key of level d is (in the piece or in keyStore). */
  // @ts-ignore: decorator
  @inline
  private keyAt(d: i32): usize {
    const p = load<usize>(changetype<usize>(this.keyPtrs) + (<usize>d << alignof<usize>()));
    return p != 0 ? p : this.keyStore.ptr + <usize>load<i32>(changetype<usize>(this.keyOffs) + (<usize>d << 2));
  }

  /** Rewrite keyStore with only the keys of open objects (and, when `fromPiece`, those still in
   * the piece too), through a spare buffer: the copies may overlap the old positions. */
  private compactKeys(fromPiece: bool): void {
    const spare = this.keySpare;
    spare.reset();
    for (let d = 0; d < this.depth; d++) {
      if (load<u8>(changetype<usize>(this.kinds) + <usize>d) != OBJECT) continue;
      const n = this.keyLen(d);
      if (n < 0) continue;
      const inPiece = load<usize>(changetype<usize>(this.keyPtrs) + (<usize>d << alignof<usize>())) != 0;
      if (inPiece && !fromPiece) continue;
      const off = <i32>spare.len;
      spare.bytes(this.keyAt(d), <usize>n);
      this.setKey(d, 0, off, n);
    }
    this.keySpare = this.keyStore;
    this.keyStore = spare;
  }

  /** The path of the current value, built at most once per token. */
  private builtPath(): ByteBuffer {
    const buf = this.pathBuf;
    if (this.pathReady) return buf;
    this.pathReady = true;
    buf.reset();
    for (let d = 0; d < this.depth; d++) {
      if (load<u8>(changetype<usize>(this.kinds) + <usize>d) == ARRAY) {
        const c = this.count(d);
        if (c == 0 || buf.len + 12 > PATH_CAP) continue;
        buf.byte(0x5b);
        buf.decimal(<u64>(c - 1));
        buf.byte(0x5d);
        continue;
      }
      const n = this.keyLen(d);
      if (n < 0 || buf.len + KEY_IN_PATH_CAP + 1 > PATH_CAP) continue;
      if (buf.len > 0) buf.byte(0x2e);
      buf.bytes(this.keyAt(d), <usize>n < KEY_IN_PATH_CAP ? <usize>n : KEY_IN_PATH_CAP);
    }
    return buf;
  }

  // ---- scanning ----

  // @ts-ignore: decorator
  @inline
  private skipWhitespace(): void {
    let p = this.pos;
    const end = this.end;
    while (p < end) {
      const c = load<u8>(p);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      p++;
    }
    this.pos = p;
  }

  private fail(reason: string): JsonToken {
    if (!this.failed) {
      this.failed = true;
      this.error = "invalid JSON: " + reason + " at byte " + this.offset().toString();
    }
    return JsonToken.Error;
  }

  // @ts-ignore: decorator
  @inline
  private afterValue(): void {
    this.expect = this.depth == 0 ? Expect.Done : Expect.CommaOrEnd;
  }

  /** Entering a value: inside an array it is the next element. */
  // @ts-ignore: decorator
  @inline
  private enterValue(): void {
    const d = this.depth - 1;
    if (d >= 0 && load<u8>(changetype<usize>(this.kinds) + <usize>d) == ARRAY) this.setCount(d, this.count(d) + 1);
  }

  // @ts-ignore: decorator
  @inline
  private push(kind: u8): JsonToken {
    if (this.depth >= MAX_DEPTH) return this.fail("nesting deeper than 64");
    this.pos++;
    const d = this.depth;
    store<u8>(changetype<usize>(this.kinds) + <usize>d, kind);
    this.setCount(d, 0);
    this.setKey(d, 0, 0, -1);
    this.depth = d + 1;
    if (kind == OBJECT) {
      this.expect = Expect.KeyOrEnd;
      return JsonToken.BeginObject;
    }
    this.expect = Expect.ValueOrEnd;
    return JsonToken.BeginArray;
  }

  // @ts-ignore: decorator
  @inline
  private close(token: JsonToken): JsonToken {
    this.pos++;
    this.depth--;
    this.afterValue();
    return token;
  }

  // @ts-ignore: decorator
  @inline
  private key(): JsonToken {
    const r = this.scanString();
    if (r == MORE) return JsonToken.NeedMore;
    if (r == FAIL) return JsonToken.Error;
    const d = this.depth - 1;
    if (this.escaped) {
      // Decoded into the store (rare); the store is compacted before it grows large.
      if (this.keyStore.len > 4096) this.compactKeys(false);
      // (compactKeys swaps the buffers: the store is read after it)
      const store = this.keyStore;
      const off = store.len;
      unescapeInto(this.tokenStart, this.tokenEnd, store);
      if (store.len - off > KEY_IN_PATH_CAP) store.truncate(off + KEY_IN_PATH_CAP);
      this.setKey(d, 0, <i32>off, <i32>(store.len - off));
    } else {
      this.setKey(d, this.tokenStart, 0, <i32>(this.tokenEnd - this.tokenStart));
    }
    // The usual `":` straight after the name is taken here (one dispatch less per member).
    const pos = this.pos;
    if (pos < this.end && load<u8>(pos) == 0x3a) {
      this.pos = pos + 1;
      this.expect = Expect.Value;
    } else {
      this.expect = Expect.Colon;
    }
    return JsonToken.Key;
  }

  // @ts-ignore: decorator
  @inline
  private value(c: u8): JsonToken {
    if (c == 0x7b) { // {
      this.enterValue();
      return this.push(OBJECT);
    }
    if (c == 0x5b) { // [
      this.enterValue();
      return this.push(ARRAY);
    }
    let token = JsonToken.None;
    let r = OK;
    if (c == 0x22) {
      r = this.scanString();
      token = JsonToken.String;
    } else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) {
      r = this.scanNumber();
      token = JsonToken.Number;
    } else if (c == 0x74) {
      r = this.scanLiteral("true");
      token = JsonToken.True;
    } else if (c == 0x66) {
      r = this.scanLiteral("false");
      token = JsonToken.False;
    } else if (c == 0x6e) {
      r = this.scanLiteral("null");
      token = JsonToken.Null;
    } else {
      return this.fail("unexpected character");
    }
    if (r == MORE) return JsonToken.NeedMore;
    if (r == FAIL) return JsonToken.Error;
    this.enterValue();
    this.afterValue();
    return token;
  }

  private scanString(): i32 {
    let p = this.pos + 1;
    const end = this.end;
    let escaped = false;
    while (true) {
      // Skip plain bytes sixteen at a time: the first quote, backslash or control byte.
      while (p + 16 <= end) {
        const v = v128.load(p);
        const stop = v128.or(v128.or(i8x16.eq(v, i8x16.splat(0x22)), i8x16.eq(v, i8x16.splat(0x5c))),
          i8x16.lt_u(v, i8x16.splat(0x20)));
        const m = i8x16.bitmask(stop);
        if (m != 0) {
          p += <usize>ctz(m);
          break;
        }
        p += 16;
      }
      if (p >= end) return this.incomplete("unterminated string");
      const c = load<u8>(p);
      if (c == 0x22) break;
      if (c == 0x5c) {
        if (p + 1 >= end) return this.incomplete("unterminated string");
        const e = load<u8>(p + 1);
        if (e == 0x75) { // u
          if (p + 6 > end) return this.incomplete("unterminated string");
          for (let i: usize = 2; i < 6; i++) {
            if (hexValue(load<u8>(p + i)) < 0) {
              this.pos = p;
              this.fail("invalid \\u escape");
              return FAIL;
            }
          }
          p += 6;
        } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 ||
                   e == 0x6e || e == 0x72 || e == 0x74) {
          p += 2;
        } else {
          this.pos = p;
          this.fail("invalid escape");
          return FAIL;
        }
        escaped = true;
      } else if (c < 0x20) {
        this.pos = p;
        this.fail("control character in string");
        return FAIL;
      } else {
        p++;
      }
    }
    this.tokenStart = this.pos + 1;
    this.tokenEnd = p;
    this.escaped = escaped;
    this.pos = p + 1;
    return OK;
  }

  /** The token runs past the end of the piece: more may come, or the document is cut. */
  private incomplete(reason: string): i32 {
    if (!this.final) return MORE;
    this.pos = this.end;
    this.fail(reason);
    return FAIL;
  }

  private scanNumber(): i32 {
    let p = this.pos;
    const end = this.end;
    let negative = false;
    let integer = true;
    let overflow = false;
    let value: u64 = 0;
    if (load<u8>(p) == 0x2d) {
      negative = true;
      p++;
    }
    if (p >= end) return this.incomplete("invalid number");
    let c = load<u8>(p);
    if (c == 0x30) {
      p++;
    } else if (c >= 0x31 && c <= 0x39) {
      while (p < end) {
        c = load<u8>(p);
        if (c < 0x30 || c > 0x39) break;
        const d = <u64>(c - 0x30);
        // (a division per digit only near the top of the range)
        if (value < 1844674407370955161 || value <= (u64.MAX_VALUE - d) / 10) value = value * 10 + d;
        else overflow = true;
        p++;
      }
    } else {
      this.pos = p;
      this.fail("invalid number");
      return FAIL;
    }
    if (p < end && load<u8>(p) == 0x2e) {
      integer = false;
      p++;
      const digits = p;
      while (p < end && isDigit(load<u8>(p))) p++;
      if (p == digits) {
        if (p >= end) return this.incomplete("invalid number");
        this.pos = p;
        this.fail("invalid number");
        return FAIL;
      }
    }
    if (p < end && (load<u8>(p) | 0x20) == 0x65) {
      integer = false;
      p++;
      if (p < end && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) p++;
      const digits = p;
      while (p < end && isDigit(load<u8>(p))) p++;
      if (p == digits) {
        if (p >= end) return this.incomplete("invalid number");
        this.pos = p;
        this.fail("invalid number");
        return FAIL;
      }
    }
    // A number touching the end of a non-final piece may go on in the next one.
    if (p >= end && !this.final) return MORE;
    this.tokenStart = this.pos;
    this.tokenEnd = p;
    this.pos = p;
    this.numInteger = integer;
    this.numNegative = negative;
    this.numOverflow = overflow;
    this.numValue = value;
    return OK;
  }

  private scanLiteral(lit: string): i32 {
    const n = <usize>lit.length;
    const s = changetype<usize>(lit);
    const p = this.pos;
    for (let i: usize = 0; i < n; i++) {
      if (p + i >= this.end) return this.incomplete("invalid literal");
      if (<u32>load<u8>(p + i) != <u32>load<u16>(s + (i << 1))) {
        this.fail("invalid literal");
        return FAIL;
      }
    }
    this.pos = p + n;
    return OK;
  }
}

// @ts-ignore: decorator
@inline
function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

export function hexValue(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return <i32>l - 0x57;
  return -1;
}

function hex4(p: usize): u32 {
  let v: u32 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const h = hexValue(load<u8>(p + i));
    v = (v << 4) | <u32>(h < 0 ? 0 : h);
  }
  return v;
}

/** Append code point `cp` as UTF-8. */
export function writeUtf8(out: ByteBuffer, cp: u32): void {
  if (cp < 0x80) {
    out.byte(<u8>cp);
  } else if (cp < 0x800) {
    out.byte(<u8>(0xc0 | (cp >> 6)));
    out.byte(<u8>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.byte(<u8>(0xe0 | (cp >> 12)));
    out.byte(<u8>(0x80 | ((cp >> 6) & 0x3f)));
    out.byte(<u8>(0x80 | (cp & 0x3f)));
  } else {
    out.byte(<u8>(0xf0 | (cp >> 18)));
    out.byte(<u8>(0x80 | ((cp >> 12) & 0x3f)));
    out.byte(<u8>(0x80 | ((cp >> 6) & 0x3f)));
    out.byte(<u8>(0x80 | (cp & 0x3f)));
  }
}

/** Decode the JSON string content [p, end) (validated by the scanner) into `out`. Lone
 * surrogates become U+FFFD. */
export function unescapeInto(p: usize, end: usize, out: ByteBuffer): void {
  while (p < end) {
    // Copy the run up to the next backslash in one go.
    let q = p;
    while (q < end && load<u8>(q) != 0x5c) q++;
    if (q > p) out.bytes(p, q - p);
    p = q;
    if (p >= end) break;
    if (p + 1 >= end) break;
    const e = load<u8>(p + 1);
    if (e == 0x75) {
      if (p + 6 > end) break;
      let cp = hex4(p + 2);
      p += 6;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (p + 6 <= end && load<u8>(p) == 0x5c && load<u8>(p + 1) == 0x75) {
          const lo = hex4(p + 2);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
          } else {
            cp = 0xfffd;
          }
        } else {
          cp = 0xfffd;
        }
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        cp = 0xfffd;
      }
      writeUtf8(out, cp);
      continue;
    }
    let b: u8 = e;
    if (e == 0x62) b = 0x08;
    else if (e == 0x66) b = 0x0c;
    else if (e == 0x6e) b = 0x0a;
    else if (e == 0x72) b = 0x0d;
    else if (e == 0x74) b = 0x09;
    out.byte(b);
    p += 2;
  }
}
