// The configuration document as its parsers walk it: one JsonReader, the first error (which names
// the field path), the fields of each open object, and the values every section reads (strings,
// integers, arrays of them). The HTTP parser (config-parser.ts) and the TCP one
// (tcp/tcp-config-parser.ts) read the same document through one ConfigReader.
//
// Once an error is set it stays: later failures keep the first message, and field() answers
// FIELD_FAIL, so a parser's loops end without checks of their own.
import { JsonReader, JsonToken } from "../json/json-reader";

/** field(): the object has ended. */
export const FIELD_END = -1;
/** field(): the document is rejected (the error is set). */
export const FIELD_FAIL = -2;

/** How a message shows the token found where another kind was expected. */
export const enum Found {
  /** Its kind: `found a string`, `found a number`. */
  Kind = 0,
  /** Strings and numbers as written (`found "x"`, `found 42`), other tokens by kind. The TCP
   * sections' messages are written this way. */
  Value = 1,
}

const MAX_INT: u64 = 2147483647;
/** JsonReader's nesting limit, and one more: seen masks are kept by depth. */
const DEPTHS = 65;
/** Strings and numbers shown in messages are cut at this many bytes. */
const SHOWN_BYTES: usize = 64;

export class ConfigReader {
  readonly json: JsonReader = new JsonReader();
  /** Why the document was rejected; null while it is acceptable. */
  error: string | null = null;
  /** Paths of fields this version does not know (collected only when asked for). */
  unknownFields: Array<string> = new Array<string>();
  private collectUnknown: bool = false;
  /** Per open object, by the reader's nesting depth: a bit per field name seen so far. */
  private seen: StaticArray<u32> = new StaticArray<u32>(DEPTHS);
  /** The fields the object field() last closed had. */
  private closedSeen: u32 = 0;

  reset(p: usize, len: usize, collectUnknown: bool): void {
    this.error = null;
    this.unknownFields = new Array<string>();
    this.collectUnknown = collectUnknown;
    this.json.reset(p, len, true);
  }

  get failed(): bool {
    return this.error !== null;
  }

  next(): JsonToken {
    const r = this.json;
    const t = r.next();
    if (t == JsonToken.Error && this.error === null) {
      const path = r.path();
      this.error = path.length > 0 ? path + ": " + r.error : r.error;
    } else if (t == JsonToken.BeginObject) {
      unchecked(this.seen[r.nesting] = 0);
    }
    return t;
  }

  // ---- objects ----

