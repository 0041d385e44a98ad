// Request body inspection, streaming: each chunk is parsed as it arrives and every complete
// value is judged at once; only the part of the body that is still incomplete (a JSON string
// or form value cut by the chunk edge, a multipart part, an XML document) is kept, in
// `pending`, and the filter holds that much upstream (StopIterationAndBuffer) so an unjudged
// value is never forwarded. Kinds:
//   form       application/x-www-form-urlencoded: each key and value (body.form.<key>)
//   json       every key and string value, nested (body.json.<path>), via json/json-reader.ts
//              fed in pieces; a `query` string holding GraphQL is inspected by its literals
//   multipart  multipart/form-data: field values, file names, text file contents
//              (body.multipart.<name>, body.multipart.<name>.filename)
//   xml        XML and SOAP: the document's DOCTYPE and entities, text, CDATA and attribute
//              values (body.xml.<element>), once the document (or the window) is complete
//   text       anything else that is text: windows of MAX_VALUE_BYTES (body)
// The inspection window is limits.maxBodyBytes; bytes beyond it pass uninspected and are
// counted (meshward.body_truncated).
import { ByteBuffer } from "../bytes";
import { JsonReader, JsonToken } from "../json/json-reader";
import { Metric, count } from "../metrics";
import { Findings } from "../score";
import { MAX_VALUE_BYTES, scan } from "./scan";
import { atNoCase, findNoCase, isAlpha, isSpace, plainWord, printablePercent } from "./text";
import { Where, inspectValue } from "./value";
import { detectXxe } from "../detect/xxe";
import { detectDeserialization } from "../detect/deserialization";
import { prototypeInLocation } from "../detect/prototype";
import { isCommandWord } from "../detect/cmdi";

export const enum BodyKind {
  None = 0,
  Form,
  Json,
  Multipart,
  Xml,
  Text,
  Binary,
}

const MAX_KEY: usize = 256;
const PENDING_CAP: usize = 2 * MAX_VALUE_BYTES;
const scratch = new ByteBuffer(256);
const loc = new ByteBuffer(128);

export function bodyKind(ct: usize, len: usize): BodyKind {
  if (len == 0) return BodyKind.None;
  const e = ct + len;
  if (findNoCase(ct, len, "x-www-form-urlencoded", 0) >= 0) return BodyKind.Form;
  if (findNoCase(ct, len, "multipart/form-data", 0) >= 0) return BodyKind.Multipart;
  if (findNoCase(ct, len, "json", 0) >= 0) return BodyKind.Json;
  if (findNoCase(ct, len, "xml", 0) >= 0 || findNoCase(ct, len, "soap", 0) >= 0) return BodyKind.Xml;
  if (atNoCase(ct, e, "text/") || findNoCase(ct, len, "graphql", 0) >= 0 || findNoCase(ct, len, "javascript", 0) >= 0 || findNoCase(ct, len, "yaml", 0) >= 0) return BodyKind.Text;
  if (findNoCase(ct, len, "grpc", 0) >= 0 || findNoCase(ct, len, "protobuf", 0) >= 0 || atNoCase(ct, e, "image/") ||
      atNoCase(ct, e, "audio/") || atNoCase(ct, e, "video/") || findNoCase(ct, len, "octet-stream", 0) >= 0 ||
      findNoCase(ct, len, "zip", 0) >= 0 || findNoCase(ct, len, "pdf", 0) >= 0) return BodyKind.Binary;
  return BodyKind.Text;
}

export class BodyInspector {
  kind: BodyKind = BodyKind.None;
  readonly findings: Findings = new Findings();
  private readonly reader: JsonReader = new JsonReader();
  private readonly pending: ByteBuffer = new ByteBuffer(1024);
  private readonly key: ByteBuffer = new ByteBuffer(64);
  private readonly boundary: ByteBuffer = new ByteBuffer(72);
  /** Bytes of body seen so far (against the window). */
  seen: usize = 0;
  window: usize = 0;
  truncated: bool = false;
  done: bool = false;
  // Request accounting restored around each chunk.
  inspectedBytes: usize = 0;
  params: i32 = 0;
  exclusionMask: u32 = 0;
  /** `pending` holds only bytes already judged (a window overlap). */
  private judged: bool = false;
  // form state
  private inValue: bool = false;
  // json state
  private jsonStarted: bool = false;
  private jsonFailed: bool = false;
  private sniffed: bool = false;

