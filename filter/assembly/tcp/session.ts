// What one TCP connection knows and decides, shared by the network filter (network-filter.ts)
// and the conversation parsers (../protocols/): the protocol identified, the ingress rules that
// apply to this peer on this port for this protocol (found once), the verdicts on statements
// and commands, the events, and the edits a parser asks for on the bytes in flight.
//
// Verdicts by mode: discover lets everything through and reports each new statement shape
// (tcp.flow), attacks too (tcp.attack, alert); monitor lets everything through and reports
// violations (tcp.policy, alert) and attacks; protect denies violations (the parser answers with
// the protocol's own error where it can, else the connection is closed) and attacks when
// `tcp.threats` is `block`.
import * as imports from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";
import { ByteBuffer } from "../bytes";
import { getProperty, propertyPath, valueSize } from "../abi/host";
import { FilterConfig, Mode } from "../config/filter-config";
import { DetectAction } from "../config/waf-config";
import { RequestFacts } from "../http/request-facts";
import { countTcpFlow, operationCommand, operationConnect, operationKinds, tcpPeerKey } from "./tcp-flow";
import { IngressRule } from "../policy/ingress";
import { PluginRoot } from "../plugin-root";
import { nowMillis } from "../events/clock";
import { Identification, Proto, protoName } from "./identify";
import { Dialect, MAX_STATEMENTS, SHAPE_NAMES, Shape, SqlAnalysis, Statement, analyze } from "./sql";
import { EgressRule, KIND_NAMES, Kind, NameKind, RedisMatch, SqlMatch, TcpRule, kindBit } from "./tcp-config";
import { TcpAction, TcpEvent, TcpEventBuilder, TcpEventKind } from "./tcp-event";
import { TcpMetric, countTcp } from "./tcp-metrics";
import { tlsVersionName } from "./tls-hello";

export const BUFFER_DOWNSTREAM: u32 = 2;
export const BUFFER_UPSTREAM: u32 = 3;
const STREAM_DOWNSTREAM: u32 = 2;
const STREAM_UPSTREAM: u32 = 3;

const MAX_EDITS = 64;
const HTTP_PROTOS: u32 = (1 << <u32>Proto.Http1) | (1 << <u32>Proto.Http2) | (1 << <u32>Proto.Grpc);
const ALL_PROTOS: u32 = 0xffffffff;

// Shared by every connection: callbacks never overlap inside one VM.
const facts = new RequestFacts();
const sql = new SqlAnalysis();
const event = new TcpEvent();
const builder = new TcpEventBuilder();
const scratch = new ByteBuffer(4096);

/** Replacements on the bytes of one direction held by the host, applied in one
 * proxy_set_buffer_bytes when the filter lets them go (Envoy replaces a prefix or appends only,
 * so the whole buffer is rewritten). Offsets are into the host's buffer, increasing. */
export class Edits {
  private offs: StaticArray<usize> = new StaticArray<usize>(MAX_EDITS);
  private dels: StaticArray<usize> = new StaticArray<usize>(MAX_EDITS);
  private ins: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(MAX_EDITS);
  count: i32 = 0;

  /** False when the list is full (the caller closes the connection instead). */
  add(off: usize, del: usize, bytes: ArrayBuffer | null): bool {
    if (this.count >= MAX_EDITS) {
      countTcp(TcpMetric.EditsOverflow);
      return false;
    }
    const i = this.count;
    unchecked(this.offs[i] = off);
    unchecked(this.dels[i] = del);
    unchecked(this.ins[i] = bytes);
    this.count++;
    return true;
  }

