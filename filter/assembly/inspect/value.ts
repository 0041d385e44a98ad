// One value, wherever it came from: limits first (parameters, bytes, windows), then the
// decoding pipeline (decode/normalize.ts), then the detectors that can match what the value
// holds (a 256-entry table gives the character classes present; a detector whose trigger
// characters are absent is not called), then base64/hex candidates decoded and inspected again
// at most MAX_DECODE_DEPTH deep. Findings go through scan.report with the current location.
import { ByteBuffer } from "../bytes";
import { Metric, count } from "../metrics";
import { normalize, normLen, normPtr, shrinkScratch } from "../decode/normalize";
import { decodeBase64, decodeHex, isBase64Like, isHexLike, worthInspecting } from "../decode/candidates";
import { MAX_DECODE_DEPTH, MAX_INSPECTED_BYTES, MAX_PARAMS, MAX_VALUE_BYTES, scan } from "./scan";
import { detectSqli } from "../detect/sqli";
import { detectXss } from "../detect/xss";
import { detectTraversal } from "../detect/traversal";
import { detectRfi } from "../detect/rfi";
import { detectCmdi, detectLeadCommand } from "../detect/cmdi";
import { detectSsrf } from "../detect/ssrf";
import { detectJndi, detectShellshock } from "../detect/jndi";
import { detectXxe } from "../detect/xxe";
import { detectSsti } from "../detect/ssti";
import { detectNosqlKey, detectNosqlValue } from "../detect/nosqli";
import { detectLdapExtensible, detectLdapi } from "../detect/ldapi";
import { detectCrlf } from "../detect/crlf";
import { detectSsi } from "../detect/ssi";
import { detectDeserialization } from "../detect/deserialization";
import { detectPrototypeKey, detectPrototypeValue } from "../detect/prototype";
import { isAlpha, isDigitB, plainWord } from "./text";
import {
  F_AMP, F_AT, F_BACKTICK, F_BANG, F_BRACE, F_BRACKET, F_BSLASH, F_COLON, F_COMMA, F_CRLF, F_DASH,
  F_DECODE, F_DOLLAR, F_DOT, F_DQUOTE, F_EQ, F_GT, F_HASH, F_HIGH, F_LT, F_PAREN, F_PCT, F_PIPE,
  F_PLUS, F_SEMI, F_SLASH, F_SQUOTE, F_STAR, flagsOf,
} from "./char-classes";
import { dropIndex, indexValue } from "./word-set";
import { known, remember } from "./clean-cache";
import { excludedCount } from "./scan";

export const enum Where {
  Path = 0,
  Query,
  QueryKey,
  Form,
  FormKey,
  Header,
  Cookie,
  JsonString,
  JsonKey,
  Xml,
  Multipart,
  Filename,
  Text,
  /** One segment of the path (the whole path is Path). */
  Segment,
}

/** Characters that only words, numbers and punctuation of prose carry: a value with nothing
 * else goes the light way (the detectors that can fire on such text). */
const LIGHT: u32 = F_SQUOTE | F_DOT | F_COMMA | F_DASH | F_HIGH | F_BANG | F_PLUS;
const HEAVY: u32 = ~LIGHT & ~F_DECODE;


// Per decode depth: a copy of the normalized value (normalize's scratch is reused by nested
// inspection) and the decoded candidate.
const copies = new StaticArray<ByteBuffer>(MAX_DECODE_DEPTH + 1);
const decoded = new StaticArray<ByteBuffer>(MAX_DECODE_DEPTH + 1);
for (let i = 0; i <= MAX_DECODE_DEPTH; i++) {
  copies[i] = new ByteBuffer(256);
  decoded[i] = new ByteBuffer(256);
}

/** Inspect one value at the current location (scan.location). */
export function inspectValue(p: usize, len: usize, where: Where): void {
  if (len == 0) return;
  const s = scan;
  if (s.depth == 0) {
    s.params++;
    if (s.params > MAX_PARAMS) {
      if (!s.paramsCapped) {
        s.paramsCapped = true;
        count(Metric.ParamsExceeded);
      }
      return;
    }
    if (s.inspected + len > MAX_INSPECTED_BYTES) {
      if (!s.inspectedCapped) {
        s.inspectedCapped = true;
        count(Metric.InspectedBytesExceeded);
      }
      if (s.inspected >= MAX_INSPECTED_BYTES) return;
      len = MAX_INSPECTED_BYTES - s.inspected;
    }
    s.inspected += len;
  }
  if (len <= MAX_VALUE_BYTES) {
    if (s.depth == 0 && len <= 4096) {
      // Seen before and clean: nothing to do.
      if (known(<i32>where, s.location.ptr, s.location.len, p, len)) return;
      const before = s.findings.count;
      const dropped = excludedCount;
      // A short identifier, number or word: only a few things fit in it.
      if (len <= 16 && plainWord(p, len)) tinyDetectors(p, len, where);
      else inspectOne(p, len, where);
      if (s.findings.count == before && excludedCount == dropped) remember();
      return;
    }
    inspectOne(p, len, where);
    return;
  }
  // Windows with an overlap, so that nothing straddling a cut is missed.
  count(Metric.ValueWindowed);
  const overlap: usize = 512;
  let off: usize = 0;
  while (off < len) {
    const n = len - off < MAX_VALUE_BYTES ? len - off : MAX_VALUE_BYTES;
    inspectOne(p + off, n, where);
    if (off + n >= len) break;
    off += n - overlap;
  }
}

