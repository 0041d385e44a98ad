// The TCP fields of the configuration document, read from the config parser's JsonReader where
// it stands (config/config-parser.ts hands over at the field's value and takes the error back):
//   ingress[].ports      [int 1..65535]
//   ingress[].protocols  [protocol names: postgres, mysql, redis, http, http2, grpc, tls, ...]
//   ingress[].postgres / .mysql  [{statements: [KIND | "*"], tables: [name | prefix* | *]}]
//   ingress[].redis      [{commands: [name | "@category" | "*"], keys: [key | prefix* | *]}]
//   egress               [{id, name, to: [{fqdn, ports}]}]
//   tcp                  {threats: block|alert|off, maxStatementBytes, maxIdentifyBytes}
// Errors name the field path, the rule and the value, like the rest of the parser.
import { JsonReader, JsonToken } from "../json/json-reader";
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
  error: string | null = null;
  private r: JsonReader = new JsonReader();

  begin(r: JsonReader): void {
    this.r = r;
    this.error = null;
  }

  ports(): StaticArray<u32> | null {
    if (!this.beginArray()) return null;
    const out = new Array<u32>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      const r = this.r;
      if (t != JsonToken.Number || !r.numInteger || r.numNegative || r.numOverflow || r.numValue < 1 || r.numValue > 65535) {
        this.fail("must be a port number (1-65535), found " + this.found(t));
        return null;
      }
      out.push(<u32>r.numValue);
    }
    return StaticArray.fromArray(out);
  }

  /** A mask of Proto bits. */
  protocols(): u32 {
    if (!this.beginArray()) return 0;
    let mask: u32 = 0;
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String) {
        this.fail("must be a protocol name, found " + this.found(t));
        return 0;
      }
      const r = this.r;
      const p = protoByName(r.tokenStart, r.tokenEnd - r.tokenStart);
      if (p < 0) {
        this.fail("is not a protocol this filter identifies, found " + this.found(t));
        return 0;
      }
      mask |= <u32>1 << <u32>p;
    }
    if (mask == 0) this.fail("must list at least one protocol");
    return mask;
  }

  sql(): StaticArray<SqlMatch> | null {
    if (!this.beginArray()) return null;
    const out = new Array<SqlMatch>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.fail("must be an object, found " + this.found(t));
        return null;
      }
      let seen: u32 = 0;
      let kinds: u32 = 0;
      let tables: StaticArray<NamePattern> | null = null;
      while (true) {
        const f = this.field(SQL_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) kinds = this.kinds();
        else tables = this.names(true);
        if (this.error !== null) return null;
      }
      if (!this.required(SQL_FIELDS, seen, 0b11)) return null;
      out.push(new SqlMatch(kinds, tables!));
    }
    return StaticArray.fromArray(out);
  }

  private kinds(): u32 {
    if (!this.beginArray()) return 0;
    let mask: u32 = 0;
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String) {
        this.fail("must be a statement kind, found " + this.found(t));
        return 0;
      }
      const r = this.r;
      const k = kindByName(r.tokenStart, r.tokenEnd - r.tokenStart);
      if (k == -2) mask = 0xffffffff;
      else if (k < 0) {
        this.fail("is not a statement kind (SELECT, INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY, DDL, GRANT, TRANSACTION, SESSION, CALL, LOCK, MAINTENANCE, OTHER, UNION or *), found " + this.found(t));
        return 0;
      } else mask |= kindBit(<Kind>k);
    }
    if (mask == 0) this.fail("must list at least one statement kind");
    return mask;
  }

  private names(lower: bool): StaticArray<NamePattern> | null {
    if (!this.beginArray()) return null;
    const out = new Array<NamePattern>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String || this.r.tokenEnd == this.r.tokenStart) {
        this.fail("must be a non-empty string, found " + this.found(t));
        return null;
      }
      const pattern = compileName(this.r.stringBytes(), lower);
      if (pattern.kind == 0) return StaticArray.fromArray<NamePattern>([pattern]); // "*": any
      out.push(pattern);
    }
    // "*" anywhere in the list: any (the remaining elements were skipped above)
    return StaticArray.fromArray(out);
  }

  redis(): StaticArray<RedisMatch> | null {
    if (!this.beginArray()) return null;
    const out = new Array<RedisMatch>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.fail("must be an object, found " + this.found(t));
        return null;
      }
      let seen: u32 = 0;
      let any = false;
      let categories: u32 = 0;
      const commands = new Array<ArrayBuffer>();
      let keys: StaticArray<NamePattern> | null = null;
      while (true) {
        const f = this.field(REDIS_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) {
          if (!this.beginArray()) return null;
          while (true) {
            const u = this.next();
            if (u == JsonToken.EndArray) break;
            if (u != JsonToken.String || this.r.tokenEnd == this.r.tokenStart) {
              this.fail("must be a command name, @category or *, found " + this.found(u));
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
                this.fail("is not a command category (@read, @write, @admin, @dangerous, @pubsub, @connection, @scripting, @transaction), found " + this.found(u));
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
            this.fail("must list at least one command");
            return null;
          }
        } else {
          keys = this.names(false);
        }
        if (this.error !== null) return null;
      }
      if (!this.required(REDIS_FIELDS, seen, 0b11)) return null;
      out.push(new RedisMatch(any, StaticArray.fromArray(commands), categories, keys!));
    }
    return StaticArray.fromArray(out);
  }

  egress(): StaticArray<EgressRule> | null {
    if (!this.beginArray()) return null;
    const out = new Array<EgressRule>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.fail("must be an object, found " + this.found(t));
        return null;
      }
      let seen: u32 = 0;
      let id: ArrayBuffer | null = null;
      let name: ArrayBuffer | null = null;
      let to: StaticArray<EgressTo> | null = null;
      while (true) {
        const f = this.field(EGRESS_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) id = this.string(true);
        else if (f == 1) name = this.string(false);
        else to = this.egressTo();
        if (this.error !== null) return null;
      }
      if (!this.required(EGRESS_FIELDS, seen, 0b111)) return null;
      out.push(new EgressRule(id!, name!, to!));
    }
    return StaticArray.fromArray(out);
  }

  private egressTo(): StaticArray<EgressTo> | null {
    if (!this.beginArray()) return null;
    const out = new Array<EgressTo>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.fail("must be an object, found " + this.found(t));
        return null;
      }
      let seen: u32 = 0;
      let fqdn: FqdnPattern | null = null;
      let ports: StaticArray<u32> | null = null;
      while (true) {
        const f = this.field(TO_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) {
          const s = this.string(true);
          if (s !== null) {
            fqdn = compileFqdn(s);
            if (fqdn === null) this.fail("must be a host name, *.<domain> or *");
          }
        } else {
          ports = this.ports();
        }
        if (this.error !== null) return null;
      }
      if (!this.required(TO_FIELDS, seen, 0b11)) return null;
      out.push(new EgressTo(fqdn!, ports!));
    }
    return StaticArray.fromArray(out);
  }

  /** The `tcp` object; egress is set by the caller. */
  settings(egress: StaticArray<EgressRule> | null): TcpConfig | null {
    if (!this.beginObject()) return null;
    let seen: u32 = 0;
    let threats = TCP_DEFAULT.threats;
    let maxStatement = TCP_DEFAULT.maxStatementBytes;
    let maxIdentify = TCP_DEFAULT.maxIdentifyBytes;
    while (true) {
      const f = this.field(TCP_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) {
        const t = this.next();
        const r = this.r;
        if (t == JsonToken.String && r.is("block")) threats = DetectAction.Block;
        else if (t == JsonToken.String && r.is("alert")) threats = DetectAction.Alert;
        else if (t == JsonToken.String && r.is("off")) threats = DetectAction.Off;
        else this.fail("must be one of \"block\", \"alert\", \"off\", found " + this.found(t));
      } else {
        const v = this.uint(f == 1 ? 64 : 16, f == 1 ? 16777216 : 1048576);
        if (f == 1) maxStatement = v;
        else maxIdentify = v;
      }
      if (this.error !== null) return null;
    }
    return new TcpConfig(egress, threats, maxStatement, maxIdentify);
  }

  // ---- helpers (the config parser's, for this reader) ----

  private field(names: StaticArray<string>, seen: u32): i32 {
    const t = this.next();
    if (t == JsonToken.EndObject) return FIELD_END;
    if (t != JsonToken.Key) {
      this.fail("expected a field");
      return FIELD_FAIL;
    }
    for (let i = 0; i < names.length; i++) {
      if (this.r.is(unchecked(names[i]))) {
        if ((seen & (1 << <u32>i)) != 0) {
          this.fail("duplicate field");
          return FIELD_FAIL;
        }
        return i;
      }
    }
    const v = this.next();
    if (!this.r.skip(v)) {
      this.fail(this.r.error);
      return FIELD_FAIL;
    }
    return FIELD_SKIPPED;
  }

  private required(names: StaticArray<string>, seen: u32, mask: u32): bool {
    for (let i = 0; i < names.length; i++) {
      const bit: u32 = 1 << <u32>i;
      if ((mask & bit) != 0 && (seen & bit) == 0) {
        if (this.error === null) this.error = this.r.pathOf(unchecked(names[i])) + ": is required";
        return false;
      }
    }
    return true;
  }

  private string(nonEmpty: bool): ArrayBuffer | null {
    const t = this.next();
    if (t != JsonToken.String || (nonEmpty && this.r.tokenEnd == this.r.tokenStart)) {
      this.fail("must be a " + (nonEmpty ? "non-empty " : "") + "string, found " + this.found(t));
      return null;
    }
    return this.r.stringBytes();
  }

  private uint(min: u32, max: u32): u32 {
    const t = this.next();
    const r = this.r;
    if (t != JsonToken.Number || !r.numInteger || r.numNegative || r.numOverflow || r.numValue < <u64>min || r.numValue > <u64>max) {
      this.fail("must be an integer from " + min.toString() + " to " + max.toString() + ", found " + this.found(t));
      return 0;
    }
    return <u32>r.numValue;
  }

  private beginObject(): bool {
    const t = this.next();
    if (t == JsonToken.BeginObject) return true;
    this.fail("must be an object, found " + this.found(t));
    return false;
  }

  private beginArray(): bool {
    const t = this.next();
    if (t == JsonToken.BeginArray) return true;
    this.fail("must be an array, found " + this.found(t));
    return false;
  }

  private next(): JsonToken {
    const t = this.r.next();
    if (t == JsonToken.Error && this.error === null) {
      const path = this.r.path();
      this.error = path.length > 0 ? path + ": " + this.r.error : this.r.error;
    }
    return t;
  }

  private fail(message: string): void {
    if (this.error !== null) return;
    const path = this.r.path();
    this.error = path.length > 0 ? path + ": " + message : message;
  }

  private found(t: JsonToken): string {
    if (t == JsonToken.String || t == JsonToken.Number) {
      const r = this.r;
      let end = r.tokenEnd;
      if (end - r.tokenStart > 64) end = r.tokenStart + 64;
      const text = String.UTF8.decodeUnsafe(r.tokenStart, end - r.tokenStart, false);
      return t == JsonToken.String ? "\"" + text + "\"" : text;
    }
    if (t == JsonToken.BeginObject) return "an object";
    if (t == JsonToken.BeginArray) return "an array";
    if (t == JsonToken.True) return "true";
    if (t == JsonToken.False) return "false";
    if (t == JsonToken.Null) return "null";
    return "nothing";
  }
}

const FIELD_END = -1;
const FIELD_SKIPPED = -2;
const FIELD_FAIL = -3;

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
