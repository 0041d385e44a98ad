// Turns the plugin configuration (JSON, schema 1) into an immutable FilterConfig, or explains
// why not. The whole document is rejected at the first problem; the message names the field
// path, the rule broken and what was found:
//   ingress[2].http[0].paths[1]: must be a string, found a number
// Every field is required except the four of a `from` entry. Unknown fields are skipped (a newer
// control plane may send them) and listed in `unknownFields` for a debug log line.
import { lowerInPlace } from "../bytes";
import { JsonReader, JsonToken } from "../json/json-reader";
import { ConfigReader, FIELD_END, FIELD_FAIL, kindOf } from "./config-reader";
import { Cidr, parseCidr } from "../policy/cidr";
import { IngressRule } from "../policy/ingress";
import { GrpcMatch, HostPattern, HttpMatch, compileHost } from "../policy/match-http";
import { PathPattern, compilePath } from "../policy/match-path";
import { PeerMatch, PrincipalPattern, compilePrincipal } from "../policy/match-peer";
import { EventsConfig, FilterConfig, Limits, MAX_FLOWS, Mode, REPORTING_DEFAULT, ReportingConfig } from "./filter-config";
import {
  CONTEXT_BODY, CONTEXT_HEADER, CONTEXT_URL, CustomSensor, DLP_OFF, DetectAction, DlpConfig,
  WAF_OFF, WafConfig, WafExclusion,
} from "./waf-config";
import { classByName } from "../score";
import { TcpConfigParser } from "../tcp/tcp-config-parser";
import { EgressRule, TCP_DEFAULT, TcpConfig, TcpRule } from "../tcp/tcp-config";
import { sensorByName } from "../dlp/scanner";
import { checkPattern } from "../dlp/pattern";

const ROOT_FIELDS: StaticArray<string> = ["schema", "version", "workload", "mode", "policies", "ingress", "events", "limits", "waf", "dlp", "egress", "tcp", "reporting"];
const REPORTING_FIELDS: StaticArray<string> = ["flows", "maxFlows"];
const WAF_FIELDS: StaticArray<string> = ["action", "paranoia", "threshold", "exclusions"];
const EXCLUSION_FIELDS: StaticArray<string> = ["paths", "params", "classes"];
const DLP_FIELDS: StaticArray<string> = ["action", "sensors", "custom", "requests"];
const SENSOR_FIELDS: StaticArray<string> = ["name", "pattern", "contexts"];
const WORKLOAD_FIELDS: StaticArray<string> = ["namespace", "name"];
const RULE_FIELDS: StaticArray<string> = ["id", "name", "from", "http", "grpc", "ports", "protocols", "postgres", "mysql", "redis"];
const PEER_FIELDS: StaticArray<string> = ["principal", "namespace", "workload", "ipBlock"];
const HTTP_FIELDS: StaticArray<string> = ["methods", "paths", "hosts"];
const GRPC_FIELDS: StaticArray<string> = ["service", "methods"];
const EVENTS_FIELDS: StaticArray<string> = ["cluster", "authority", "path", "token", "batchSize", "flushIntervalMs", "bufferLimit", "timeoutMs"];
const LIMITS_FIELDS: StaticArray<string> = ["maxBodyBytes", "maxEventFieldBytes"];

export class ConfigParser {
  private doc: ConfigReader;
  /** The reader `doc` walks, for the current token's details. */
  private r: JsonReader;
  /** The TCP fields (tcp/tcp-config-parser.ts), read from the same document. */
  private tcp: TcpConfigParser;

  constructor() {
    const doc = new ConfigReader();
    this.doc = doc;
    this.r = doc.json;
    this.tcp = new TcpConfigParser(doc);
  }

  /** Why the document was rejected; null when it was accepted. */
  get error(): string | null {
    return this.doc.error;
  }

  set error(reason: string | null) {
    this.doc.error = reason;
  }

