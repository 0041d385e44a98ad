// The TCP parts of the compiled configuration, as the filter holds them (immutable once parsed):
// per ingress rule the ports, protocols and the statement entries for PostgreSQL, MySQL and
// Redis; at the root the egress rules (checked against TLS SNI) and the `tcp` settings (threat
// action and limits). The document's shape is control-plane/src/compile/filter-config.ts.
import { DetectAction } from "../config/waf-config";
import { eqBytes } from "../bytes";

/** Statement kinds, one bit each in a mask. UNION is a feature, not a kind: a statement that
 * unions needs it in its entry's `statements` when the entry lists kinds. */
export const enum Kind {
  Select = 0,
  Insert,
  Update,
  Delete,
  Merge,
  Truncate,
  Copy,
  Ddl,
  Grant,
  Transaction,
  Session,
  Call,
  Lock,
  Maintenance,
  Other,
  Union,
  COUNT,
}

export const KIND_NAMES: StaticArray<string> = [
  "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY", "DDL", "GRANT",
  "TRANSACTION", "SESSION", "CALL", "LOCK", "MAINTENANCE", "OTHER", "UNION",
];

export const ALL_KINDS: u32 = 0xffffffff;

export function kindBit(k: Kind): u32 {
  return <u32>1 << <u32>k;
}

/** The statement kind named by the bytes (upper-case, as compiled), or -1; `*` is -2. */
export function kindByName(p: usize, len: usize): i32 {
  if (len == 1 && load<u8>(p) == 0x2a) return -2;
  for (let i = 0; i < KIND_NAMES.length; i++) {
    const n = unchecked(KIND_NAMES[i]);
    if (<usize>n.length != len) continue;
    let same = true;
    for (let j: usize = 0; j < len; j++) {
      if (<u32>load<u8>(p + j) != <u32>n.charCodeAt(<i32>j)) {
        same = false;
        break;
      }
    }
    if (same) return i;
  }
  return -1;
}

export const enum NameKind {
  Any = 0, // "*"
  Exact = 1,
  Prefix = 2, // "audit_*"
}

/** A table or key pattern, lower-case (tables) or as written (keys). A table pattern without a
 * dot matches the last part of a qualified name (`orders` matches `shop.orders`); with a dot it
 * matches the qualified name as written. */
export class NamePattern {
  constructor(readonly kind: NameKind, readonly bytes: ArrayBuffer, readonly qualified: bool) {}

  matches(p: usize, len: usize): bool {
    const kind = this.kind;
    if (kind == NameKind.Any) return true;
    let s = p;
    let n = len;
    if (!this.qualified) {
      // the last dot-separated part
      for (let i = len; i > 0; i--) {
        if (load<u8>(p + i - 1) == 0x2e) {
          s = p + i;
          n = len - i;
          break;
        }
      }
    }
    const b = changetype<usize>(this.bytes);
    const bl = <usize>this.bytes.byteLength;
    if (kind == NameKind.Exact) return eqBytes(s, n, b, bl);
    return n >= bl && (bl == 0 || memory.compare(s, b, bl) == 0);
  }
}

export function compileName(source: ArrayBuffer, lower: bool): NamePattern {
  const p = changetype<usize>(source);
  const n = <usize>source.byteLength;
  if (n == 1 && load<u8>(p) == 0x2a) return new NamePattern(NameKind.Any, new ArrayBuffer(0), false);
  let qualified = false;
  for (let i: usize = 0; i < n; i++) {
    if (load<u8>(p + i) == 0x2e) qualified = true;
  }
  const trail = n > 0 && load<u8>(p + n - 1) == 0x2a;
  const core = source.slice(0, trail ? <i32>n - 1 : <i32>n);
  if (lower) {
    const c = changetype<usize>(core);
    for (let i = 0; i < core.byteLength; i++) {
      const b = load<u8>(c + i);
      if (b >= 0x41 && b <= 0x5a) store<u8>(c + i, b | 0x20);
    }
  }
  return new NamePattern(trail ? NameKind.Prefix : NameKind.Exact, core, lower && qualified);
}