  /** Rewrite the buffer [p, p+size) of `type` with the edits, then forget them. */
  apply(type: u32, p: usize, size: usize): void {
    if (this.count == 0) return;
    const out = scratch;
    out.reset();
    let at: usize = 0;
    for (let i = 0; i < this.count; i++) {
      let off = unchecked(this.offs[i]);
      if (off > size) off = size;
      if (off < at) off = at;
      out.bytes(p + at, off - at);
      const b = unchecked(this.ins[i]);
      if (b !== null) out.buffer(b);
      at = off + unchecked(this.dels[i]);
      if (at > size) at = size;
      unchecked(this.ins[i] = null);
    }
    out.bytes(p + at, size - at);
    imports.proxy_set_buffer_bytes(type, 0, <u32>size, out.ptr, out.len);
    this.count = 0;
    out.shrink(65536);
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) unchecked(this.ins[i] = null);
    this.count = 0;
  }
}

/** A Redis command as the parser found it. */
export class RedisCommand {
  /** Lower-case name. */
  readonly name: ByteBuffer = new ByteBuffer(32);
  /** Arguments after the name: pointers into the held bytes (valid during the callback). */
  argPtr: StaticArray<usize> = new StaticArray<usize>(MAX_ARGS);
  argLen: StaticArray<usize> = new StaticArray<usize>(MAX_ARGS);
  /** Arguments present (at most MAX_ARGS) and in the command. */
  args: i32 = 0;
  totalArgs: i32 = 0;
  textPtr: usize = 0;
  textLen: usize = 0;
  truncated: bool = false;

  reset(): void {
    this.name.reset();
    this.args = 0;
    this.totalArgs = 0;
    this.textPtr = 0;
    this.textLen = 0;
    this.truncated = false;
  }

  argIs(i: i32, lit: string): bool {
    if (i >= this.args) return false;
    const p = unchecked(this.argPtr[i]);
    const n = unchecked(this.argLen[i]);
    if (n != <usize>lit.length) return false;
    for (let j: usize = 0; j < n; j++) {
      let c = load<u8>(p + j);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (<u32>c != <u32>lit.charCodeAt(<i32>j)) return false;
    }
    return true;
  }
}

export const MAX_ARGS = 64;

/** How a Redis command is described for policy: categories and where its keys are. */
export class RedisCommandInfo {
  constructor(
    readonly categories: u32,
    /** Key arguments: from `first` (1-based, 0: none) to `last` (-1: to the end), every `step`. */
    readonly first: i32,
    readonly last: i32,
    readonly step: i32,
  ) {}
}

export class Session {
  proto: Proto = Proto.Unknown;
  confidence: i32 = 0;
  outbound: bool = false;
  decided: bool = false;
  closed: bool = false;
  /** The ingress rules that admit this peer, on this port, for this protocol. */
  readonly applicable: Array<IngressRule> = new Array<IngressRule>();
  /** One of them admits every statement of the protocol. */
  anyStatement: bool = false;
  readonly user: ByteBuffer = new ByteBuffer(16);
  readonly database: ByteBuffer = new ByteBuffer(16);
  readonly sni: ByteBuffer = new ByteBuffer(16);
  readonly alpn: ByteBuffer = new ByteBuffer(16);
  tlsVersion: u32 = 0;
  readonly down: Edits = new Edits();
  readonly up: Edits = new Edits();
  /** The last denial, for the protocol's error message. */
  readonly denial: ByteBuffer = new ByteBuffer(128);
  private shapes: StaticArray<u32> = new StaticArray<u32>(64);
  private shapeCount: i32 = 0;
  private egressRule: EgressRule | null = null;
  /** The peer part of this connection's flow keys, read on its first flow. */
  private peerKey: ArrayBuffer | null = null;
  /** The time of the data callback being handled (0: read the clock). */
  clockMs: u64 = 0;

  constructor(
    readonly contextId: u32,
    readonly root: PluginRoot,
    readonly config: FilterConfig | null,
  ) {}

  get protect(): bool {
    const c = this.config;
    return c !== null && c.mode == Mode.Protect;
  }

  get maxStatementBytes(): usize {
    const c = this.config;
    return c !== null ? <usize>c.tcp.maxStatementBytes : 65536;
  }