  /** Paths of fields this version does not know (collected only when asked for). */
  get unknownFields(): Array<string> {
    return this.doc.unknownFields;
  }

  parse(p: usize, len: usize, collectUnknown: bool): FilterConfig | null {
    const doc = this.doc;
    doc.reset(p, len, collectUnknown);
    const t = doc.next();
    if (t != JsonToken.BeginObject) {
      if (doc.error === null) doc.error = "the configuration must be a JSON object, found " + kindOf(t);
      return null;
    }
    const config = this.root();
    if (config === null) return null;
    const end = doc.next();
    if (end != JsonToken.End) {
      if (doc.error === null) doc.error = "unexpected data after the configuration";
      return null;
    }
    return config;
  }

  // ---- objects ----
  // A branch that finds a problem sets the error; the next doc.field() then answers FIELD_FAIL.

  private root(): FilterConfig | null {
    const doc = this.doc;
    let version: ArrayBuffer | null = null;
    let workloadNs: ArrayBuffer | null = null;
    let workloadName: ArrayBuffer | null = null;
    let mode = Mode.Discover;
    let policies: StaticArray<ArrayBuffer> | null = null;
    let ingress: StaticArray<IngressRule> | null = null;
    let events: EventsConfig | null = null;
    let limits: Limits | null = null;
    let waf: WafConfig = WAF_OFF;
    let dlp: DlpConfig = DLP_OFF;
    let egress: StaticArray<EgressRule> | null = null;
    let tcp: TcpConfig | null = null;
    let reporting: ReportingConfig = REPORTING_DEFAULT;
    while (true) {
      const f = doc.field(ROOT_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) {
        const t = doc.next();
        if (t != JsonToken.Number || !this.r.numInteger || this.r.numNegative || this.r.numValue != 1) {
          doc.fail(t == JsonToken.Number ? "must be 1 (this filter reads schema 1), found " + doc.tokenText() : "must be 1, found " + kindOf(t));
          return null;
        }
      } else if (f == 1) {
        version = doc.string(false);
      } else if (f == 2) {
        if (!doc.beginObject()) return null;
        while (true) {
          const g = doc.field(WORKLOAD_FIELDS);
          if (g == FIELD_END) break;
          if (g == FIELD_FAIL) return null;
          if (g == 0) workloadNs = doc.string(true);
          else workloadName = doc.string(true);
        }
        if (!doc.required(WORKLOAD_FIELDS, 0b11)) return null;
      } else if (f == 3) {
        const t = doc.next();
        if (t != JsonToken.String) {
          doc.mustBe(t, "one of \"discover\", \"monitor\", \"protect\"");
          return null;
        }
        if (this.r.is("discover")) mode = Mode.Discover;
        else if (this.r.is("monitor")) mode = Mode.Monitor;
        else if (this.r.is("protect")) mode = Mode.Protect;
        else {
          doc.fail("must be one of \"discover\", \"monitor\", \"protect\", found " + doc.tokenText());
          return null;
        }
      } else if (f == 4) {
        policies = doc.stringArray(false);
      } else if (f == 5) {
        ingress = this.rules();
      } else if (f == 6) {
        events = this.events();
      } else if (f == 7) {
        limits = this.limits();
      } else if (f == 8) {
        const w = this.waf();
        if (w !== null) waf = w;
      } else if (f == 9) {
        const d = this.dlp();
        if (d !== null) dlp = d;
      } else if (f == 10) {
        egress = this.tcp.egress();
      } else if (f == 11) {
        tcp = this.tcp.settings(null);
      } else if (f == 12) {
        const rep = this.reporting();
        if (rep !== null) reporting = rep;
      }
    }
    if (!doc.required(ROOT_FIELDS, 0xff)) return null;
    const config = new FilterConfig(
      version!, workloadNs!, workloadName!, mode, policies!, ingress!, events!, limits!, waf, dlp);
    const t = tcp !== null ? tcp : TCP_DEFAULT;
    config.reporting = reporting;
    config.tcp = egress === null && tcp === null ? TCP_DEFAULT : new TcpConfig(egress, t.threats, t.maxStatementBytes, t.maxIdentifyBytes);
    return config;
  }