  /** The next field of the object being read: its index in `names` (each may come once), or
   * FIELD_END when the object ends, or FIELD_FAIL. Unknown fields are skipped, and listed when
   * `listUnknown` and the caller of reset() asked for them. */
  field(names: StaticArray<string>, listUnknown: bool = true): i32 {
    if (this.error !== null) return FIELD_FAIL;
    const r = this.json;
    const depth = r.nesting;
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndObject) {
        this.closedSeen = unchecked(this.seen[depth]);
        return FIELD_END;
      }
      if (t != JsonToken.Key) {
        this.fail("expected a field");
        return FIELD_FAIL;
      }
      for (let i = 0; i < names.length; i++) {
        if (r.is(unchecked(names[i]))) {
          const bit: u32 = 1 << <u32>i;
          const seen = unchecked(this.seen[depth]);
          if ((seen & bit) != 0) {
            this.fail("duplicate field");
            return FIELD_FAIL;
          }
          unchecked(this.seen[depth] = seen | bit);
          return i;
        }
      }
      if (listUnknown && this.collectUnknown) this.unknownFields.push(r.path());
      const v = this.next();
      if (!r.skip(v)) {
        this.fail(r.error);
        return FIELD_FAIL;
      }
    }
    return FIELD_FAIL; // not reached
  }

  /** After field() answered FIELD_END: every field in `mask` (bits of `names`) was there. */
  required(names: StaticArray<string>, mask: u32): bool {
    if (this.error !== null) return false;
    for (let i = 0; i < names.length; i++) {
      const bit: u32 = 1 << <u32>i;
      if ((mask & bit) != 0 && (this.closedSeen & bit) == 0) {
        this.error = this.json.pathOf(unchecked(names[i])) + ": is required";
        return false;
      }
    }
    return true;
  }

  beginObject(found: Found = Found.Kind): bool {
    const t = this.next();
    if (t == JsonToken.BeginObject) return true;
    this.mustBe(t, "an object", found);
    return false;
  }

  // ---- arrays ----

  beginArray(found: Found = Found.Kind): bool {
    const t = this.next();
    if (t == JsonToken.BeginArray) return true;
    this.mustBe(t, "an array", found);
    return false;
  }

  /** Step to the next element of the array being read: true when it is a `want` token (an
   * object is then open); false at the end of the array, or, the error set, at anything else. */
  element(want: JsonToken, what: string, found: Found = Found.Kind): bool {
    const t = this.next();
    if (t == want) return true;
    if (t != JsonToken.EndArray) this.mustBe(t, what, found);
    return false;
  }

  // ---- values ----

  /** true or false (anything else sets the error and reads as false). */
  bool(): bool {
    const t = this.next();
    if (t == JsonToken.True) return true;
    if (t != JsonToken.False) this.mustBe(t, "true or false");
    return false;
  }

  string(nonEmpty: bool): ArrayBuffer | null {
    const t = this.next();
    if (t != JsonToken.String) {
      this.mustBe(t, nonEmpty ? "a non-empty string" : "a string");
      return null;
    }
    const s = this.json.stringBytes();
    if (nonEmpty && s.byteLength == 0) {
      this.fail("must be a non-empty string");
      return null;
    }
    return s;
  }

  stringArray(nonEmpty: bool): StaticArray<ArrayBuffer> | null {
    if (!this.beginArray()) return null;
    const out = new Array<ArrayBuffer>();
    while (this.element(JsonToken.String, nonEmpty ? "a non-empty string" : "a string")) {
      const s = this.json.stringBytes();
      if (nonEmpty && s.byteLength == 0) {
        this.fail("must be a non-empty string");
        return null;
      }
      out.push(s);
    }
    return this.error !== null ? null : StaticArray.fromArray(out);
  }

  /** A non-negative integer of at least `min` and at most 2^31 - 1. */
  uint(min: u32): u32 {
    const t = this.next();
    if (t != JsonToken.Number) {
      this.mustBe(t, "a non-negative integer");
      return 0;
    }
    const r = this.json;
    if (!r.numInteger || r.numNegative) {
      this.fail("must be a non-negative integer, found " + this.tokenText());
      return 0;
    }
    if (r.numOverflow || r.numValue > MAX_INT) {
      this.fail("must be at most " + MAX_INT.toString() + ", found " + this.tokenText());
      return 0;
    }
    const v = <u32>r.numValue;
    if (v < min) {
      this.fail("must be a positive integer, found " + this.tokenText());
      return 0;
    }
    return v;
  }

  /** An integer from `min` to `max` (the TCP sections' limits). */
  uintBetween(min: u32, max: u32): u32 {
    const t = this.next();
    const r = this.json;
    if (t != JsonToken.Number || !r.numInteger || r.numNegative || r.numOverflow || r.numValue < <u64>min || r.numValue > <u64>max) {
      this.mustBe(t, "an integer from " + min.toString() + " to " + max.toString(), Found.Value);
      return 0;
    }
    return <u32>r.numValue;
  }

  // ---- errors ----

  /** Reject the document at the current field path (unless it already is). */
  fail(message: string): void {
    if (this.error !== null) return;
    const path = this.json.path();
    this.error = path.length > 0 ? path + ": " + message : message;
  }

  /** `must be <what>, found <t>`. */
  mustBe(t: JsonToken, what: string, found: Found = Found.Kind): void {
    if (this.error !== null) return;
    this.fail("must be " + what + ", found " + this.found(t, found));
  }

  /** Token `t` (the current one) as a message shows it. */
  found(t: JsonToken, how: Found): string {
    if (how == Found.Value && (t == JsonToken.String || t == JsonToken.Number)) {
      return this.shown(t == JsonToken.String, false);
    }
    return kindOf(t);
  }

  /** The current string or number as it appears in the document: quoted for strings, cut at 64
   * bytes (a cut string ends in `..."`). */
  tokenText(): string {
    const r = this.json;
    return this.shown(r.tokenStart > 0 && load<u8>(r.tokenStart - 1) == 0x22, true);
  }

  private shown(quoted: bool, markCut: bool): string {
    const r = this.json;
    const start = r.tokenStart;
    let end = r.tokenEnd;
    if (end - start > SHOWN_BYTES) end = start + SHOWN_BYTES;
    const text = String.UTF8.decodeUnsafe(start, end - start, false);
    if (!quoted) return text;
    return "\"" + text + (markCut && r.tokenEnd - start > SHOWN_BYTES ? "...\"" : "\"");
  }
}

/** A token's kind as messages name it: `an object`, `a number`, `null`. */
export function kindOf(t: JsonToken): string {
  if (t == JsonToken.BeginObject) return "an object";
  if (t == JsonToken.BeginArray) return "an array";
  if (t == JsonToken.String) return "a string";
  if (t == JsonToken.Number) return "a number";
  if (t == JsonToken.True) return "true";
  if (t == JsonToken.False) return "false";
  if (t == JsonToken.Null) return "null";
  return "nothing";
}
