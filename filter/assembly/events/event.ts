// One security event as JSON (the shape in ARCHITECTURE.md), written from the request's bytes
// into a reused buffer. Request-derived strings are cut at limits.maxEventFieldBytes and every
// cut is counted (meshward.fields_truncated).
import { FilterConfig } from "../config/filter-config";
import { RequestFacts } from "../http/request-facts";
import { IngressRule } from "../policy/ingress";
import { EventWriter, writeAttack, writePolicy, writeRule } from "./envelope";
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

export class EventBuilder extends EventWriter {
  /** Where `,"status":N` goes inside the `http` object of the event last built (a response
   * status is added once the response headers are seen). */
  statusAt: usize = 0;

  /** Build the event; the JSON is then in `writer.out` (ptr, len). */
  build(
    config: FilterConfig, facts: RequestFacts, kind: EventKind, action: Action,
    rule: IngressRule | null, reason: string, pod: ArrayBuffer | null, ms: u64,
    findings: Findings | null = null, leak: Leak | null = null, threshold: i32 = 5,
  ): void {
    let severity: string;
    if (kind == EventKind.HttpAttack && findings !== null) {
      severity = findings.bestScore >= CRITICAL ? "critical" : "high";
    } else if (kind == EventKind.DlpLeak) {
      severity = "high";
    } else {
      severity = kind == EventKind.HttpFlow ? "info" : "medium";
    }
    this.begin(
      config, ms, unchecked(KIND_NAMES[<i32>kind]), severity,
      action == Action.Block ? "block" : action == Action.Alert ? "alert" : "allow", pod,
    );
    this.sourceAndDestination(facts, config.workloadName);
    const w = this.writer;

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
      writeAttack(w, className(cls), unchecked(CLASS_TECHNIQUES[cls]), unchecked(CLASS_TACTICS[cls]), <u64>findings.confidence(threshold));
    } else if (kind == EventKind.DlpLeak && leak !== null) {
      const secret = leak.sensor != "stack-trace" && leak.sensor != "sql-error";
      writeAttack(w, "data-leak", secret ? "T1552" : "T1592", secret ? "credential-access" : "reconnaissance", 90);
    } else {
      w.nul();
    }
    writePolicy(w, config);
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
    this.end();
  }
}