function inspectOne(p: usize, len: usize, where: Where): void {
  const s = scan;
  const depth = s.depth;
  const plus = where == Where.Query || where == Where.QueryKey || where == Where.Form || where == Where.FormKey;
  let vp = p;
  let vl = len;
  let f = flagsOf(p, len);
  if (((f & F_DECODE) != 0 || (plus && (f & F_PLUS) != 0)) && normalize(p, len, plus)) {
    const copy = unchecked(copies[depth]);
    copy.reset();
    copy.bytes(normPtr, normLen);
    vp = copy.ptr;
    vl = copy.len;
    f = flagsOf(vp, vl);
  }
  const savedPtr = s.valuePtr;
  const savedLen = s.valueLen;
  s.valuePtr = vp;
  s.valueLen = vl;
  if ((f & HEAVY) == 0 && where != Where.Header && where != Where.Cookie) {
    // Long text: one index pass serves the word lists of the detectors that run.
    if (vl > 128) indexValue(vp, vl);
    lightDetectors(vp, vl, where, f);
    dropIndex();
  } else {
    indexValue(vp, vl);
    detectors(vp, vl, where, f);
    dropIndex();
  }
  // Encoded payloads: the whole value (or the parts of a JWT) decoded once more.
  if (depth < MAX_DECODE_DEPTH && vl >= 8 && where != Where.Path) {
    // '+' read as a space broke a base64 value apart: decode the bytes as they came.
    if (plus && vp != p && isBase64Like(p, len)) candidates(p, len, where);
    else candidates(vp, vl, where);
  } else if (depth >= MAX_DECODE_DEPTH && vl >= 8 && isBase64Like(vp, vl)) {
    count(Metric.DecodeDepthExceeded);
  }
  s.valuePtr = savedPtr;
  s.valueLen = savedLen;
  if (depth == 0) shrinkScratch();
}

function candidates(p: usize, len: usize, where: Where): void {
  const s = scan;
  const out = unchecked(decoded[s.depth]);
  // JWT-like: a.b.c in base64url
  let dots = 0;
  for (let i: usize = 0; i < len && dots <= 2; i++) if (load<u8>(p + i) == 0x2e) dots++;
  if (dots == 2) {
    let start: usize = 0;
    for (let i: usize = 0; i <= len; i++) {
      if (i == len || load<u8>(p + i) == 0x2e) {
        const n = i - start;
        if (n >= 8 && isBase64Like(p + start, n) && decodeBase64(p + start, n, out) && worthInspecting(out.ptr, out.len)) {
          s.depth++;
          inspectOne(out.ptr, out.len, Where.Text);
          s.depth--;
        }
        start = i + 1;
      }
    }
    return;
  }
  if (isBase64Like(p, len)) {
    if (decodeBase64(p, len, out)) {
      if (worthInspecting(out.ptr, out.len)) {
        s.depth++;
        inspectOne(out.ptr, out.len, where == Where.JsonKey || where == Where.QueryKey || where == Where.FormKey || where == Where.Segment ? Where.Text : where);
        s.depth--;
      } else if (out.len >= 8) {
        // binary: serialized objects only (Java, .NET, pickle, hex-in-base64)
        const sp = s.valuePtr;
        const sl = s.valueLen;
        s.valuePtr = out.ptr;
        s.valueLen = out.len;
        detectDeserialization(out.ptr, out.len < 64 ? out.len : 64);
        s.valuePtr = sp;
        s.valueLen = sl;
      }
    }
    return;
  }
  if (isHexLike(p, len)) {
    decodeHex(p, len, out);
    if (worthInspecting(out.ptr, out.len)) {
      s.depth++;
      inspectOne(out.ptr, out.len, Where.Text);
      s.depth--;
    }
  }
}