  /** In protect mode the filter must see statements: TLS inside the database protocol is
   * refused (the mesh's own mTLS protects the hop). */
  get refuseTls(): bool {
    const c = this.config;
    if (c === null || c.mode != Mode.Protect) return false;
    return !this.anyStatement || c.tcp.threats == DetectAction.Block;
  }

  closeConnection(): void {
    if (this.closed) return;
    this.closed = true;
    countTcp(TcpMetric.Closed);
    imports.proxy_close_stream(STREAM_DOWNSTREAM);
    imports.proxy_close_stream(STREAM_UPSTREAM);
  }

  // ---- the connection ----

  /** The protocol is known (or will stay unknown): find the rules, judge the connection.
   * False when the connection is to be closed. */
  decide(ident: Identification): bool {
    this.decided = true;
    this.proto = ident.proto;
    this.confidence = ident.confidence;
    const tls = ident.tls;
    if (ident.proto == Proto.Tls) {
      this.sni.reset();
      this.sni.bytes(tls.sni.ptr, tls.sni.len);
      this.alpn.reset();
      this.alpn.bytes(tls.alpn.ptr, tls.alpn.len);
      this.tlsVersion = tls.maxVersion;
    }
    countTcp(ident.proto == Proto.Unknown ? TcpMetric.Unknown : TcpMetric.Identified);
    const config = this.config;
    if (config === null) return true;
    facts.reset();
    this.outbound = isOutbound();
    let allowed = true;
    if (this.outbound) {
      allowed = this.egressAllowed(config, ident);
    } else {
      allowed = this.findRules(config);
    }
    // Threats visible in the first flight.
    let shape: string | null = null;
    let cls: string = "";
    let technique: string = "";
    if (ident.proto == Proto.Tls && tls.maxVersion != 0 && tls.maxVersion < 0x0303) {
      shape = "tls-downgrade";
      cls = "protocol-downgrade";
      technique = "T1562";
    } else if (ident.proto == Proto.Ssh && ident.sshMajor == 1) {
      shape = "ssh-v1";
      cls = "protocol-downgrade";
      technique = "T1562";
    }
    const mode = config.mode;
    const e = this.begin();
    if (mode == Mode.Discover) {
      e.kind = TcpEventKind.Flow;
      e.reason = allowed ? "connection admitted by a rule" : "no rule admits this connection";
      this.emit(config, e);
    } else if (!allowed) {
      countTcp(TcpMetric.Violations);
      e.kind = TcpEventKind.Policy;
      e.severity = "medium";
      e.action = mode == Mode.Protect ? TcpAction.Block : TcpAction.Alert;
      e.reason = this.outbound ? "no egress rule admits this destination" : "no ingress rule admits this protocol from this peer";
      this.emit(config, e);
    }
    let blockThreat = false;
    if (shape !== null) {
      countTcp(TcpMetric.Attacks);
      const t = this.begin();
      blockThreat = mode == Mode.Protect && config.tcp.threats == DetectAction.Block;
      if (config.tcp.threats != DetectAction.Off) {
        t.kind = TcpEventKind.Attack;
        t.severity = "high";
        t.action = blockThreat ? TcpAction.Block : TcpAction.Alert;
        t.attackClass = cls;
        t.technique = technique;
        t.tactic = "defense-evasion";
        t.attackConfidence = 90;
        t.reason = shape == "ssh-v1" ? "SSH protocol version 1" : "TLS older than 1.2 offered";
        t.shape = shape;
        this.emit(config, t);
      } else {
        blockThreat = false;
      }
      if (blockThreat) countTcp(TcpMetric.AttacksBlocked);
    }
    if ((!allowed && mode == Mode.Protect) || blockThreat) {
      countTcp(TcpMetric.ConnectionsDenied);
      return false;
    }
    if ((allowed || mode == Mode.Discover) && !this.outbound) {
      operationConnect();
      this.countFlow(config, 0);
    }
    return true;
  }

