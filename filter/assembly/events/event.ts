// One security event as JSON (the shape in ARCHITECTURE.md), written from the request's bytes
// into a reused buffer. Request-derived strings are cut at limits.maxEventFieldBytes and every
// cut is counted (meshward.fields_truncated).
import { FilterConfig, Mode } from "../config/filter-config";
import { RequestFacts, Slice } from "../http/request-facts";
import { Metric, count } from "../metrics";
import { IngressRule } from "../policy/ingress";
import { ByteBuffer } from "../bytes";
import { writeIsoTime } from "./clock";
import { writeEventId } from "./event-id";
import { JsonWriter } from "./json-writer";
import { CLASS_TACTICS, CLASS_TECHNIQUES, CRITICAL, Findings, className } from "../score";
import { Leak } from "../dlp/scanner";

export const enum EventKind {
  HttpFlow = 0, // discover: what was seen
  HttpPolicy = 1, // monitor/protect: a request no rule allows
  HttpAttack = 2, // the detection engine's verdict on a request
  DlpLeak = 3, // sensitive data found in a body (or header, URL)
}

const KIND_NAMES: StaticArray<string> = ["http.flow", "http.policy", "http.attack", "dlp.leak"];

export const enum Action {
  Allow = 0,
  Alert = 1,
  Block = 2,
}

export class EventBuilder {
  readonly writer: JsonWriter = new JsonWriter(2048);
  /** The id of the event last built (also sent in a 403 body). */
  readonly id: ByteBuffer = new ByteBuffer(64);
  /** Where `,"status":N` goes inside the `http` object of the event last built (a response
   * status is added once the response headers are seen). */
  statusAt: usize = 0;
  private truncated: i64 = 0;
  private limit: usize = 0;