  start(kind: BodyKind, contentType: usize, ctLen: usize, window: usize): void {
    this.kind = kind;
    this.findings.reset();
    this.pending.reset();
    this.key.reset();
    this.boundary.reset();
    this.seen = 0;
    this.window = window;
    this.truncated = false;
    this.done = false;
    this.inValue = false;
    this.judged = false;
    this.jsonStarted = false;
    this.jsonFailed = false;
    this.sniffed = kind != BodyKind.Text;
    if (kind == BodyKind.Multipart) this.parseBoundary(contentType, ctLen);
  }

  /** Nothing unjudged is held (the stream may release what it holds). */
  get idle(): bool {
    return (this.pending.len == 0 || this.judged) && !(this.kind == BodyKind.Form && this.inValue && this.pending.len > 0 && !this.judged);
  }

  release(): void {
    this.pending.shrink(4096);
    this.key.shrink(1024);
  }

  /** Feed the next body bytes; `last` at the end of the body. */
  feed(p: usize, len: usize, last: bool): void {
    if (this.done) return;
    if (this.seen + len > this.window) {
      len = this.window > this.seen ? this.window - this.seen : 0;
      if (!this.truncated) {
        this.truncated = true;
        count(Metric.BodyTruncated);
      }
      last = true;
    }
    this.seen += len;
    if (len > 0) this.judged = false;
    if (!this.sniffed && len > 0) {
      this.sniffed = true;
      const c = load<u8>(p);
      if (c == 0x7b || c == 0x5b) this.kind = BodyKind.Json;
      else if (c == 0x3c) this.kind = BodyKind.Xml;
    }
    const kind = this.kind;
    if (kind == BodyKind.Form) this.form(p, len, last);
    else if (kind == BodyKind.Json) this.json(p, len, last);
    else if (kind == BodyKind.Multipart) this.multipart(p, len, last);
    else if (kind == BodyKind.Xml) this.xml(p, len, last);
    else if (kind == BodyKind.Binary) this.binary(p, len, last);
    else this.text(p, len, last);
    if (last) {
      this.done = true;
      this.pending.reset();
      this.inValue = false;
    }
  }

  // ---- form ----

  private form(p: usize, len: usize, last: bool): void {
    let i: usize = 0;
    while (i < len) {
      const c = load<u8>(p + i);
      if (c == 0x26) {
        this.formEmit();
        i++;
        continue;
      }
      if (!this.inValue) {
        if (c == 0x3d) {
          this.inValue = true;
        } else if (this.key.len < MAX_KEY) {
          this.key.byte(c);
        }
        i++;
        continue;
      }
      // value bytes up to the next '&'
      let e = i;
      while (e < len && load<u8>(p + e) != 0x26) e++;
      this.pending.bytes(p + i, e - i);
      if (this.pending.len >= PENDING_CAP) {
        this.formValue(false);
        // keep an overlap
        const keep: usize = 512;
        memory.copy(this.pending.ptr, this.pending.ptr + this.pending.len - keep, keep);
        this.pending.len = keep;
      }
      i = e;
    }
    if (last) this.formEmit();
  }

  private formEmit(): void {
    if (this.key.len > 0 || this.pending.len > 0) this.formValue(true);
    this.key.reset();
    this.pending.reset();
    this.inValue = false;
  }

  private formValue(keyToo: bool): void {
    loc.reset();
    // decoded key in the location
    scratch.reset();
    scratch.bytes(this.key.ptr, this.key.len);
    scan.setLocation("body.form", scratch.ptr, scratch.len);
    if (keyToo && this.key.len > 0) inspectValue(this.key.ptr, this.key.len, Where.FormKey);
    if (this.pending.len > 0) inspectValue(this.pending.ptr, this.pending.len, Where.Form);
  }

  // ---- json ----