  /** An allowed connection or statement (the operation is in tcp-flow's `operation`). */
  private countFlow(config: FilterConfig, bytes: u64): void {
    const table = this.root.flows;
    if (!config.reporting.flows || !table.enabled) return;
    // The peer is the connection's: its key is read once, not per statement.
    let peer = this.peerKey;
    if (peer === null) {
      facts.reset(); // the shared facts may hold another connection's properties
      peer = this.peerKey = tcpPeerKey(facts);
    }
    const rules = this.applicable;
    countTcpFlow(table, facts, peer, protoName(<i32>this.proto), rules.length > 0 ? unchecked(rules[0]) : null, bytes, this.clockMs > 0 ? this.clockMs : nowMillis());
  }

  private findRules(config: FilterConfig): bool {
    const rules = config.ingress;
    const port = facts.destinationPort();
    const bit: u32 = <u32>1 << <u32>this.proto;
    this.applicable.length = 0;
    this.anyStatement = false;
    for (let i = 0; i < rules.length; i++) {
      const r = unchecked(rules[i]);
      const tcp = r.tcp;
      if (tcp !== null && !tcp.portMatches(port)) continue;
      if ((protocolsOf(r) & bit) == 0) continue;
      if (!r.sourceMatches(facts)) continue;
      this.applicable.push(r);
      if (tcp === null || !hasEntriesFor(tcp, this.proto)) this.anyStatement = true;
    }
    return this.applicable.length > 0;
  }

  private egressAllowed(config: FilterConfig, ident: Identification): bool {
    const rules = config.tcp.egress;
    if (rules === null) return true; // no egress control
    const name = ident.tls.sni;
    if (ident.proto != Proto.Tls || name.len == 0) return false;
    const port = facts.destinationPort();
    for (let i = 0; i < rules.length; i++) {
      const r = unchecked(rules[i]);
      for (let j = 0; j < r.to.length; j++) {
        const to = unchecked(r.to[j]);
        if (to.portMatches(port) && to.fqdn.matches(name.ptr, name.len)) {
          this.egressRule = r;
          return true;
        }
      }
    }
    return false;
  }

  // ---- statements ----

  /** Judge a SQL query string; true to let it through. Fills `denial` when it is denied. */
  judgeSql(dialect: Dialect, p: usize, len: usize, truncated: bool): bool {
    countTcp(TcpMetric.Statements);
    if (truncated) countTcp(TcpMetric.StatementTruncated);
    const config = this.config;
    if (config === null) return true;
    analyze(p, len, dialect, sql);
    if (sql.tooManyTables) countTcp(TcpMetric.TablesOverflow);
    const tablesUnknown = truncated || sql.tooManyTables;
    let denied = -1;
    let unionDenied = -1;
    for (let i = 0; i < sql.count; i++) {
      const s = unchecked(sql.statements[i]);
      const r = this.statementAllowed(s, tablesUnknown);
      if (r == 0 && denied < 0) denied = i;
      if (r == 2 && unionDenied < 0) unionDenied = i;
    }
    if (sql.tooManyStatements && !this.anyStatement && denied < 0) denied = MAX_STATEMENTS - 1;
    let shape = sql.shape;
    let matchStart = sql.shapeStart;
    let matchEnd = sql.shapeEnd;
    if (shape == Shape.None && unionDenied >= 0) {
      shape = Shape.UnionInjection;
      const s = unchecked(sql.statements[unionDenied]);
      matchStart = s.start - p;
      matchEnd = s.end - p;
    }
    const mode = config.mode;
    let allow = true;
    if (mode == Mode.Discover) {
      for (let i = 0; i < sql.count; i++) this.flowStatement(config, unchecked(sql.statements[i]), p, truncated);
    } else if (denied >= 0) {
      countTcp(TcpMetric.Violations);
      const s = unchecked(sql.statements[denied < sql.count ? denied : sql.count - 1]);
      const e = this.statementEvent(s, p, len, truncated);
      e.kind = TcpEventKind.Policy;
      e.severity = "medium";
      e.action = mode == Mode.Protect ? TcpAction.Block : TcpAction.Alert;
      e.reason = "no rule admits this statement from this peer";
      this.emit(config, e);
      if (mode == Mode.Protect) {
        allow = false;
        this.describeDenial(s);
      }
    }
    if (shape != Shape.None && config.tcp.threats != DetectAction.Off) {
      countTcp(TcpMetric.Attacks);
      const block = mode == Mode.Protect && config.tcp.threats == DetectAction.Block;
      const s = unchecked(sql.statements[0]);
      const e = this.statementEvent(s, p, len, truncated);
      e.statementPtr = p;
      e.statementLen = len;
      e.kind = TcpEventKind.Attack;
      e.severity = "high";
      e.action = block ? TcpAction.Block : TcpAction.Alert;
      e.attackClass = "sqli";
      e.technique = "T1190";
      e.tactic = "initial-access";
      e.attackConfidence = shape == Shape.UnionInjection || shape == Shape.Tautology ? 90 : 75;
      e.reason = "SQL injection shape";
      e.shape = unchecked(SHAPE_NAMES[<i32>shape]);
      if (matchEnd > matchStart && matchEnd <= len) {
        e.matchPtr = p + matchStart;
        e.matchLen = matchEnd - matchStart;
      }
      this.emit(config, e);
      if (block) {
        countTcp(TcpMetric.AttacksBlocked);
        if (allow) {
          allow = false;
          this.denial.reset();
          this.denial.ascii("SQL injection shape (");
          this.denial.ascii(unchecked(SHAPE_NAMES[<i32>shape]));
          this.denial.ascii(")");
        }
      }
    }
    if (!allow) countTcp(TcpMetric.StatementsDenied);
    else if (denied < 0 || mode == Mode.Discover) {
      for (let i = 0; i < sql.count; i++) {
        const s = unchecked(sql.statements[i]);
        operationKinds(s.kinds);
        this.countFlow(config, <u64>(s.end > s.start ? s.end - s.start : 0));
      }
    }
    return allow;
  }