  private rules(): StaticArray<IngressRule> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<IngressRule>();
    while (doc.element(JsonToken.BeginObject, "an object")) {
      const rule = this.rule();
      if (rule === null) return null;
      out.push(rule);
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private rule(): IngressRule | null {
    const doc = this.doc;
    let id: ArrayBuffer | null = null;
    let name: ArrayBuffer | null = null;
    let from: StaticArray<PeerMatch> | null = null;
    let http: StaticArray<HttpMatch> | null = null;
    let grpc: StaticArray<GrpcMatch> | null = null;
    let tcp: TcpRule | null = null;
    while (true) {
      const f = doc.field(RULE_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) id = doc.string(true);
      else if (f == 1) name = doc.string(false);
      else if (f == 2) from = this.peers();
      else if (f == 3) http = this.httpMatches();
      else if (f == 4) grpc = this.grpcMatches();
      else {
        if (tcp === null) tcp = new TcpRule();
        const t = tcp!;
        if (f == 5) {
          const ports = this.tcp.ports();
          if (ports !== null) t.ports = ports;
        } else if (f == 6) t.protocols = this.tcp.protocols();
        else if (f == 7) t.postgres = this.tcp.sql();
        else if (f == 8) t.mysql = this.tcp.sql();
        else t.redis = this.tcp.redis();
      }
    }
    if (!doc.required(RULE_FIELDS, 0b11111)) return null;
    const rule = new IngressRule(id!, name!, from!, http!, grpc!);
    rule.tcp = tcp;
    return rule;
  }

  private peers(): StaticArray<PeerMatch> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<PeerMatch>();
    while (doc.element(JsonToken.BeginObject, "an object")) {
      let principal: PrincipalPattern | null = null;
      let namespace: ArrayBuffer | null = null;
      let workload: ArrayBuffer | null = null;
      let ipBlock: Cidr | null = null;
      while (true) {
        const f = doc.field(PEER_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) {
          const s = doc.string(true);
          if (s !== null) principal = compilePrincipal(s);
        } else if (f == 1) {
          namespace = doc.string(true);
        } else if (f == 2) {
          workload = doc.string(true);
        } else {
          const s = doc.string(true);
          if (s !== null) {
            ipBlock = parseCidr(changetype<usize>(s), <usize>s.byteLength);
            if (ipBlock === null) doc.fail("must be an IPv4 or IPv6 CIDR (10.0.0.0/8, fd00::/8), found " + doc.tokenText());
          }
        }
      }
      out.push(new PeerMatch(principal, namespace, workload, ipBlock));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private httpMatches(): StaticArray<HttpMatch> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<HttpMatch>();
    while (doc.element(JsonToken.BeginObject, "an object")) {
      let methods: StaticArray<ArrayBuffer> | null = null;
      let paths: StaticArray<PathPattern> | null = null;
      let hosts: StaticArray<HostPattern> | null = null;
      while (true) {
        const f = doc.field(HTTP_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) methods = this.methods();
        else if (f == 1) paths = this.paths();
        else hosts = this.hosts();
      }
      if (!doc.required(HTTP_FIELDS, 0b111)) return null;
      out.push(new HttpMatch(methods!, paths!, hosts!));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private methods(): StaticArray<ArrayBuffer> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<ArrayBuffer>();
    while (doc.element(JsonToken.String, "a string")) {
      const m = this.r.stringBytes();
      if (!isMethod(m)) {
        doc.fail("must be an upper-case HTTP method (GET, POST, ...), found " + doc.tokenText());
        return null;
      }
      out.push(m);
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private paths(): StaticArray<PathPattern> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<PathPattern>();
    while (doc.element(JsonToken.String, "a string")) {
      const pattern = compilePath(this.r.stringBytes());
      if (pattern === null) {
        doc.fail("must be a path pattern starting with '/', found " + doc.tokenText());
        return null;
      }
      out.push(pattern);
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private hosts(): StaticArray<HostPattern> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<HostPattern>();
    while (doc.element(JsonToken.String, "a string")) {
      const h = hostWithoutPort(this.r.stringBytes());
      if (!isHostPattern(h)) {
        doc.fail("must be a host name, *.<domain> or *, found " + doc.tokenText());
        return null;
      }
      lowerInPlace(h);
      out.push(compileHost(h));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private grpcMatches(): StaticArray<GrpcMatch> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<GrpcMatch>();
    while (doc.element(JsonToken.BeginObject, "an object")) {
      let service: ArrayBuffer | null = null;
      let anyService = false;
      let methods: StaticArray<ArrayBuffer> | null = null;
      while (true) {
        const f = doc.field(GRPC_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) {
          service = doc.string(true);
          if (service !== null && service.byteLength == 1 && load<u8>(changetype<usize>(service)) == 0x2a) {
            anyService = true;
          }
        } else {
          methods = doc.stringArray(true);
          if (methods !== null) methods = withoutWildcard(methods);
        }
      }
      if (!doc.required(GRPC_FIELDS, 0b11)) return null;
      out.push(new GrpcMatch(anyService ? null : service, methods!));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  private events(): EventsConfig | null {
    const doc = this.doc;
    if (!doc.beginObject()) return null;
    const strings = new StaticArray<ArrayBuffer | null>(4);
    const ints = new StaticArray<u32>(4);
    while (true) {
      const f = doc.field(EVENTS_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f < 4) {
        const s = doc.string(false);
        if (s !== null && hasControlBytes(s)) {
          doc.fail("must not contain control characters");
          return null;
        }
        if (s !== null && f == 2 && (s.byteLength == 0 || load<u8>(changetype<usize>(s)) != 0x2f)) {
          doc.fail("must start with '/', found " + doc.tokenText());
          return null;
        }
        strings[f] = s;
      } else {
        // batchSize, flushIntervalMs and timeoutMs must be positive; bufferLimit may be 0.
        ints[f - 4] = doc.uint(f == 6 ? 0 : 1);
      }
    }
    if (!doc.required(EVENTS_FIELDS, 0xff)) return null;
    return new EventsConfig(strings[0]!, strings[1]!, strings[2]!, strings[3]!, ints[0], ints[1], ints[2], ints[3]);
  }

  private limits(): Limits | null {
    const doc = this.doc;
    if (!doc.beginObject()) return null;
    let maxBody: u32 = 0;
    let maxField: u32 = 0;
    while (true) {
      const f = doc.field(LIMITS_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) maxBody = doc.uint(0);
      else maxField = doc.uint(0);
    }
    if (!doc.required(LIMITS_FIELDS, 0b11)) return null;
    return new Limits(maxBody, maxField);
  }

  /** `reporting`: allowed-flow records (flows: bool, maxFlows: 1 … 65536). */
  private reporting(): ReportingConfig | null {
    const doc = this.doc;
    if (!doc.beginObject()) return null;
    let flows = true;
    let maxFlows: u32 = REPORTING_DEFAULT.maxFlows;
    while (true) {
      const f = doc.field(REPORTING_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) {
        flows = doc.bool();
      } else {
        maxFlows = doc.uint(1);
        if (doc.error === null && maxFlows > MAX_FLOWS) {
          doc.fail("must be at most " + MAX_FLOWS.toString() + ", found " + doc.tokenText());
        }
      }
    }
    if (!doc.required(REPORTING_FIELDS, 0b11)) return null;
    return new ReportingConfig(flows, maxFlows);
  }

  private action(): DetectAction {
    const doc = this.doc;
    const t = doc.next();
    if (t != JsonToken.String) {
      doc.mustBe(t, "one of \"block\", \"alert\", \"off\"");
      return DetectAction.Off;
    }
    if (this.r.is("block")) return DetectAction.Block;
    if (this.r.is("alert")) return DetectAction.Alert;
    if (this.r.is("off")) return DetectAction.Off;
    doc.fail("must be one of \"block\", \"alert\", \"off\", found " + doc.tokenText());
    return DetectAction.Off;
  }

  private waf(): WafConfig | null {
    const doc = this.doc;
    if (!doc.beginObject()) return null;
    let action = DetectAction.Off;
    let paranoia: u32 = 1;
    let threshold: u32 = 5;
    let exclusions: StaticArray<WafExclusion> | null = null;
    while (true) {
      const f = doc.field(WAF_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) action = this.action();
      else if (f == 1) {
        paranoia = doc.uint(1);
        if (doc.error === null && paranoia > 4) doc.fail("must be 1, 2, 3 or 4, found " + doc.tokenText());
      } else if (f == 2) {
        threshold = doc.uint(1);
        if (doc.error === null && threshold > 1000) doc.fail("must be at most 1000, found " + doc.tokenText());
      } else exclusions = this.exclusions();
    }
    if (!doc.required(WAF_FIELDS, 0b1111)) return null;
    return new WafConfig(action, <i32>paranoia, <i32>threshold, exclusions!);
  }

  private exclusions(): StaticArray<WafExclusion> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<WafExclusion>();
    while (doc.element(JsonToken.BeginObject, "an object")) {
      if (out.length >= 32) {
        doc.fail("at most 32 exclusions are supported");
        return null;
      }
      let paths: StaticArray<PathPattern> | null = null;
      let params: StaticArray<ArrayBuffer> | null = null;
      let mask: u32 = 0;
      while (true) {
        const f = doc.field(EXCLUSION_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) paths = this.paths();
        else if (f == 1) params = doc.stringArray(true);
        else mask = this.names(classByName, "is not an attack class");
      }
      if (!doc.required(EXCLUSION_FIELDS, 0b111)) return null;
      out.push(new WafExclusion(paths!, params!, mask));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  /** A list of names (attack classes, sensors) as a mask of their bits: `byName` gives a name's
   * bit position, negative for a name it does not know (`notOne` says what that is not). */
  private names(byName: (p: usize, len: usize) => i32, notOne: string): u32 {
    const doc = this.doc;
    if (!doc.beginArray()) return 0;
    let mask: u32 = 0;
    while (doc.element(JsonToken.String, "a string")) {
      const bit = byName(this.r.tokenStart, this.r.tokenEnd - this.r.tokenStart);
      if (bit < 0) {
        doc.fail(notOne + ", found " + doc.tokenText());
        return 0;
      }
      mask |= <u32>1 << <u32>bit;
    }
    return mask;
  }

  private dlp(): DlpConfig | null {
    const doc = this.doc;
    if (!doc.beginObject()) return null;
    let action = DetectAction.Off;
    let sensors: u32 = 0;
    let custom: StaticArray<CustomSensor> | null = null;
    let requests = false;
    while (true) {
      const f = doc.field(DLP_FIELDS);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == 0) action = this.action();
      else if (f == 1) sensors = this.names(sensorByName, "is not a sensor");
      else if (f == 2) custom = this.sensors();
      else requests = doc.bool();
    }
    if (!doc.required(DLP_FIELDS, 0b1111)) return null;
    return new DlpConfig(action, sensors, custom!, requests);
  }

  private sensors(): StaticArray<CustomSensor> | null {
    const doc = this.doc;
    if (!doc.beginArray()) return null;
    const out = new Array<CustomSensor>();
    while (doc.element(JsonToken.BeginObject, "an object")) {
      let name: ArrayBuffer | null = null;
      let pattern: ArrayBuffer | null = null;
      let contexts: u32 = 0;
      while (true) {
        const f = doc.field(SENSOR_FIELDS);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == 0) name = doc.string(true);
        else if (f == 1) {
          pattern = doc.string(true);
          if (pattern !== null) {
            const problem = checkPattern(changetype<usize>(pattern), <usize>pattern.byteLength);
            if (problem !== null) doc.fail("invalid pattern: " + problem);
          }
        } else contexts = this.contexts();
      }
      if (!doc.required(SENSOR_FIELDS, 0b111)) return null;
      out.push(new CustomSensor(name!, pattern!, contexts, new StaticArray<i32>(0)));
    }
    return doc.failed ? null : StaticArray.fromArray(out);
  }

  /** Where a custom sensor looks: a mask of CONTEXT_* bits. */
  private contexts(): u32 {
    const doc = this.doc;
    if (!doc.beginArray()) return 0;
    let contexts: u32 = 0;
    while (doc.element(JsonToken.String, "a string")) {
      if (this.r.is("url")) contexts |= CONTEXT_URL;
      else if (this.r.is("header")) contexts |= CONTEXT_HEADER;
      else if (this.r.is("body")) contexts |= CONTEXT_BODY;
      else {
        doc.fail("must be one of \"url\", \"header\", \"body\", found " + doc.tokenText());
        return 0;
      }
    }
    return contexts;
  }
}

/** HTTP method token, upper-case: A-Z, digits, `-`, `_`. */
function isMethod(b: ArrayBuffer): bool {
  const p = changetype<usize>(b);
  const n = <usize>b.byteLength;
  if (n == 0) return false;
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f)) return false;
  }
  return true;
}

/** `*`, `*.<name>` or a name without `*` (IPv6 literals in brackets allowed). */
function isHostPattern(b: ArrayBuffer): bool {
  const p = changetype<usize>(b);
  const n = <usize>b.byteLength;
  if (n == 0) return false;
  if (n == 1 && load<u8>(p) == 0x2a) return true;
  let start: usize = 0;
  if (load<u8>(p) == 0x2a) {
    if (n < 3 || load<u8>(p + 1) != 0x2e) return false;
    start = 2;
  }
  for (let i = start; i < n; i++) {
    const c = load<u8>(p + i);
    if (c == 0x2a || c <= 0x20 || c == 0x2f || c == 0x7f) return false;
  }
  return true;
}

/** Patterns ignore ports and a trailing dot, like requests: `a.example:8080.` → `a.example`. */
function hostWithoutPort(b: ArrayBuffer): ArrayBuffer {
  const p = changetype<usize>(b);
  let n = <usize>b.byteLength;
  if (n > 0 && load<u8>(p) != 0x5b) {
    for (let i = n; i > 0; i--) {
      const c = load<u8>(p + i - 1);
      if (c == 0x3a) {
        if (i < n) n = i - 1;
        break;
      }
      if (c < 0x30 || c > 0x39) break;
    }
  } else if (n > 0) {
    for (let i: usize = 1; i < n; i++) {
      if (load<u8>(p + i) == 0x5d) {
        n = i + 1;
        break;
      }
    }
  }
  if (n > 1 && load<u8>(p + n - 1) == 0x2e) n--;
  if (n == <usize>b.byteLength) return b;
  return b.slice(0, <i32>n);
}

function hasControlBytes(b: ArrayBuffer): bool {
  const p = changetype<usize>(b);
  for (let i = 0; i < b.byteLength; i++) {
    const c = load<u8>(p + i);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

/** A method list holding `*` means any method: the empty list. */
function withoutWildcard(methods: StaticArray<ArrayBuffer>): StaticArray<ArrayBuffer> {
  for (let i = 0; i < methods.length; i++) {
    const m = unchecked(methods[i]);
    if (m.byteLength == 1 && load<u8>(changetype<usize>(m)) == 0x2a) return new StaticArray<ArrayBuffer>(0);
  }
  return methods;
}