  private json(p: usize, len: usize, last: bool): void {
    if (this.jsonFailed) {
      this.text(p, len, last);
      return;
    }
    const pend = this.pending;
    // Nothing held from the previous chunk: parse the chunk where it is (no copy), and keep
    // only its unconsumed tail.
    const inPlace = pend.len == 0;
    if (!inPlace) pend.bytes(p, len);
    const base = inPlace ? p : pend.ptr;
    const blen = inPlace ? len : pend.len;
    const r = this.reader;
    if (!this.jsonStarted) {
      this.jsonStarted = true;
      r.reset(base, blen, last);
    } else {
      r.feed(base, blen, last);
    }
    while (true) {
      const t = r.next();
      if (t == JsonToken.NeedMore) break;
      if (t == JsonToken.End) break;
      if (t == JsonToken.Error) {
        // Not JSON after all: the rest is inspected as text.
        this.jsonFailed = true;
        const c = r.consumedInPiece();
        const start = c > 64 ? c - 64 : 0;
        scan.setLocationRaw("body");
        inspectValue(base + start, blen - start, Where.Text);
        pend.reset();
        return;
      }
      if (t == JsonToken.Key || t == JsonToken.String) {
        this.jsonString(t == JsonToken.Key);
      }
    }
    // The piece is the host's chunk or `pending`, which is rewritten below: the reader copies
    // the keys of open objects out of it.
    if (!last) r.detach();
    // Keep the unconsumed tail for the next piece.
    const used = r.consumedInPiece();
    const rest = blen - used;
    if (inPlace) {
      pend.reset();
      pend.bytes(base + used, rest);
    } else {
      if (rest > 0 && used > 0) memory.copy(pend.ptr, pend.ptr + used, rest);
      pend.len = rest;
    }
    if (rest > PENDING_CAP) {
      // One token longer than the cap: inspect it raw and go on as text.
      this.jsonFailed = true;
      scan.setLocationRaw("body.json");
      inspectValue(pend.ptr, pend.len, Where.Text);
      pend.reset();
    }
  }

  private jsonString(isKey: bool): void {
    const r = this.reader;
    let vp = r.tokenStart;
    let vl = r.tokenEnd - r.tokenStart;
    if (scan.paramsCapped && !r.escaped) {
      // Past the parameter limit strings are counted, not inspected (inspect/value.ts); a key
      // can still complete a constructor.prototype path, which the location shows.
      scan.params++;
      if (isKey && vl == 9 && findNoCase(vp, vl, "proto", 0) >= 0 && r.pathLen >= 21) {
        scan.setLocation("body.json", r.pathPtr, r.pathLen);
        prototypeInLocation();
      }
      return;
    }
    // Most keys and many values are short plain words ("id", "express", "SKU-1"): nothing can
    // be found in them unless they name a command, an address or a prototype.
    if (!r.escaped && vl <= 16 && plainWord(vp, vl)) {
      if (isKey ? findNoCase(vp, vl, "proto", 0) < 0 : !tinyMatters(vp, vl)) {
        scan.params++;
        return;
      }
    }
    if (!isKey && scan.paramsCapped) {
      // Past the parameter limit values are counted, not inspected (inspect/value.ts).
      scan.params++;
      return;
    }
    scan.setLocation("body.json", r.pathPtr, r.pathLen);
    if (r.escaped) {
      scratch.reset();
      r.stringInto(scratch);
      vp = scratch.ptr;
      vl = scratch.len;
    }
    if (isKey) {
      inspectValue(vp, vl, Where.JsonKey);
      // constructor → prototype across two keys: the path says it
      if (vl == 9 && r.pathLen >= 21) prototypeInLocation();
      return;
    }
    // GraphQL documents (the `query` member): inspect their string literals, not the syntax.
    if (lastKeyIs(r.pathPtr, r.pathLen, "query") && looksLikeGraphql(vp, vl)) {
      graphqlStrings(vp, vl);
      return;
    }
    inspectValue(vp, vl, Where.JsonString);
  }

  // ---- multipart ----

  private parseBoundary(ct: usize, len: usize): void {
    const at = findNoCase(ct, len, "boundary=", 0);
    if (at < 0) return;
    let i = <usize>at + 9;
    let e = len;
    if (i < len && load<u8>(ct + i) == 0x22) {
      i++;
      e = i;
      while (e < len && load<u8>(ct + e) != 0x22) e++;
    } else {
      e = i;
      while (e < len && load<u8>(ct + e) != 0x3b && !isSpace(load<u8>(ct + e))) e++;
    }
    if (e - i > 70 || e == i) return;
    this.boundary.ascii("--");
    this.boundary.bytes(ct + i, e - i);
  }