  /** 0: denied, 1: allowed, 2: allowed, but it unions and no entry that admits it says UNION. */
  private statementAllowed(s: Statement, tablesUnknown: bool): i32 {
    if (this.anyStatement) return 1;
    const need = s.kinds & ~kindBit(Kind.Union);
    const unions = (s.kinds & kindBit(Kind.Union)) != 0;
    let result = 0;
    const rules = this.applicable;
    for (let i = 0; i < rules.length; i++) {
      const tcp = unchecked(rules[i]).tcp;
      if (tcp === null) return 1;
      const entries = this.proto == Proto.Mysql ? tcp.mysql : tcp.postgres;
      if (entries === null) return 1;
      for (let j = 0; j < entries.length; j++) {
        const e = unchecked(entries[j]);
        if ((need & ~e.kinds) != 0) continue;
        if (!tablesMatch(e, s, tablesUnknown)) continue;
        if (!unions || (e.kinds & kindBit(Kind.Union)) != 0) return 1;
        result = 2;
      }
    }
    return result;
  }

  /** Judge a Redis command; true to let it through. */
  judgeRedis(cmd: RedisCommand, info: RedisCommandInfo | null): bool {
    countTcp(TcpMetric.Statements);
    if (cmd.truncated) countTcp(TcpMetric.StatementTruncated);
    const config = this.config;
    if (config === null) return true;
    const mode = config.mode;
    let allow = true;
    let violation = false;
    if (mode == Mode.Discover) {
      let h: u32 = 2166136261;
      for (let i: usize = 0; i < cmd.name.len; i++) h = (h ^ load<u8>(cmd.name.ptr + i)) * 16777619;
      if (this.newShape(h)) {
        const e = this.redisEvent(cmd, info);
        e.kind = TcpEventKind.Flow;
        e.reason = "command seen";
        this.emit(config, e);
      }
    } else if (!this.redisAllowed(cmd, info)) {
      violation = true;
      countTcp(TcpMetric.Violations);
      const e = this.redisEvent(cmd, info);
      e.kind = TcpEventKind.Policy;
      e.severity = "medium";
      e.action = mode == Mode.Protect ? TcpAction.Block : TcpAction.Alert;
      e.reason = "no rule admits this command from this peer";
      this.emit(config, e);
      if (mode == Mode.Protect) {
        allow = false;
        this.denial.reset();
        this.denial.ascii("command '");
        this.denial.bytes(cmd.name.ptr, cmd.name.len);
        this.denial.ascii("' is not allowed");
      }
    }
    const danger = dangerous(cmd);
    if (danger !== null && config.tcp.threats != DetectAction.Off) {
      countTcp(TcpMetric.Attacks);
      const block = mode == Mode.Protect && config.tcp.threats == DetectAction.Block;
      const e = this.redisEvent(cmd, info);
      e.kind = TcpEventKind.Attack;
      e.severity = danger == "flush" ? "high" : "critical";
      e.action = block ? TcpAction.Block : TcpAction.Alert;
      e.attackClass = "redis-dangerous-command";
      e.technique = danger == "flush" ? "T1485" : "T1190";
      e.tactic = danger == "flush" ? "impact" : "execution";
      e.attackConfidence = 85;
      e.reason = "dangerous Redis command";
      e.shape = danger;
      this.emit(config, e);
      if (block) {
        countTcp(TcpMetric.AttacksBlocked);
        if (allow) {
          allow = false;
          this.denial.reset();
          this.denial.ascii("dangerous command (");
          this.denial.ascii(danger!);
          this.denial.ascii(")");
        }
      }
    }
    if (!allow) countTcp(TcpMetric.StatementsDenied);
    else if (!violation) {
      operationCommand(cmd.name.ptr, cmd.name.len);
      this.countFlow(config, <u64>cmd.textLen);
    }
    return allow;
  }