/** Does the value start (after spaces) with a digit, a sign, a parenthesis or a word? */
function leadContext(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len && load<u8>(p + i) == 0x20) i++;
  if (i >= len) return false;
  const c = load<u8>(p + i);
  return isDigitB(c) || c == 0x2d || c == 0x28 || c == 0x29 || isAlpha(c) || c == 0x3b;
}

function detectors(p: usize, len: usize, where: Where, f: u32): void {
  const isKey = where == Where.QueryKey || where == Where.FormKey || where == Where.JsonKey;
  const isHeader = where == Where.Header || where == Where.Cookie;
  const isUrl = where == Where.Path || where == Where.Query || where == Where.QueryKey;
  const param = !isHeader && where != Where.Path;
  if (where == Where.Segment) {
    segmentDetectors(p, len, f);
    return;
  }
  const lead = leadContext(p, len);
  if (isKey && (f & (F_DOLLAR | F_BRACKET)) != 0) detectNosqlKey(p, len);
  if (isKey || (f & (F_BRACE | F_BRACKET)) != 0) {
    if (isKey) detectPrototypeKey(p, len);
    else detectPrototypeValue(p, len);
  }
  if ((f & F_DOLLAR) != 0 && (f & F_BRACE) != 0) detectJndi(p, len);
  // SQL: quotes, SQL punctuation, a leading number or word.
  if ((f & (F_SQUOTE | F_DQUOTE | F_PAREN | F_SEMI | F_EQ | F_HASH | F_DASH | F_STAR | F_AT | F_SLASH | F_COMMA | F_PIPE | F_AMP | F_BACKTICK)) != 0 || (lead && len < 4096)) {
    detectSqli(p, len, f, lead && (where != Where.Text || len <= 512) && (where != Where.Xml || len <= 512));
  }
  if ((f & (F_LT | F_SQUOTE | F_DQUOTE | F_BACKTICK | F_COLON | F_PAREN)) != 0) detectXss(p, len, f);
  if ((f & (F_DOT | F_SLASH | F_BSLASH | F_COLON)) != 0) detectTraversal(p, len, where == Where.Path);
  if (param && !isKey && ((f & (F_COLON | F_BSLASH)) != 0 || (len > 2 && load<u8>(p) == 0x2f && load<u8>(p + 1) == 0x2f))) detectRfi(p, len);
  if ((f & (F_SEMI | F_PIPE | F_AMP | F_BACKTICK | F_DOLLAR | F_CRLF | F_BRACE | F_LT | F_PAREN | F_GT)) != 0 || (lead && param && len <= 512)) {
    detectCmdi(p, len, lead && param && len <= 512);
  }
  if ((f & (F_DOLLAR | F_BRACE)) != (F_DOLLAR | F_BRACE) && (f & (F_HASH | F_PAREN | F_DOT | F_AT | F_PCT)) != 0) detectJndi(p, len);
  if ((param || where == Where.Path || isHeader) && (f & F_COLON) != 0 || (param && lead && len <= 64)) detectSsrf(p, len);
  if ((f & F_PAREN) != 0 && (f & F_BRACE) != 0) detectShellshock(p, len);
  if ((f & F_LT) != 0 && (f & F_BANG) != 0) {
    detectXxe(p, len);
    detectSsi(p, len);
  } else if ((f & F_LT) != 0 && (f & F_COLON) != 0) {
    detectXxe(p, len);
    detectSsi(p, len);
  }
  if ((f & (F_BRACE | F_LT | F_AT | F_HASH)) != 0) detectSsti(p, len);
  if (where != Where.Header && (f & F_DOLLAR) != 0 || (f & (F_SEMI)) != 0 && (f & (F_SQUOTE | F_DQUOTE)) != 0 || (f & (F_PAREN | F_DOT)) == (F_PAREN | F_DOT) ||
      (f & (F_SEMI | F_PAREN | F_BRACE)) == (F_SEMI | F_PAREN | F_BRACE)) detectNosqlValue(p, len);
  if ((f & F_PAREN) != 0 && where != Where.Header) detectLdapi(p, len);
  else if (len == 1 && load<u8>(p) == 0x2a) detectLdapi(p, len);
  if ((f & (F_COLON | F_EQ)) == (F_COLON | F_EQ) && where != Where.Header) detectLdapExtensible(p, len);
  if ((f & (F_CRLF | F_HIGH)) != 0) detectCrlf(p, len, isUrl);
  if (len >= 8) detectDeserializationGated(p, len, f);
}

