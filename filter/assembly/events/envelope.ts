// The parts every event shares (ARCHITECTURE.md): it opens with id, time, kind, severity, action
// and mode, names the workload, source and destination, and carries rule, attack and policy.
// HTTP events (event.ts), TCP events (tcp/tcp-event.ts) and flow records (flow-record.ts) write
// these parts here and their own parts (http, tcp, statement, flow, evidence) themselves.
import { ByteBuffer } from "../bytes";
import { FilterConfig, Mode, modeName } from "../config/filter-config";
import { RequestFacts, Slice } from "../http/request-facts";
import { Metric, count } from "../metrics";
import { writeIsoTime } from "./clock";
import { writeEventId } from "./event-id";
import { JsonWriter } from "./json-writer";

/** Reset `w` and open an event: id (a new one, also left in `id`), time, kind, severity, action
 * and mode. */
export function beginEvent(
  w: JsonWriter, id: ByteBuffer, ms: u64, kind: string, severity: string, action: string, mode: Mode,
): void {
  id.reset();
  writeEventId(id, ms);
  w.reset();
  w.beginObject();
  w.name("id");
  w.string(id.ptr, id.len);
  w.name("time");
  writeTime(w, ms);
  w.name("kind");
  w.stringAscii(kind);
  w.name("severity");
  w.stringAscii(severity);
  w.name("action");
  w.stringAscii(action);
  w.name("mode");
  w.stringAscii(modeName(mode));
}

/** A time value: `"2026-11-28T19:05:10.123Z"`. */
export function writeTime(w: JsonWriter, ms: u64): void {
  w.raw(0, 0); // places the separator; the value is written straight into the buffer
  const out = w.out;
  out.byte(0x22);
  writeIsoTime(out, ms);
  out.byte(0x22);
}

/** `"workload": {namespace, name, pod, container}`; true when the pod name was cut at `limit`. */
export function writeWorkload(w: JsonWriter, config: FilterConfig, pod: ArrayBuffer | null, limit: usize): bool {
  w.name("workload");
  w.beginObject();
  w.name("namespace");
  w.stringBuffer(config.workloadNamespace);
  w.name("name");
  w.stringBuffer(config.workloadName);
  w.name("pod");
  let cut = false;
  if (pod !== null) cut = w.stringBuffer(pod, limit);
  else w.stringAscii("");
  w.name("container");
  w.stringAscii("");
  w.endObject();
  return cut;
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

/** An attack's value: {class, technique, tactic (ATT&CK), confidence}. */
export function writeAttack(w: JsonWriter, cls: string, technique: string, tactic: string, confidence: u64): void {
  w.beginObject();
  w.name("class");
  w.stringAscii(cls);
  w.name("technique");
  w.stringAscii(technique);
  w.name("tactic");
  w.stringAscii(tactic);
  w.name("confidence");
  w.number(confidence);
  w.endObject();
}

/** `"policy": {version}`: the configuration the event was decided under. */
export function writePolicy(w: JsonWriter, config: FilterConfig): void {
  w.name("policy");
  w.beginObject();
  w.name("version");
  w.stringBuffer(config.version);
  w.endObject();
}

/** What the HTTP and TCP event builders share: a reused writer, the id of the event last built,
 * and the request-derived strings cut at limits.maxEventFieldBytes, counted once the event is
 * written (meshward.fields_truncated). */
export class EventWriter {
  readonly writer: JsonWriter = new JsonWriter(2048);
  /** The id of the event last built. */
  readonly id: ByteBuffer = new ByteBuffer(64);
  private cuts: i64 = 0;
  private limit: usize = 0;

  /** Open an event (beginEvent) and write its workload. */
  protected begin(config: FilterConfig, ms: u64, kind: string, severity: string, action: string, pod: ArrayBuffer | null): void {
    this.cuts = 0;
    this.limit = <usize>config.limits.maxEventFieldBytes;
    beginEvent(this.writer, this.id, ms, kind, severity, action, config.mode);
    if (writeWorkload(this.writer, config, pod, this.limit)) this.cuts++;
  }

  /** `source` {ip, port, principal, namespace, workload} and `destination` {ip, port, principal,
   * workload} of the request or connection; a null `workload` is written "" (not ours). */
  protected sourceAndDestination(facts: RequestFacts, workload: ArrayBuffer | null): void {
    const w = this.writer;
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
    if (workload !== null) w.stringBuffer(workload);
    else w.stringAscii("");
    w.endObject();
  }

  /** Close the event and count its cut strings. */
  protected end(): void {
    this.writer.endObject();
    if (this.cuts > 0) count(Metric.FieldsTruncated, this.cuts);
  }

  /** A request-derived string, cut at the limit. */
  protected field(p: usize, len: usize): void {
    if (this.writer.string(p, len, this.limit)) this.cuts++;
  }

  protected slice(s: Slice): void {
    this.field(s.ptr, s.len);
  }
}