  private multipart(p: usize, len: usize, last: bool): void {
    const b = this.boundary;
    if (b.len == 0) {
      this.text(p, len, last);
      return;
    }
    const pend = this.pending;
    pend.bytes(p, len);
    // Complete parts: from one delimiter to the next.
    while (true) {
      const first = find(pend.ptr, pend.len, b.ptr, b.len, 0);
      if (first < 0) {
        if (pend.len > PENDING_CAP) this.dropKeep(b.len + 4);
        break;
      }
      const hs = <usize>first + b.len;
      const next = find(pend.ptr, pend.len, b.ptr, b.len, hs);
      if (next < 0) {
        if (pend.len - <usize>first > PENDING_CAP) {
          // A large part (an upload): inspect its first window now, skip the rest.
          this.part(pend.ptr + hs, pend.len - hs, true);
          const keep = b.len + 4;
          memory.copy(pend.ptr, pend.ptr + pend.len - keep, keep);
          pend.len = keep;
        }
        break;
      }
      let pe = <usize>next;
      if (pe >= 2 && load<u8>(pend.ptr + pe - 2) == 0x0d) pe -= 2;
      this.part(pend.ptr + hs, pe - hs, false);
      // drop up to the next delimiter
      const rest = pend.len - <usize>next;
      memory.copy(pend.ptr, pend.ptr + <usize>next, rest);
      pend.len = rest;
    }
    if (last && pend.len > 0) {
      const first = find(pend.ptr, pend.len, b.ptr, b.len, 0);
      if (first >= 0 && pend.len > <usize>first + b.len + 2) this.part(pend.ptr + <usize>first + b.len, pend.len - <usize>first - b.len, true);
      pend.reset();
    }
  }

  private dropKeep(keep: usize): void {
    const pend = this.pending;
    if (pend.len <= keep) return;
    memory.copy(pend.ptr, pend.ptr + pend.len - keep, keep);
    pend.len = keep;
  }

  /** One part [p, p+len): CRLF, headers, blank line, content. */
  private part(p: usize, len: usize, cut: bool): void {
    if (len >= 2 && load<u8>(p) == 0x2d && load<u8>(p + 1) == 0x2d) return; // closing delimiter
    // Headers end at a blank line: CRLF CRLF, or LF LF, which lenient servers accept too.
    let he = find(p, len, changetype<usize>(CRLF2), 4, 0);
    let sep: usize = 4;
    if (he < 0) {
      he = find(p, len, changetype<usize>(LF2), 2, 0);
      if (he < 0) return;
      sep = 2;
    }
    const hl = <usize>he;
    const cs = hl + sep;
    const headers = p;
    const name = param(headers, hl, "name=");
    const file = param(headers, hl, "filename=");
    const nameP = name >= 0 ? headers + <usize>name : 0;
    const nameL = name >= 0 ? paramLen(headers, hl, <usize>name) : 0;
    if (file >= 0) {
      const fp = headers + <usize>file;
      const fl = paramLen(headers, hl, <usize>file);
      loc.reset();
      scan.setLocation("body.multipart", nameP, nameL);
      scan.location.ascii(".filename");
      inspectValue(fp, fl, Where.Filename);
      // file content: text files are inspected, binaries checked for serialized objects only
      const content = p + cs;
      const clen = len > cs ? len - cs : 0;
      scan.setLocation("body.multipart", nameP, nameL);
      const window = clen < MAX_VALUE_BYTES ? clen : MAX_VALUE_BYTES;
      if (window > 0) {
        if (printablePercent(content, window < 512 ? window : 512) >= 90) inspectValue(content, window, Where.Text);
        else detectDeserialization(content, window < 64 ? window : 64);
      }
      return;
    }
    scan.setLocation("body.multipart", nameP, nameL);
    // The field name is a key like a form's (`name="../../etc/passwd"`).
    if (nameL > 0) inspectValue(nameP, nameL, Where.FormKey);
    // A part's content is taken as sent: '+' is not a space outside url-encoded forms.
    if (len > cs) inspectValue(p + cs, len - cs, Where.Multipart);
  }

  // ---- xml ----

  private xml(p: usize, len: usize, last: bool): void {
    const pend = this.pending;
    pend.bytes(p, len);
    if (!last && pend.len < this.window && pend.len < PENDING_CAP * 4) return;
    scan.setLocationRaw("body.xml");
    scan.valuePtr = pend.ptr;
    scan.valueLen = pend.len;
    detectXxe(pend.ptr, pend.len);
    xmlValues(pend.ptr, pend.len);
    pend.reset();
  }

  // ---- text and binary ----