/** One `postgres:` or `mysql:` entry: the statement kinds (mask; ALL_KINDS for `*`) and tables
 * (empty: any). A statement matches when every kind it has is in the mask and every table it
 * touches matches one pattern. */
export class SqlMatch {
  constructor(readonly kinds: u32, readonly tables: StaticArray<NamePattern>) {}
}

/** Redis command categories an entry may name with `@`. */
export const enum RedisCategory {
  Read = 1,
  Write = 2,
  Admin = 4,
  Dangerous = 8,
  PubSub = 16,
  Connection = 32,
  Scripting = 64,
  Transaction = 128,
}

/** One `redis:` entry: commands (lower-case names; `*` any) and categories, keys (empty: any). */
export class RedisMatch {
  constructor(
    readonly any: bool,
    readonly commands: StaticArray<ArrayBuffer>,
    readonly categories: u32,
    readonly keys: StaticArray<NamePattern>,
  ) {}

  hasCommand(p: usize, len: usize): bool {
    const c = this.commands;
    for (let i = 0; i < c.length; i++) {
      const b = unchecked(c[i]);
      if (eqBytes(p, len, changetype<usize>(b), <usize>b.byteLength)) return true;
    }
    return false;
  }
}

/** The TCP part of an ingress rule. A null section was not given. */
export class TcpRule {
  ports: StaticArray<u32> = new StaticArray<u32>(0);
  /** Bit per Proto the rule admits; 0: derived from the sections present. */
  protocols: u32 = 0;
  postgres: StaticArray<SqlMatch> | null = null;
  mysql: StaticArray<SqlMatch> | null = null;
  redis: StaticArray<RedisMatch> | null = null;

  /** The rule says something about operations (so it does not admit any HTTP request). */
  get restrictsOperations(): bool {
    return this.protocols != 0 || this.postgres !== null || this.mysql !== null || this.redis !== null;
  }

  portMatches(port: u32): bool {
    const ports = this.ports;
    if (ports.length == 0) return true;
    for (let i = 0; i < ports.length; i++) {
      if (unchecked(ports[i]) == port) return true;
    }
    return false;
  }
}

/** `*.example.com` (any subdomain), `*` (any), or a name; lower-case. */
export class FqdnPattern {
  constructor(readonly wildcard: bool, readonly any: bool, readonly bytes: ArrayBuffer) {}

  matches(p: usize, len: usize): bool {
    if (this.any) return len > 0;
    const b = changetype<usize>(this.bytes);
    const n = <usize>this.bytes.byteLength;
    if (!this.wildcard) return eqBytes(p, len, b, n);
    // bytes hold ".example.com": a strict subdomain
    return len > n && memory.compare(p + len - n, b, n) == 0;
  }
}

export class EgressTo {
  constructor(readonly fqdn: FqdnPattern, readonly ports: StaticArray<u32>) {}

  portMatches(port: u32): bool {
    const ports = this.ports;
    if (ports.length == 0) return true;
    for (let i = 0; i < ports.length; i++) {
      if (unchecked(ports[i]) == port) return true;
    }
    return false;
  }
}

export class EgressRule {
  constructor(readonly id: ArrayBuffer, readonly name: ArrayBuffer, readonly to: StaticArray<EgressTo>) {}
}

/** Root-level TCP settings. */
export class TcpConfig {
  constructor(
    /** Null: no egress control (the `egress` field was absent). */
    readonly egress: StaticArray<EgressRule> | null,
    /** SQL injection shapes, dangerous Redis commands, TLS downgrade, SSH v1. */
    readonly threats: DetectAction,
    /** Longest statement (query text, Redis command head) judged whole; longer are judged on
     * this prefix and counted (meshward.tcp.statement_truncated). */
    readonly maxStatementBytes: u32,
    /** Bytes held while identifying the protocol. */
    readonly maxIdentifyBytes: u32,
  ) {}
}

export const TCP_DEFAULT = new TcpConfig(null, DetectAction.Block, 65536, 16384);