  private redisAllowed(cmd: RedisCommand, info: RedisCommandInfo | null): bool {
    if (this.anyStatement) return true;
    const rules = this.applicable;
    const cats = info !== null ? info.categories : 0;
    for (let i = 0; i < rules.length; i++) {
      const tcp = unchecked(rules[i]).tcp;
      if (tcp === null) return true;
      const entries = tcp.redis;
      if (entries === null) return true;
      for (let j = 0; j < entries.length; j++) {
        const e = unchecked(entries[j]);
        if (!(e.any || (e.categories & cats) != 0 || e.hasCommand(cmd.name.ptr, cmd.name.len))) continue;
        if (keysMatch(e, cmd, info)) return true;
      }
    }
    return false;
  }

  // ---- events ----

  private begin(): TcpEvent {
    const e = event;
    e.reset();
    e.protocol = protoName(<i32>this.proto);
    e.outbound = this.outbound;
    e.confidence = this.confidence;
    e.sni = this.sni;
    e.alpn = this.alpn;
    e.tlsVersion = this.proto == Proto.Tls && this.tlsVersion != 0 ? tlsVersionName(this.tlsVersion) : null;
    e.user = this.user;
    e.database = this.database;
    const rules = this.applicable;
    if (rules.length > 0) {
      const r = unchecked(rules[0]);
      e.ruleId = r.id;
      e.ruleName = r.name;
    }
    const eg = this.egressRule;
    if (eg !== null) {
      e.ruleId = eg.id;
      e.ruleName = eg.name;
    }
    return e;
  }

  private statementEvent(s: Statement, base: usize, len: usize, truncated: bool): TcpEvent {
    const e = this.begin();
    e.hasStatement = true;
    e.kinds = s.kinds;
    e.statementPtr = s.start;
    e.statementLen = s.end > s.start ? s.end - s.start : 0;
    if (e.statementPtr < base || e.statementPtr + e.statementLen > base + len) {
      e.statementPtr = base;
      e.statementLen = len;
    }
    e.truncated = truncated;
    for (let i = 0; i < s.tableCount; i++) {
      const t = s.tableFirst + i;
      e.addName(sql.tablePtr(t), sql.tableLength(t));
    }
    return e;
  }

