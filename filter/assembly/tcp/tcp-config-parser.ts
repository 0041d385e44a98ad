// The TCP fields of the configuration document, read from the config parser's JsonReader where
// it stands (config/config-parser.ts hands over at the field's value and takes the error back):
//   ingress[].ports      [int 1..65535]
//   ingress[].protocols  [protocol names: postgres, mysql, redis, http, http2, grpc, tls, ...]
//   ingress[].postgres / .mysql  [{statements: [KIND | "*"], tables: [name | prefix* | *]}]
//   ingress[].redis      [{commands: [name | "@category" | "*"], keys: [key | prefix* | *]}]
//   egress               [{id, name, to: [{fqdn, ports}]}]
//   tcp                  {threats: block|alert|off, maxStatementBytes, maxIdentifyBytes}
// Errors name the field path, the rule and the value found (strings and numbers as written, where
// the other sections name the kind of token: Found.Value). Unknown fields here are skipped but,
// unlike the other sections' ones, not listed for the debug line.
import { JsonReader, JsonToken } from "../json/json-reader";
import { ConfigReader, FIELD_END, FIELD_FAIL, Found } from "../config/config-reader";
import { DetectAction } from "../config/waf-config";
import { protoByName } from "./identify";
import {
  EgressRule, EgressTo, FqdnPattern, Kind, NamePattern, RedisMatch, SqlMatch,
  TCP_DEFAULT, TcpConfig, compileName, kindBit, kindByName,
} from "./tcp-config";

const SQL_FIELDS: StaticArray<string> = ["statements", "tables"];
const REDIS_FIELDS: StaticArray<string> = ["commands", "keys"];
const EGRESS_FIELDS: StaticArray<string> = ["id", "name", "to"];
const TO_FIELDS: StaticArray<string> = ["fqdn", "ports"];
const TCP_FIELDS: StaticArray<string> = ["threats", "maxStatementBytes", "maxIdentifyBytes"];

export class TcpConfigParser {
  private doc: ConfigReader;
  private r: JsonReader;

  /** Reads from `doc`, the document the config parser walks. */
  constructor(doc: ConfigReader) {
    this.doc = doc;
    this.r = doc.json;
  }

  ports(): StaticArray<u32> | null {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return null;
    const out = new Array<u32>();
    while (true) {
      const t = doc.next();
      if (t == JsonToken.EndArray) break;
      const r = this.r;
      if (t != JsonToken.Number || !r.numInteger || r.numNegative || r.numOverflow || r.numValue < 1 || r.numValue > 65535) {
        doc.mustBe(t, "a port number (1-65535)", Found.Value);
        return null;
      }
      out.push(<u32>r.numValue);
    }
    return StaticArray.fromArray(out);
  }

  /** A mask of Proto bits. */
  protocols(): u32 {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return 0;
    let mask: u32 = 0;
    while (doc.element(JsonToken.String, "a protocol name", Found.Value)) {
      const r = this.r;
      const p = protoByName(r.tokenStart, r.tokenEnd - r.tokenStart);
      if (p < 0) {
        doc.fail("is not a protocol this filter identifies, found " + this.foundString());
        return 0;
      }
      mask |= <u32>1 << <u32>p;
    }
    if (mask == 0) doc.fail("must list at least one protocol");
    return mask;
  }