  private text(p: usize, len: usize, last: bool): void {
    const pend = this.pending;
    if (pend.len == 0 && (len >= MAX_VALUE_BYTES || last)) {
      // Nothing held: inspect the chunk where it is (no copy), keep only the overlap.
      scan.setLocationRaw("body");
      inspectValue(p, len, Where.Text);
      if (!last) {
        const keep: usize = len < 512 ? len : 512;
        pend.bytes(p + len - keep, keep);
        this.judged = true;
      }
      return;
    }
    pend.bytes(p, len);
    if (pend.len >= MAX_VALUE_BYTES || last) {
      scan.setLocationRaw("body");
      inspectValue(pend.ptr, pend.len, Where.Text);
      if (last) {
        pend.reset();
      } else {
        const keep: usize = 512;
        memory.copy(pend.ptr, pend.ptr + pend.len - keep, keep);
        pend.len = keep;
        // the kept overlap was judged already: nothing unjudged is held
        this.judged = true;
      }
    }
  }

  private binary(p: usize, len: usize, _last: bool): void {
    if (this.seen == len && len > 0) {
      scan.setLocationRaw("body");
      scan.valuePtr = p;
      scan.valueLen = len;
      detectDeserialization(p, len < 64 ? len : 64);
    }
  }
}

const CRLF2 = String.UTF8.encode("\r\n\r\n");
const LF2 = String.UTF8.encode("\n\n");

/** Offset of needle in haystack from `from`, or -1. */
function find(h: usize, hl: usize, n: usize, nl: usize, from: usize): isize {
  if (nl == 0 || hl < nl) return -1;
  const first = load<u8>(n);
  for (let i = from; i + nl <= hl; i++) {
    if (load<u8>(h + i) == first && memory.compare(h + i, n, nl) == 0) return <isize>i;
  }
  return -1;
}

/** Offset of a Content-Disposition parameter's value (after `name="`), or -1. */
function param(h: usize, hl: usize, name: string): isize {
  let from: usize = 0;
  while (true) {
    const at = findNoCase(h, hl, name, from);
    if (at < 0) return -1;
    const a = <usize>at;
    from = a + 1;
    // "name=" must not be the tail of "filename="
    if (a > 0 && isAlpha(load<u8>(h + a - 1))) continue;
    let v = a + <usize>name.length;
    if (v < hl && load<u8>(h + v) == 0x22) v++;
    return <isize>v;
  }
  return -1;
}

function paramLen(h: usize, hl: usize, v: usize): usize {
  const quoted = v > 0 && load<u8>(h + v - 1) == 0x22;
  let e = v;
  while (e < hl) {
    const c = load<u8>(h + e);
    if (quoted ? c == 0x22 : (c == 0x3b || c == 0x0d || c == 0x0a)) break;
    e++;
  }
  return e - v;
}

function looksLikeGraphql(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  const e = p + len;
  if (!(atNoCase(p + i, e, "query") || atNoCase(p + i, e, "mutation") || atNoCase(p + i, e, "subscription") ||
      atNoCase(p + i, e, "fragment") || (i < len && load<u8>(p + i) == 0x7b))) return false;
  // braces balance roughly and there is a selection set
  let open = 0;
  let close = 0;
  for (let k: usize = 0; k < len; k++) {
    const c = load<u8>(p + k);
    if (c == 0x7b) open++;
    else if (c == 0x7d) close++;
  }
  return open > 0 && open == close;
}

/** Inspect each string literal of a GraphQL document, and the names around it. */
function graphqlStrings(p: usize, len: usize): void {
  const base = scan.location.len;
  scan.location.ascii(".graphql");
  let i: usize = 0;
  let n = 0;
  while (i < len && n < 256) {
    const c = load<u8>(p + i);
    if (c == 0x22) {
      let e = i + 1;
      if (e + 1 < len && load<u8>(p + e) == 0x22 && load<u8>(p + e + 1) == 0x22) {
        // block string
        e += 2;
        const s = e;
        while (e + 2 < len && !(load<u8>(p + e) == 0x22 && load<u8>(p + e + 1) == 0x22 && load<u8>(p + e + 2) == 0x22)) e++;
        inspectValue(p + s, e - s, Where.JsonString);
        i = e + 3;
        n++;
        continue;
      }
      const s = e;
      while (e < len && load<u8>(p + e) != 0x22) {
        if (load<u8>(p + e) == 0x5c) e++;
        e++;
      }
      if (e > len) e = len;
      scratch.reset();
      for (let k = s; k < e; k++) {
        const d = load<u8>(p + k);
        if (d == 0x5c && k + 1 < e) {
          const x = load<u8>(p + k + 1);
          if (x == 0x22 || x == 0x5c || x == 0x2f) {
            scratch.byte(x);
            k++;
            continue;
          }
          if (x == 0x6e) {
            scratch.byte(0x0a);
            k++;
            continue;
          }
        }
        scratch.byte(d);
      }
      inspectValue(scratch.ptr, scratch.len, Where.JsonString);
      i = e + 1;
      n++;
      continue;
    }
    if (c == 0x23) { // comment: a place to hide a payload
      let e = i + 1;
      while (e < len && load<u8>(p + e) != 0x0a) e++;
      inspectValue(p + i + 1, e - i - 1, Where.Text);
      i = e;
      continue;
    }
    i++;
  }
  scan.location.truncate(base);
}