  private redisEvent(cmd: RedisCommand, info: RedisCommandInfo | null): TcpEvent {
    const e = this.begin();
    e.hasStatement = true;
    e.command = cmd.name;
    e.statementPtr = cmd.textPtr;
    e.statementLen = cmd.textLen;
    e.truncated = cmd.truncated;
    if (info !== null && info.first > 0 && info.step > 0) {
      for (let i = info.first - 1; i < cmd.args; i += info.step) {
        if (info.last >= 0 && i > info.last - 1) break;
        e.addName(unchecked(cmd.argPtr[i]), unchecked(cmd.argLen[i]));
      }
    }
    return e;
  }

  /** discover: one tcp.flow per statement shape (kinds and tables) per connection. */
  private flowStatement(config: FilterConfig, s: Statement, base: usize, truncated: bool): void {
    let h: u32 = 2166136261 ^ s.kinds;
    for (let i = 0; i < s.tableCount; i++) {
      const t = s.tableFirst + i;
      const tp = sql.tablePtr(t);
      const tl = sql.tableLength(t);
      for (let j: usize = 0; j < tl; j++) h = (h ^ load<u8>(tp + j)) * 16777619;
      h = (h ^ 0x2c) * 16777619;
    }
    if (!this.newShape(h)) return;
    const e = this.statementEvent(s, base, s.end > base ? s.end - base : 0, truncated);
    e.kind = TcpEventKind.Flow;
    e.reason = "statement seen";
    this.emit(config, e);
  }

  private newShape(h: u32): bool {
    for (let i = 0; i < this.shapeCount; i++) {
      if (unchecked(this.shapes[i]) == h) return false;
    }
    if (this.shapeCount >= this.shapes.length) return false;
    unchecked(this.shapes[this.shapeCount] = h);
    this.shapeCount++;
    return true;
  }

  private emit(config: FilterConfig, e: TcpEvent): void {
    builder.build(config, facts, e, this.root.pod, nowMillis());
    const out = builder.writer.out;
    this.root.batcher.emit(out.ptr, out.len, this.contextId);
    out.shrink(65536);
  }

  /** The id of the event last built (for the protocol's error message). */
  get lastEventId(): ByteBuffer {
    return builder.id;
  }

  private describeDenial(s: Statement): void {
    const d = this.denial;
    d.reset();
    let first = true;
    for (let i = 0; i < KIND_NAMES.length; i++) {
      if (i == <i32>Kind.Union) continue;
      if ((s.kinds & (<u32>1 << <u32>i)) == 0) continue;
      if (!first) d.byte(0x2f);
      d.ascii(unchecked(KIND_NAMES[i]));
      first = false;
    }
    if (s.tableCount > 0) {
      d.ascii(" on ");
      const t = s.tableFirst;
      d.bytes(sql.tablePtr(t), sql.tableLength(t) < 128 ? sql.tableLength(t) : 128);
    }
  }
}

/** `listener_direction` (Envoy: 1 inbound, 2 outbound, an 8-byte integer). */
function isOutbound(): bool {
  const buf = getProperty(P_DIRECTION);
  if (buf === null || valueSize != 8) return false;
  return load<u64>(changetype<usize>(buf)) == 2;
}

const P_DIRECTION = propertyPath("listener_direction");

/** The protocols a rule admits (a mask of Proto bits). */
export function protocolsOf(r: IngressRule): u32 {
  const tcp = r.tcp;
  const http = r.http.length > 0 || r.grpc.length > 0;
  if (tcp === null || !tcp.restrictsOperations) return http ? HTTP_PROTOS : ALL_PROTOS;
  let mask = tcp.protocols;
  if (mask == 0) {
    if (tcp.postgres !== null) mask |= <u32>1 << <u32>Proto.Postgres;
    if (tcp.mysql !== null) mask |= <u32>1 << <u32>Proto.Mysql;
    if (tcp.redis !== null) mask |= <u32>1 << <u32>Proto.Redis;
    if (http) mask |= HTTP_PROTOS;
  }
  // gRPC runs over HTTP/2: either name admits both.
  if ((mask & ((1 << <u32>Proto.Http2) | (1 << <u32>Proto.Grpc))) != 0) mask |= (1 << <u32>Proto.Http2) | (1 << <u32>Proto.Grpc);
  return mask;
}