  sql(): StaticArray<SqlMatch> | null {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return null;
    const out = new Array<SqlMatch>();
    while (doc.element(JsonToken.BeginObject, "an object", Found.Value)) {
      let kinds: u32 = 0;
      let tables: StaticArray<NamePattern> | null = null;
      while (true) {
        const f = doc.field(SQL_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) kinds = this.kinds();
        else tables = this.names(true);
      }
      if (!doc.required(SQL_FIELDS, 0b11)) return null;
      out.push(new SqlMatch(kinds, tables!));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private kinds(): u32 {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return 0;
    let mask: u32 = 0;
    while (doc.element(JsonToken.String, "a statement kind", Found.Value)) {
      const r = this.r;
      const k = kindByName(r.tokenStart, r.tokenEnd - r.tokenStart);
      if (k == -2) mask = 0xffffffff;
      else if (k < 0) {
        doc.fail("is not a statement kind (SELECT, INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY, DDL, GRANT, TRANSACTION, SESSION, CALL, LOCK, MAINTENANCE, OTHER, UNION or *), found " + this.foundString());
        return 0;
      } else mask |= kindBit(<Kind>k);
    }
    if (mask == 0) doc.fail("must list at least one statement kind");
    return mask;
  }

  private names(lower: bool): StaticArray<NamePattern> | null {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return null;
    const out = new Array<NamePattern>();
    let star: NamePattern | null = null;
    while (true) {
      const t = doc.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String || this.r.tokenEnd == this.r.tokenStart) {
        doc.mustBe(t, "a non-empty string", Found.Value);
        return null;
      }
      const pattern = compileName(this.r.stringBytes(), lower);
      if (pattern.kind == 0) star = pattern; // "*": any name; the list is still read to its end
      else out.push(pattern);
    }
    // "*" anywhere in the list: any, whatever else it names
    if (star !== null) return StaticArray.fromArray<NamePattern>([star]);
    return StaticArray.fromArray(out);
  }

  redis(): StaticArray<RedisMatch> | null {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return null;
    const out = new Array<RedisMatch>();
    while (doc.element(JsonToken.BeginObject, "an object", Found.Value)) {
      let any = false;
      let categories: u32 = 0;
      const commands = new Array<ArrayBuffer>();
      let keys: StaticArray<NamePattern> | null = null;
      while (true) {
        const f = doc.field(REDIS_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) {
          if (!doc.beginArray(Found.Value)) return null;
          while (true) {
            const u = doc.next();
            if (u == JsonToken.EndArray) break;
            if (u != JsonToken.String || this.r.tokenEnd == this.r.tokenStart) {
              doc.mustBe(u, "a command name, @category or *", Found.Value);
              return null;
            }
            const r = this.r;
            const s = r.tokenStart;
            const n = r.tokenEnd - r.tokenStart;
            if (n == 1 && load<u8>(s) == 0x2a) {
              any = true;
            } else if (load<u8>(s) == 0x40) {
              const c = categoryByName(s + 1, n - 1);
              if (c == 0) {
                doc.fail("is not a command category (@read, @write, @admin, @dangerous, @pubsub, @connection, @scripting, @transaction), found " + this.foundString());
                return null;
              }
              categories |= c;
            } else {
              const b = r.stringBytes();
              const bp = changetype<usize>(b);
              for (let i = 0; i < b.byteLength; i++) {
                const c = load<u8>(bp + i);
                if (c >= 0x41 && c <= 0x5a) store<u8>(bp + i, c | 0x20);
              }
              commands.push(b);
            }
          }
          if (!any && categories == 0 && commands.length == 0) {
            doc.fail("must list at least one command");
            return null;
          }
        } else {
          keys = this.names(false);
        }
      }
      if (!doc.required(REDIS_FIELDS, 0b11)) return null;
      out.push(new RedisMatch(any, StaticArray.fromArray(commands), categories, keys!));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  egress(): StaticArray<EgressRule> | null {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return null;
    const out = new Array<EgressRule>();
    while (doc.element(JsonToken.BeginObject, "an object", Found.Value)) {
      let id: ArrayBuffer | null = null;
      let name: ArrayBuffer | null = null;
      let to: StaticArray<EgressTo> | null = null;
      while (true) {
        const f = doc.field(EGRESS_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) id = this.string(true);
        else if (f == 1) name = this.string(false);
        else to = this.egressTo();
      }
      if (!doc.required(EGRESS_FIELDS, 0b111)) return null;
      out.push(new EgressRule(id!, name!, to!));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private egressTo(): StaticArray<EgressTo> | null {
    const doc = this.doc;
    if (!doc.beginArray(Found.Value)) return null;
    const out = new Array<EgressTo>();
    while (doc.element(JsonToken.BeginObject, "an object", Found.Value)) {
      let fqdn: FqdnPattern | null = null;
      let ports: StaticArray<u32> | null = null;
      while (true) {
        const f = doc.field(TO_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) {
          const s = this.string(true);
          if (s !== null) {
            fqdn = compileFqdn(s);
            if (fqdn === null) doc.fail("must be a host name, *.<domain> or *");
          }
        } else {
          ports = this.ports();
        }
      }
      if (!doc.required(TO_FIELDS, 0b11)) return null;
      out.push(new EgressTo(fqdn!, ports!));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  /** The `tcp` object; egress is set by the caller. */
  settings(egress: StaticArray<EgressRule> | null): TcpConfig | null {
    const doc = this.doc;
    if (!doc.beginObject(Found.Value)) return null;
    let threats = TCP_DEFAULT.threats;
    let maxStatement = TCP_DEFAULT.maxStatementBytes;
    let maxIdentify = TCP_DEFAULT.maxIdentifyBytes;
    while (true) {
      const f = doc.field(TCP_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) {
        const t = doc.next();
        const r = this.r;
        if (t == JsonToken.String && r.is("block")) threats = DetectAction.Block;
        else if (t == JsonToken.String && r.is("alert")) threats = DetectAction.Alert;
        else if (t == JsonToken.String && r.is("off")) threats = DetectAction.Off;
        else doc.mustBe(t, "one of \"block\", \"alert\", \"off\"", Found.Value);
      } else {
        const v = doc.uintBetween(f == 1 ? 64 : 16, f == 1 ? 16777216 : 1048576);
        if (f == 1) maxStatement = v;
        else maxIdentify = v;
      }
    }
    return new TcpConfig(egress, threats, maxStatement, maxIdentify);
  }

  private string(nonEmpty: bool): ArrayBuffer | null {
    const t = this.doc.next();
    if (t != JsonToken.String || (nonEmpty && this.r.tokenEnd == this.r.tokenStart)) {
      this.doc.mustBe(t, nonEmpty ? "a non-empty string" : "a string", Found.Value);
      return null;
    }
    return this.r.stringBytes();
  }

  /** The current string token as these sections' messages show it. */
  private foundString(): string {
    return this.doc.found(JsonToken.String, Found.Value);
  }
}

function categoryByName(p: usize, n: usize): u32 {
  const names: StaticArray<string> = ["read", "write", "admin", "dangerous", "pubsub", "connection", "scripting", "transaction"];
  for (let i = 0; i < names.length; i++) {
    const s = unchecked(names[i]);
    if (<usize>s.length != n) continue;
    let same = true;
    for (let j: usize = 0; j < n; j++) {
      let c = load<u8>(p + j);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (<u32>c != <u32>s.charCodeAt(<i32>j)) {
        same = false;
        break;
      }
    }
    if (same) return <u32>1 << <u32>i;
  }
  return 0;
}

// The bits above are RedisCategory's, in the same order.

/** `*`, `*.domain` or a name: letters, digits, `-`, `.`; lower-cased. */
function compileFqdn(s: ArrayBuffer): FqdnPattern | null {
  const p = changetype<usize>(s);
  const n = <usize>s.byteLength;
  if (n == 1 && load<u8>(p) == 0x2a) return new FqdnPattern(false, true, new ArrayBuffer(0));
  let start: usize = 0;
  let wildcard = false;
  if (n >= 3 && load<u8>(p) == 0x2a && load<u8>(p + 1) == 0x2e) {
    wildcard = true;
    start = 1; // keep the dot
  }
  const out = new ArrayBuffer(<i32>(n - start));
  const o = changetype<usize>(out);
  for (let i = start; i < n; i++) {
    let c = load<u8>(p + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2e || c == 0x5f;
    if (!ok) return null;
    store<u8>(o + i - start, c);
  }
  return new FqdnPattern(wildcard, false, out);
}
