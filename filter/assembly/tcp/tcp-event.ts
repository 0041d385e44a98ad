// One network event as JSON (the shape in ARCHITECTURE.md): `tcp.flow` (discover: what was
// seen), `tcp.policy` (a connection, statement or command no rule admits) and `tcp.attack`
// (SQL injection shapes, dangerous Redis commands, TLS downgrade, SSH v1). Written into a
// reused buffer; statement text and names are cut at limits.maxEventFieldBytes and counted.
import { ByteBuffer } from "../bytes";
import { FilterConfig } from "../config/filter-config";
import { RequestFacts } from "../http/request-facts";
import { EventWriter, writeAttack, writePolicy, writeRule } from "../events/envelope";
import { KIND_NAMES } from "./tcp-config";

export const enum TcpEventKind {
  Flow = 0,
  Policy = 1,
  Attack = 2,
}

const KINDS: StaticArray<string> = ["tcp.flow", "tcp.policy", "tcp.attack"];

export const enum TcpAction {
  Allow = 0,
  Alert = 1,
  Block = 2,
}

/** What one event says; filled by the session, then written by TcpEventBuilder. */
export class TcpEvent {
  kind: TcpEventKind = TcpEventKind.Flow;
  action: TcpAction = TcpAction.Allow;
  severity: string = "info";
  protocol: string = "unknown";
  outbound: bool = false;
  confidence: i32 = 0;
  sni: ByteBuffer | null = null;
  alpn: ByteBuffer | null = null;
  tlsVersion: string | null = null;
  user: ByteBuffer | null = null;
  database: ByteBuffer | null = null;
  /** Statement kinds (mask), or 0 when the event is not about a statement. */
  kinds: u32 = 0;
  hasStatement: bool = false;
  statementPtr: usize = 0;
  statementLen: usize = 0;
  truncated: bool = false;
  /** Tables (SQL) or keys (Redis): `names` holds them NUL-separated. */
  readonly names: ByteBuffer = new ByteBuffer(128);
  nameCount: i32 = 0;
  /** Redis command (lower-case), when the event is about one. */
  command: ByteBuffer | null = null;
  ruleId: ArrayBuffer | null = null;
  ruleName: ArrayBuffer | null = null;
  attackClass: string | null = null;
  technique: string = "";
  tactic: string = "";
  attackConfidence: i32 = 0;
  reason: string = "";
  shape: string | null = null;
  matchPtr: usize = 0;
  matchLen: usize = 0;

  reset(): void {
    this.kind = TcpEventKind.Flow;
    this.action = TcpAction.Allow;
    this.severity = "info";
    this.kinds = 0;
    this.hasStatement = false;
    this.statementPtr = 0;
    this.statementLen = 0;
    this.truncated = false;
    this.names.reset();
    this.nameCount = 0;
    this.command = null;
    this.ruleId = null;
    this.ruleName = null;
    this.attackClass = null;
    this.reason = "";
    this.shape = null;
    this.matchPtr = 0;
    this.matchLen = 0;
  }

  addName(p: usize, len: usize): void {
    if (this.nameCount >= 32) return;
    this.names.bytes(p, len);
    this.names.byte(0);
    this.nameCount++;
  }
}

export class TcpEventBuilder extends EventWriter {
  build(config: FilterConfig, facts: RequestFacts, e: TcpEvent, pod: ArrayBuffer | null, ms: u64): void {
    this.begin(
      config, ms, unchecked(KINDS[<i32>e.kind]), e.severity,
      e.action == TcpAction.Block ? "block" : e.action == TcpAction.Alert ? "alert" : "allow", pod,
    );
    this.sourceAndDestination(facts, e.outbound ? null : config.workloadName);
    const w = this.writer;

    w.name("protocol");
    w.stringAscii(e.protocol);
    w.name("tcp");
    w.beginObject();
    w.name("direction");
    w.stringAscii(e.outbound ? "outbound" : "inbound");
    w.name("confidence");
    w.number(<u64>e.confidence);
    const sni = e.sni;
    if (sni !== null && sni.len > 0) {
      w.name("sni");
      this.field(sni.ptr, sni.len);
    }
    const alpn = e.alpn;
    if (alpn !== null && alpn.len > 0) {
      w.name("alpn");
      this.field(alpn.ptr, alpn.len);
    }
    const tlsVersion = e.tlsVersion;
    if (tlsVersion !== null) {
      w.name("tlsVersion");
      w.stringAscii(tlsVersion);
    }
    const user = e.user;
    if (user !== null && user.len > 0) {
      w.name("user");
      this.field(user.ptr, user.len);
    }
    const db = e.database;
    if (db !== null && db.len > 0) {
      w.name("database");
      this.field(db.ptr, db.len);
    }
    w.endObject();

    if (e.hasStatement) {
      w.name("statement");
      w.beginObject();
      const command = e.command;
      if (command !== null) {
        w.name("command");
        this.field(command.ptr, command.len);
        w.name("keys");
      } else {
        w.name("kinds");
        w.beginArray();
        for (let i = 0; i < KIND_NAMES.length; i++) {
          if ((e.kinds & (<u32>1 << <u32>i)) != 0) w.stringAscii(unchecked(KIND_NAMES[i]));
        }
        w.endArray();
        w.name("tables");
      }
      w.beginArray();
      let at: usize = 0;
      const names = e.names;
      for (let i = 0; i < e.nameCount; i++) {
        let end = at;
        while (end < names.len && load<u8>(names.ptr + end) != 0) end++;
        this.field(names.ptr + at, end - at);
        at = end + 1;
      }
      w.endArray();
      w.name("text");
      this.field(e.statementPtr, e.statementLen);
      w.name("truncated");
      w.raw(0, 0);
      w.out.ascii(e.truncated ? "true" : "false");
      w.endObject();
    }

    w.name("rule");
    const ruleId = e.ruleId;
    const ruleName = e.ruleName;
    // (the session sets both from one rule, or neither)
    if (ruleId !== null && ruleName !== null) writeRule(w, ruleId, ruleName);
    else w.nul();
    w.name("attack");
    const cls = e.attackClass;
    if (cls !== null) writeAttack(w, cls, e.technique, e.tactic, <u64>e.attackConfidence);
    else w.nul();
    writePolicy(w, config);
    w.name("evidence");
    w.beginObject();
    w.name("reason");
    w.stringAscii(e.reason);
    const shape = e.shape;
    if (shape !== null) {
      w.name("shape");
      w.stringAscii(shape);
    }
    if (e.matchLen > 0) {
      w.name("match");
      this.field(e.matchPtr, e.matchLen);
    }
    w.endObject();
    this.end();
  }
}