function detectDeserializationGated(p: usize, len: usize, f: u32): void {
  if ((f & (F_BANG | F_DOLLAR | F_DQUOTE | F_CRLF | F_COLON | F_HIGH)) != 0) {
    detectDeserialization(p, len);
    return;
  }
  // base64/hex serialized forms start the value
  const c = load<u8>(p) | 0x20;
  if (c == 0x72 || c == 0x61 || c == 0x67 || c == 0x62) detectDeserialization(p, len < 16 ? len : 16);
}

/** A path segment: the injection classes that REST paths carry (the whole path was already
 * checked for traversal, CRLF and the rest). */
function segmentDetectors(p: usize, len: usize, f: u32): void {
  const lead = leadContext(p, len);
  if ((f & (F_SQUOTE | F_DQUOTE | F_PAREN | F_SEMI | F_EQ | F_HASH | F_DASH | F_STAR | F_AT | F_COMMA | F_PIPE | F_AMP)) != 0 || (lead && len < 4096)) {
    detectSqli(p, len, f, lead);
  }
  if ((f & (F_SEMI | F_PIPE | F_AMP | F_BACKTICK | F_DOLLAR | F_CRLF | F_BRACE | F_LT | F_PAREN | F_GT)) != 0) detectCmdi(p, len, false);
  if ((f & F_PAREN) != 0) detectLdapi(p, len);
  if ((f & (F_COLON | F_EQ)) == (F_COLON | F_EQ)) detectLdapExtensible(p, len);
  if ((f & F_DOLLAR) != 0 && (f & F_BRACKET) == 0 || (f & (F_PAREN | F_DOT)) == (F_PAREN | F_DOT) ||
      (f & (F_SEMI | F_PAREN | F_BRACE)) == (F_SEMI | F_PAREN | F_BRACE)) detectNosqlValue(p, len);
  if ((f & (F_SLASH | F_BSLASH | F_DOT | F_COLON)) != 0) detectTraversal(p, len, false);
  if ((f & (F_COLON | F_BSLASH)) != 0) detectRfi(p, len);
  if ((f & (F_LT | F_SQUOTE | F_DQUOTE | F_COLON | F_PAREN | F_BACKTICK)) != 0) detectXss(p, len, f);
  if ((f & (F_DOLLAR | F_BRACE | F_HASH)) != 0) detectSsti(p, len);
}

/** Letters, digits, spaces and . , - ! ' only: SQL from the start of the value or after a
 * quote (1 or 1=1 needs '=', but `1 union select 1` does not), JavaScript after a quote, a
 * command line as a short value, a bare address, serialized objects in base64. */
function lightDetectors(p: usize, len: usize, where: Where, f: u32): void {
  if (where == Where.JsonKey || where == Where.FormKey || where == Where.QueryKey) detectPrototypeKey(p, len);
  const param = where != Where.Path && where != Where.Segment;
  const lead = leadContext(p, len);
  if ((f & F_SQUOTE) != 0 || (lead && len < 4096)) {
    detectSqli(p, len, f, lead && (where != Where.Text || len <= 512) && (where != Where.Xml || len <= 512));
  }
  if ((f & F_SQUOTE) != 0) detectXss(p, len, f);
  if (lead && param && len <= 512) detectLeadCommand(p, len);
  if (param && lead && len <= 64) detectSsrf(p, len);
  if ((f & F_HIGH) != 0) detectCrlf(p, len, where == Where.Query || where == Where.QueryKey);
  if (len == 1 && load<u8>(p) == 0x2a) detectLdapi(p, len);
  if (len >= 8) detectDeserializationGated(p, len, f);
}

/** What a short plain value can be: a bare address (127.1, localhost), a command alone
 * (whoami), a boolean probe (1 or 1), base64 of something worse. */
function tinyDetectors(p: usize, len: usize, where: Where): void {
  if (where == Where.JsonKey || where == Where.FormKey || where == Where.QueryKey) {
    if (len >= 9) {
      scan.valuePtr = p;
      scan.valueLen = len;
      detectPrototypeKey(p, len);
    }
    return;
  }
  const s = scan;
  s.valuePtr = p;
  s.valueLen = len;
  const param = where != Where.Path && where != Where.Segment && where != Where.Header && where != Where.Cookie;
  if (param) {
    detectSsrf(p, len);
    detectLeadCommand(p, len);
  }
  let space = false;
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) == 0x20) space = true;
  if (space && leadContext(p, len)) detectSqli(p, len, 0, true);
  if (len >= 8) {
    detectDeserializationGated(p, len, 0);
    if (s.depth < MAX_DECODE_DEPTH && where != Where.Path) candidates(p, len, where);
  }
}