  /** Build the event; the JSON is then in `writer.out` (ptr, len). */
  build(
    config: FilterConfig, facts: RequestFacts, kind: EventKind, action: Action,
    rule: IngressRule | null, reason: string, pod: ArrayBuffer | null, ms: u64,
    findings: Findings | null = null, leak: Leak | null = null, threshold: i32 = 5,
  ): void {
    this.id.reset();
    writeEventId(this.id, ms);
    this.truncated = 0;
    this.limit = <usize>config.limits.maxEventFieldBytes;
    const w = this.writer;
    w.reset();
    w.beginObject();
    w.name("id");
    w.string(this.id.ptr, this.id.len);
    w.name("time");
    const out = w.out;
    w.raw(0, 0); // places the separator; the value is written straight into the buffer
    out.byte(0x22);
    writeIsoTime(out, ms);
    out.byte(0x22);
    w.name("kind");
    w.stringAscii(unchecked(KIND_NAMES[<i32>kind]));
    w.name("severity");
    if (kind == EventKind.HttpAttack && findings !== null) {
      w.stringAscii(findings.bestScore >= CRITICAL ? "critical" : "high");
    } else if (kind == EventKind.DlpLeak) {
      w.stringAscii("high");
    } else {
      w.stringAscii(kind == EventKind.HttpFlow ? "info" : "medium");
    }
    w.name("action");
    w.stringAscii(action == Action.Block ? "block" : action == Action.Alert ? "alert" : "allow");
    w.name("mode");
    const mode = config.mode;
    w.stringAscii(mode == Mode.Protect ? "protect" : mode == Mode.Monitor ? "monitor" : "discover");

    w.name("workload");
    w.beginObject();
    w.name("namespace");
    w.stringBuffer(config.workloadNamespace);
    w.name("name");
    w.stringBuffer(config.workloadName);
    w.name("pod");
    if (pod !== null) this.field(changetype<usize>(pod), <usize>pod.byteLength);
    else w.stringAscii("");
    w.name("container");
    w.stringAscii("");
    w.endObject();

    w.name("source");
    w.beginObject();
    w.name("ip");
    this.slice(facts.sourceIp());
    w.name("port");
    w.number(facts.sourcePort());
    w.name("principal");
    this.slice(facts.principal());
    w.name("namespace");
    this.slice(facts.peerNamespace());
    w.name("workload");
    this.slice(facts.peerWorkload());
    w.endObject();

    w.name("destination");
    w.beginObject();
    w.name("ip");
    this.slice(facts.destinationIp());
    w.name("port");
    w.number(facts.destinationPort());
    w.name("principal");
    this.slice(facts.localPrincipal());
    w.name("workload");
    w.stringBuffer(config.workloadName);
    w.endObject();

    w.name("protocol");
    w.stringAscii(facts.isGrpc ? "grpc" : "http");
    w.name("http");
    w.beginObject();
    w.name("method");
    this.slice(facts.method);
    w.name("path");
    this.slice(facts.path);
    w.name("host");
    this.slice(facts.authority);
    w.name("version");
    this.slice(facts.protocol());
    this.statusAt = w.out.len;
    w.endObject();
    if (facts.isGrpc) {
      w.name("grpc");
      w.beginObject();
      w.name("service");
      this.slice(facts.grpcService);
      w.name("method");
      this.slice(facts.grpcMethod);
      w.endObject();
    }

    w.name("rule");
    if (kind == EventKind.HttpAttack && findings !== null) {
      w.beginObject();
      w.name("id");
      const idb = w.out;
      w.raw(0, 0);
      idb.ascii("\"waf/");
      idb.ascii(className(findings.bestClass));
      idb.byte(0x2f);
      idb.ascii(findings.bestRule);
      idb.byte(0x22);
      w.name("name");
      w.stringAscii(findings.bestRule);
      w.endObject();
    } else if (kind == EventKind.DlpLeak && leak !== null) {
      w.beginObject();
      w.name("id");
      const idb = w.out;
      w.raw(0, 0);
      idb.ascii("\"dlp/");
      idb.ascii(leak.sensor);
      idb.byte(0x22);
      w.name("name");
      if (leak.custom !== null) w.stringBuffer(leak.custom!);
      else w.stringAscii(leak.sensor);
      w.endObject();
    } else if (rule !== null) {
      writeRule(w, rule.id, rule.name);
    } else {
      w.nul();
    }
    w.name("attack");
    if (kind == EventKind.HttpAttack && findings !== null) {
      const cls = findings.bestClass;
      w.beginObject();
      w.name("class");
      w.stringAscii(className(cls));
      w.name("technique");
      w.stringAscii(unchecked(CLASS_TECHNIQUES[cls]));
      w.name("tactic");
      w.stringAscii(unchecked(CLASS_TACTICS[cls]));
      w.name("confidence");
      w.number(<u64>findings.confidence(threshold));
      w.endObject();
    } else if (kind == EventKind.DlpLeak && leak !== null) {
      const secret = leak.sensor != "stack-trace" && leak.sensor != "sql-error";
      w.beginObject();
      w.name("class");
      w.stringAscii("data-leak");
      w.name("technique");
      w.stringAscii(secret ? "T1552" : "T1592");
      w.name("tactic");
      w.stringAscii(secret ? "credential-access" : "reconnaissance");
      w.name("confidence");
      w.number(90);
      w.endObject();
    } else {
      w.nul();
    }
    w.name("policy");
    w.beginObject();
    w.name("version");
    w.stringBuffer(config.version);
    w.endObject();
    w.name("evidence");
    w.beginObject();
    w.name("reason");
    w.stringAscii(reason);
    if (kind == EventKind.HttpAttack && findings !== null) {
      w.name("location");
      this.field(findings.bestLocation.ptr, findings.bestLocation.len);
      w.name("match");
      this.field(findings.bestMatch.ptr, findings.bestMatch.len);
      w.name("rule");
      w.stringAscii(findings.bestRule);
      w.name("score");
      w.number(<u64>findings.total);
      w.name("threshold");
      w.number(<u64>threshold);
      w.name("classes");
      w.beginArray();
      for (let c = 0; c < findings.perClass.length; c++) {
        if (unchecked(findings.perClass[c]) > 0) w.stringAscii(className(c));
      }
      w.endArray();
    } else if (kind == EventKind.DlpLeak && leak !== null) {
      w.name("sensor");
      w.stringAscii(leak.sensor);
      w.name("location");
      w.string(leak.location.ptr, leak.location.len);
      w.name("match");
      w.string(leak.evidence.ptr, leak.evidence.len);
    }
    w.endObject();
    w.endObject();
    if (this.truncated > 0) count(Metric.FieldsTruncated, this.truncated);
  }

  private slice(s: Slice): void {
    this.field(s.ptr, s.len);
  }

  private field(p: usize, len: usize): void {
    if (this.writer.string(p, len, this.limit)) this.truncated++;
  }
}

/** A rule as events name it: {"id", "name"} (an ingress rule in HTTP events and flow records;
 * ingress or egress in TCP events, whose rules are of two classes). */
export function writeRule(w: JsonWriter, id: ArrayBuffer, name: ArrayBuffer): void {
  w.beginObject();
  w.name("id");
  w.stringBuffer(id);
  w.name("name");
  w.stringBuffer(name);
  w.endObject();
}