/** Text nodes, CDATA sections and attribute values of an XML document. */
function xmlValues(p: usize, len: usize): void {
  let i: usize = 0;
  const elem = new ByteBuffer(32);
  let values = 0;
  while (i < len && values < 1024) {
    const c = load<u8>(p + i);
    if (c == 0x3c) {
      if (i + 8 < len && atNoCase(p + i, p + len, "<![cdata[")) {
        const s = i + 9;
        let e = s;
        while (e + 2 < len && !(load<u8>(p + e) == 0x5d && load<u8>(p + e + 1) == 0x5d && load<u8>(p + e + 2) == 0x3e)) e++;
        if (e + 2 >= len) e = len;
        scan.setLocation("body.xml", elem.ptr, elem.len);
        inspectValue(p + s, e - s, Where.Xml);
        values++;
        i = e + 3;
        continue;
      }
      if (i + 1 < len && (load<u8>(p + i + 1) == 0x21 || load<u8>(p + i + 1) == 0x3f)) {
        // comments, declarations, processing instructions: skip to '>'
        let e = i + 1;
        let depth = 0;
        while (e < len) {
          const d = load<u8>(p + e);
          if (d == 0x5b) depth++;
          else if (d == 0x5d) depth--;
          else if (d == 0x3e && depth <= 0) break;
          e++;
        }
        i = e + 1;
        continue;
      }
      // a tag: its name and attribute values
      let e = i + 1;
      const closing = e < len && load<u8>(p + e) == 0x2f;
      if (closing) e++;
      const ns = e;
      while (e < len && !isSpace(load<u8>(p + e)) && load<u8>(p + e) != 0x3e && load<u8>(p + e) != 0x2f) e++;
      if (!closing) {
        elem.reset();
        // local name (without prefix)
        let s = ns;
        for (let k = ns; k < e; k++) if (load<u8>(p + k) == 0x3a) s = k + 1;
        elem.bytes(p + s, e - s < 64 ? e - s : 64);
      }
      while (e < len && load<u8>(p + e) != 0x3e) {
        const d = load<u8>(p + e);
        if (d == 0x22 || d == 0x27) {
          const s = e + 1;
          let f = s;
          while (f < len && load<u8>(p + f) != d) f++;
          scan.setLocation("body.xml", elem.ptr, elem.len);
          scan.location.ascii("@");
          inspectValue(p + s, f - s, Where.Xml);
          values++;
          e = f + 1;
          continue;
        }
        e++;
      }
      i = e + 1;
      continue;
    }
    // text up to the next tag
    let e = i;
    while (e < len && load<u8>(p + e) != 0x3c) e++;
    let s = i;
    while (s < e && isSpace(load<u8>(p + s))) s++;
    if (e > s) {
      scan.setLocation("body.xml", elem.ptr, elem.len);
      inspectValue(p + s, e - s, Where.Xml);
      values++;
    }
    i = e;
  }
}

function lastKeyIs(p: usize, len: usize, key: string): bool {
  const n = <usize>key.length;
  if (len < n) return false;
  if (len > n && load<u8>(p + len - n - 1) != 0x2e) return false;
  return atNoCase(p + len - n, p + len, key);
}

/** Could one of the short-value detectors fire (see inspect/value.ts tinyDetectors)? */
function tinyMatters(p: usize, len: usize): bool {
  if (len >= 8) return true; // base64 and serialized-object candidates, addresses
  let digit = false;
  let dot = false;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x20) return true; // 1 or 1
    if (c >= 0x30 && c <= 0x39) digit = true;
    else if (c == 0x2e) dot = true;
  }
  if (digit && dot) return true; // 127.1, 0x7f.1
  return isCommandWord(p, len);
}