function hasEntriesFor(tcp: TcpRule, proto: Proto): bool {
  if (proto == Proto.Postgres) return tcp.postgres !== null;
  if (proto == Proto.Mysql) return tcp.mysql !== null;
  if (proto == Proto.Redis) return tcp.redis !== null;
  return false;
}

function tablesMatch(e: SqlMatch, s: Statement, tablesUnknown: bool): bool {
  const tables = e.tables;
  if (tables.length == 0) return true;
  if (tables.length == 1 && unchecked(tables[0]).kind == NameKind.Any) return true;
  if (tablesUnknown) return false;
  for (let i = 0; i < s.tableCount; i++) {
    const t = s.tableFirst + i;
    const tp = sql.tablePtr(t);
    const tl = sql.tableLength(t);
    let ok = false;
    for (let j = 0; j < tables.length; j++) {
      if (unchecked(tables[j]).matches(tp, tl)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

function keysMatch(e: RedisMatch, cmd: RedisCommand, info: RedisCommandInfo | null): bool {
  const keys = e.keys;
  if (keys.length == 0) return true;
  if (keys.length == 1 && unchecked(keys[0]).kind == NameKind.Any) return true;
  if (info === null || info.first == 0 || info.step <= 0) return true; // a command without keys
  if (cmd.truncated || cmd.totalArgs > cmd.args) return false; // keys not all seen
  for (let i = info.first - 1; i < cmd.args; i += info.step) {
    if (info.last >= 0 && i > info.last - 1) break;
    const kp = unchecked(cmd.argPtr[i]);
    const kl = unchecked(cmd.argLen[i]);
    let ok = false;
    for (let j = 0; j < keys.length; j++) {
      if (unchecked(keys[j]).matches(kp, kl)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

/** Redis commands that take over a server or destroy its data; null when harmless. */
function dangerous(cmd: RedisCommand): string | null {
  const n = cmd.name;
  if (isName(n, "config") && cmd.argIs(0, "set") && (cmd.argIs(1, "dir") || cmd.argIs(1, "dbfilename"))) return "config-set-dir";
  if (isName(n, "slaveof") || isName(n, "replicaof")) {
    return cmd.argIs(0, "no") && cmd.argIs(1, "one") ? null : "replication";
  }
  if (isName(n, "module") && cmd.argIs(0, "load")) return "module-load";
  if (isName(n, "flushall") || isName(n, "flushdb")) return "flush";
  if (isName(n, "debug")) return "debug";
  if ((isName(n, "eval") || isName(n, "eval_ro")) && cmd.args > 0) {
    const p = unchecked(cmd.argPtr[0]);
    const l = unchecked(cmd.argLen[0]);
    if (contains(p, l, "os.execute") || contains(p, l, "io.popen") || contains(p, l, "loadstring") ||
        contains(p, l, "dofile") || contains(p, l, "loadfile") || contains(p, l, "package.loadlib") ||
        contains(p, l, "debug.") || contains(p, l, "require") || contains(p, l, "'config'") || contains(p, l, "\"config\"")) {
      return "eval-abuse";
    }
  }
  return null;
}

function isName(b: ByteBuffer, lit: string): bool {
  if (b.len != <usize>lit.length) return false;
  for (let i: usize = 0; i < b.len; i++) {
    if (<u32>load<u8>(b.ptr + i) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

/** Case-insensitive search of a lower-case literal. */
function contains(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (len < n) return false;
  for (let i: usize = 0; i + n <= len; i++) {
    let ok = true;
    for (let j: usize = 0; j < n; j++) {
      let c = load<u8>(p + i + j);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (<u32>c != <u32>lit.charCodeAt(<i32>j)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}
