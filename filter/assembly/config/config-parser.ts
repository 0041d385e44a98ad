// Turns the plugin configuration (JSON, schema 1) into an immutable FilterConfig, or explains
// why not. The whole document is rejected at the first problem; the message names the field
// path, the rule broken and what was found:
//   ingress[2].http[0].paths[1]: must be a string, found a number
// Every field is required except the four of a `from` entry. Unknown fields are skipped (a newer
// control plane may send them) and listed in `unknownFields` for a debug log line.
import { lowerInPlace } from "../bytes";
import { JsonReader, JsonToken } from "../json/json-reader";
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

const MAX_INT: u64 = 2147483647;

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
  private r: JsonReader = new JsonReader();
  /** The TCP fields (tcp/tcp-config-parser.ts), read from the same reader. */
  private tcp: TcpConfigParser = new TcpConfigParser();
  /** Why the document was rejected; null when it was accepted. */
  error: string | null = null;
  /** Paths of fields this version does not know (collected only when asked for). */
  unknownFields: Array<string> = new Array<string>();
  private collectUnknown: bool = false;

  parse(p: usize, len: usize, collectUnknown: bool): FilterConfig | null {
    this.error = null;
    this.unknownFields = new Array<string>();
    this.collectUnknown = collectUnknown;
    this.r.reset(p, len, true);
    const t = this.next();
    if (t != JsonToken.BeginObject) {
      if (this.error === null) this.error = "the configuration must be a JSON object, found " + found(t);
      return null;
    }
    const config = this.root();
    if (config === null) return null;
    const end = this.next();
    if (end != JsonToken.End) {
      if (this.error === null) this.error = "unexpected data after the configuration";
      return null;
    }
    return config;
  }

  // ---- objects ----

  private root(): FilterConfig | null {
    let seen: u32 = 0;
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
    this.tcp.begin(this.r);
    while (true) {
      const f = this.field(ROOT_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) {
        const t = this.next();
        if (t != JsonToken.Number || !this.r.numInteger || this.r.numNegative || this.r.numValue != 1) {
          this.fail(this.r.path(), t == JsonToken.Number ? "must be 1 (this filter reads schema 1), found " + this.tokenText() : "must be 1, found " + found(t));
          return null;
        }
      } else if (f == 1) {
        version = this.string(false);
      } else if (f == 2) {
        if (!this.beginObject()) return null;
        let wseen: u32 = 0;
        while (true) {
          const g = this.field(WORKLOAD_FIELDS, wseen);
          if (g == FIELD_END) break;
          if (g == FIELD_FAIL) return null;
          if (g == FIELD_SKIPPED) continue;
          wseen |= 1 << <u32>g;
          if (g == 0) workloadNs = this.string(true);
          else workloadName = this.string(true);
          if (this.error !== null) return null;
        }
        if (!this.required(WORKLOAD_FIELDS, wseen, 0b11)) return null;
      } else if (f == 3) {
        const t = this.next();
        if (t != JsonToken.String) {
          this.typeError(t, "one of \"discover\", \"monitor\", \"protect\"");
          return null;
        }
        if (this.r.is("discover")) mode = Mode.Discover;
        else if (this.r.is("monitor")) mode = Mode.Monitor;
        else if (this.r.is("protect")) mode = Mode.Protect;
        else {
          this.fail(this.r.path(), "must be one of \"discover\", \"monitor\", \"protect\", found " + this.tokenText());
          return null;
        }
      } else if (f == 4) {
        policies = this.stringArray(false);
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
        this.tcpError();
      } else if (f == 11) {
        tcp = this.tcp.settings(null);
        this.tcpError();
      } else if (f == 12) {
        const rep = this.reporting();
        if (rep !== null) reporting = rep;
      }
      if (this.error !== null) return null;
    }
    if (!this.required(ROOT_FIELDS, seen, 0xff)) return null;
    const config = new FilterConfig(
      version!, workloadNs!, workloadName!, mode, policies!, ingress!, events!, limits!, waf, dlp);
    const t = tcp !== null ? tcp : TCP_DEFAULT;
    config.reporting = reporting;
    config.tcp = egress === null && tcp === null ? TCP_DEFAULT : new TcpConfig(egress, t.threats, t.maxStatementBytes, t.maxIdentifyBytes);
    return config;
  }

  private rules(): StaticArray<IngressRule> | null {
    if (!this.beginArray()) return null;
    const out = new Array<IngressRule>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.typeError(t, "an object");
        return null;
      }
      const rule = this.rule();
      if (rule === null) return null;
      out.push(rule);
    }
    return StaticArray.fromArray(out);
  }

  private rule(): IngressRule | null {
    let seen: u32 = 0;
    let id: ArrayBuffer | null = null;
    let name: ArrayBuffer | null = null;
    let from: StaticArray<PeerMatch> | null = null;
    let http: StaticArray<HttpMatch> | null = null;
    let grpc: StaticArray<GrpcMatch> | null = null;
    let tcp: TcpRule | null = null;
    while (true) {
      const f = this.field(RULE_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) id = this.string(true);
      else if (f == 1) name = this.string(false);
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
        this.tcpError();
      }
      if (this.error !== null) return null;
    }
    if (!this.required(RULE_FIELDS, seen, 0b11111)) return null;
    const rule = new IngressRule(id!, name!, from!, http!, grpc!);
    rule.tcp = tcp;
    return rule;
  }

  private peers(): StaticArray<PeerMatch> | null {
    if (!this.beginArray()) return null;
    const out = new Array<PeerMatch>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.typeError(t, "an object");
        return null;
      }
      let seen: u32 = 0;
      let principal: PrincipalPattern | null = null;
      let namespace: ArrayBuffer | null = null;
      let workload: ArrayBuffer | null = null;
      let ipBlock: Cidr | null = null;
      while (true) {
        const f = this.field(PEER_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) {
          const s = this.string(true);
          if (s !== null) principal = compilePrincipal(s);
        } else if (f == 1) {
          namespace = this.string(true);
        } else if (f == 2) {
          workload = this.string(true);
        } else {
          const s = this.string(true);
          if (s !== null) {
            ipBlock = parseCidr(changetype<usize>(s), <usize>s.byteLength);
            if (ipBlock === null) {
              this.fail(this.r.path(), "must be an IPv4 or IPv6 CIDR (10.0.0.0/8, fd00::/8), found " + this.tokenText());
            }
          }
        }
        if (this.error !== null) return null;
      }
      out.push(new PeerMatch(principal, namespace, workload, ipBlock));
    }
    return StaticArray.fromArray(out);
  }

  private httpMatches(): StaticArray<HttpMatch> | null {
    if (!this.beginArray()) return null;
    const out = new Array<HttpMatch>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.typeError(t, "an object");
        return null;
      }
      let seen: u32 = 0;
      let methods: StaticArray<ArrayBuffer> | null = null;
      let paths: StaticArray<PathPattern> | null = null;
      let hosts: StaticArray<HostPattern> | null = null;
      while (true) {
        const f = this.field(HTTP_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) methods = this.methods();
        else if (f == 1) paths = this.paths();
        else hosts = this.hosts();
        if (this.error !== null) return null;
      }
      if (!this.required(HTTP_FIELDS, seen, 0b111)) return null;
      out.push(new HttpMatch(methods!, paths!, hosts!));
    }
    return StaticArray.fromArray(out);
  }

  private methods(): StaticArray<ArrayBuffer> | null {
    if (!this.beginArray()) return null;
    const out = new Array<ArrayBuffer>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String) {
        this.typeError(t, "a string");
        return null;
      }
      const m = this.r.stringBytes();
      if (!isMethod(m)) {
        this.fail(this.r.path(), "must be an upper-case HTTP method (GET, POST, ...), found " + this.tokenText());
        return null;
      }
      out.push(m);
    }
    return StaticArray.fromArray(out);
  }

  private paths(): StaticArray<PathPattern> | null {
    if (!this.beginArray()) return null;
    const out = new Array<PathPattern>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String) {
        this.typeError(t, "a string");
        return null;
      }
      const pattern = compilePath(this.r.stringBytes());
      if (pattern === null) {
        this.fail(this.r.path(), "must be a path pattern starting with '/', found " + this.tokenText());
        return null;
      }
      out.push(pattern);
    }
    return StaticArray.fromArray(out);
  }

  private hosts(): StaticArray<HostPattern> | null {
    if (!this.beginArray()) return null;
    const out = new Array<HostPattern>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String) {
        this.typeError(t, "a string");
        return null;
      }
      const h = hostWithoutPort(this.r.stringBytes());
      if (!isHostPattern(h)) {
        this.fail(this.r.path(), "must be a host name, *.<domain> or *, found " + this.tokenText());
        return null;
      }
      lowerInPlace(h);
      out.push(compileHost(h));
    }
    return StaticArray.fromArray(out);
  }

  private grpcMatches(): StaticArray<GrpcMatch> | null {
    if (!this.beginArray()) return null;
    const out = new Array<GrpcMatch>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.typeError(t, "an object");
        return null;
      }
      let seen: u32 = 0;
      let service: ArrayBuffer | null = null;
      let anyService = false;
      let methods: StaticArray<ArrayBuffer> | null = null;
      while (true) {
        const f = this.field(GRPC_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) {
          service = this.string(true);
          if (service !== null && service.byteLength == 1 && load<u8>(changetype<usize>(service)) == 0x2a) {
            anyService = true;
          }
        } else {
          methods = this.stringArray(true);
          if (methods !== null) methods = withoutWildcard(methods);
        }
        if (this.error !== null) return null;
      }
      if (!this.required(GRPC_FIELDS, seen, 0b11)) return null;
      out.push(new GrpcMatch(anyService ? null : service, methods!));
    }
    return StaticArray.fromArray(out);
  }

  private events(): EventsConfig | null {
    if (!this.beginObject()) return null;
    let seen: u32 = 0;
    const strings = new StaticArray<ArrayBuffer | null>(4);
    const ints = new StaticArray<u32>(4);
    while (true) {
      const f = this.field(EVENTS_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f < 4) {
        const s = this.string(false);
        if (s !== null && hasControlBytes(s)) {
          this.fail(this.r.path(), "must not contain control characters");
          return null;
        }
        if (s !== null && f == 2 && (s.byteLength == 0 || load<u8>(changetype<usize>(s)) != 0x2f)) {
          this.fail(this.r.path(), "must start with '/', found " + this.tokenText());
          return null;
        }
        strings[f] = s;
      } else {
        // batchSize, flushIntervalMs and timeoutMs must be positive; bufferLimit may be 0.
        ints[f - 4] = this.uint(f == 6 ? 0 : 1);
      }
      if (this.error !== null) return null;
    }
    if (!this.required(EVENTS_FIELDS, seen, 0xff)) return null;
    return new EventsConfig(strings[0]!, strings[1]!, strings[2]!, strings[3]!, ints[0], ints[1], ints[2], ints[3]);
  }

  private limits(): Limits | null {
    if (!this.beginObject()) return null;
    let seen: u32 = 0;
    let maxBody: u32 = 0;
    let maxField: u32 = 0;
    while (true) {
      const f = this.field(LIMITS_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) maxBody = this.uint(0);
      else maxField = this.uint(0);
      if (this.error !== null) return null;
    }
    if (!this.required(LIMITS_FIELDS, seen, 0b11)) return null;
    return new Limits(maxBody, maxField);
  }

  /** `reporting`: allowed-flow records (flows: bool, maxFlows: 1 … 65536). */
  private reporting(): ReportingConfig | null {
    if (!this.beginObject()) return null;
    let seen: u32 = 0;
    let flows = true;
    let maxFlows: u32 = REPORTING_DEFAULT.maxFlows;
    while (true) {
      const f = this.field(REPORTING_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) {
        const u = this.next();
        if (u == JsonToken.True) flows = true;
        else if (u == JsonToken.False) flows = false;
        else this.typeError(u, "true or false");
      } else {
        maxFlows = this.uint(1);
        if (this.error === null && maxFlows > MAX_FLOWS) {
          this.fail(this.r.path(), "must be at most " + MAX_FLOWS.toString() + ", found " + this.tokenText());
        }
      }
      if (this.error !== null) return null;
    }
    if (!this.required(REPORTING_FIELDS, seen, 0b11)) return null;
    return new ReportingConfig(flows, maxFlows);
  }

  private action(): DetectAction {
    const t = this.next();
    if (t != JsonToken.String) {
      this.typeError(t, "one of \"block\", \"alert\", \"off\"");
      return DetectAction.Off;
    }
    if (this.r.is("block")) return DetectAction.Block;
    if (this.r.is("alert")) return DetectAction.Alert;
    if (this.r.is("off")) return DetectAction.Off;
    this.fail(this.r.path(), "must be one of \"block\", \"alert\", \"off\", found " + this.tokenText());
    return DetectAction.Off;
  }

  private waf(): WafConfig | null {
    if (!this.beginObject()) return null;
    let seen: u32 = 0;
    let action = DetectAction.Off;
    let paranoia: u32 = 1;
    let threshold: u32 = 5;
    let exclusions: StaticArray<WafExclusion> | null = null;
    while (true) {
      const f = this.field(WAF_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) action = this.action();
      else if (f == 1) {
        paranoia = this.uint(1);
        if (this.error === null && paranoia > 4) this.fail(this.r.path(), "must be 1, 2, 3 or 4, found " + this.tokenText());
      } else if (f == 2) {
        threshold = this.uint(1);
        if (this.error === null && threshold > 1000) this.fail(this.r.path(), "must be at most 1000, found " + this.tokenText());
      } else exclusions = this.exclusions();
      if (this.error !== null) return null;
    }
    if (!this.required(WAF_FIELDS, seen, 0b1111)) return null;
    return new WafConfig(action, <i32>paranoia, <i32>threshold, exclusions!);
  }

  private exclusions(): StaticArray<WafExclusion> | null {
    if (!this.beginArray()) return null;
    const out = new Array<WafExclusion>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.typeError(t, "an object");
        return null;
      }
      if (out.length >= 32) {
        this.fail(this.r.path(), "at most 32 exclusions are supported");
        return null;
      }
      let seen: u32 = 0;
      let paths: StaticArray<PathPattern> | null = null;
      let params: StaticArray<ArrayBuffer> | null = null;
      let mask: u32 = 0;
      while (true) {
        const f = this.field(EXCLUSION_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) paths = this.paths();
        else if (f == 1) params = this.stringArray(true);
        else {
          if (!this.beginArray()) return null;
          while (true) {
            const u = this.next();
            if (u == JsonToken.EndArray) break;
            if (u != JsonToken.String) {
              this.typeError(u, "a string");
              return null;
            }
            const c = classByName(this.r.tokenStart, this.r.tokenEnd - this.r.tokenStart);
            if (c < 0) {
              this.fail(this.r.path(), "is not an attack class, found " + this.tokenText());
              return null;
            }
            mask |= <u32>1 << <u32>c;
          }
        }
        if (this.error !== null) return null;
      }
      if (!this.required(EXCLUSION_FIELDS, seen, 0b111)) return null;
      out.push(new WafExclusion(paths!, params!, mask));
    }
    return StaticArray.fromArray(out);
  }

  private dlp(): DlpConfig | null {
    if (!this.beginObject()) return null;
    let seen: u32 = 0;
    let action = DetectAction.Off;
    let sensors: u32 = 0;
    let custom: StaticArray<CustomSensor> | null = null;
    let requests = false;
    while (true) {
      const f = this.field(DLP_FIELDS, seen);
      if (f == FIELD_END) break;
      if (f == FIELD_FAIL) return null;
      if (f == FIELD_SKIPPED) continue;
      seen |= 1 << <u32>f;
      if (f == 0) action = this.action();
      else if (f == 1) {
        if (!this.beginArray()) return null;
        while (true) {
          const u = this.next();
          if (u == JsonToken.EndArray) break;
          if (u != JsonToken.String) {
            this.typeError(u, "a string");
            return null;
          }
          const s = sensorByName(this.r.tokenStart, this.r.tokenEnd - this.r.tokenStart);
          if (s < 0) {
            this.fail(this.r.path(), "is not a sensor, found " + this.tokenText());
            return null;
          }
          sensors |= <u32>1 << <u32>s;
        }
      } else if (f == 2) custom = this.sensors();
      else {
        const u = this.next();
        if (u == JsonToken.True) requests = true;
        else if (u == JsonToken.False) requests = false;
        else this.typeError(u, "true or false");
      }
      if (this.error !== null) return null;
    }
    if (!this.required(DLP_FIELDS, seen, 0b1111)) return null;
    return new DlpConfig(action, sensors, custom!, requests);
  }

  private sensors(): StaticArray<CustomSensor> | null {
    if (!this.beginArray()) return null;
    const out = new Array<CustomSensor>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.BeginObject) {
        this.typeError(t, "an object");
        return null;
      }
      let seen: u32 = 0;
      let name: ArrayBuffer | null = null;
      let pattern: ArrayBuffer | null = null;
      let contexts: u32 = 0;
      while (true) {
        const f = this.field(SENSOR_FIELDS, seen);
        if (f == FIELD_END) break;
        if (f == FIELD_FAIL) return null;
        if (f == FIELD_SKIPPED) continue;
        seen |= 1 << <u32>f;
        if (f == 0) name = this.string(true);
        else if (f == 1) {
          pattern = this.string(true);
          if (pattern !== null) {
            const problem = checkPattern(changetype<usize>(pattern), <usize>pattern.byteLength);
            if (problem !== null) this.fail(this.r.path(), "invalid pattern: " + problem);
          }
        } else {
          if (!this.beginArray()) return null;
          while (true) {
            const u = this.next();
            if (u == JsonToken.EndArray) break;
            if (u != JsonToken.String) {
              this.typeError(u, "a string");
              return null;
            }
            if (this.r.is("url")) contexts |= CONTEXT_URL;
            else if (this.r.is("header")) contexts |= CONTEXT_HEADER;
            else if (this.r.is("body")) contexts |= CONTEXT_BODY;
            else {
              this.fail(this.r.path(), "must be one of \"url\", \"header\", \"body\", found " + this.tokenText());
              return null;
            }
          }
        }
        if (this.error !== null) return null;
      }
      if (!this.required(SENSOR_FIELDS, seen, 0b111)) return null;
      out.push(new CustomSensor(name!, pattern!, contexts, new StaticArray<i32>(0)));
    }
    return StaticArray.fromArray(out);
  }

  /** Take the TCP reader's error as this document's. */
  private tcpError(): void {
    if (this.error === null && this.tcp.error !== null) this.error = this.tcp.error;
  }

  // ---- fields and values ----

  /** Read the next field of the object being walked: its index in `names`, FIELD_END at the
   * end of the object, FIELD_SKIPPED after skipping an unknown one, FIELD_FAIL on error. */
  private field(names: StaticArray<string>, seen: u32): i32 {
    const t = this.next();
    if (t == JsonToken.EndObject) return FIELD_END;
    if (t != JsonToken.Key) {
      if (this.error === null) this.fail(this.r.path(), "expected a field");
      return FIELD_FAIL;
    }
    for (let i = 0; i < names.length; i++) {
      if (this.r.is(unchecked(names[i]))) {
        if ((seen & (1 << <u32>i)) != 0) {
          this.fail(this.r.path(), "duplicate field");
          return FIELD_FAIL;
        }
        return i;
      }
    }
    if (this.collectUnknown) this.unknownFields.push(this.r.path());
    const v = this.next();
    if (!this.r.skip(v)) {
      if (this.error === null) this.fail(this.r.path(), this.r.error);
      return FIELD_FAIL;
    }
    return FIELD_SKIPPED;
  }

  /** After the object ended: every field in `mask` must have been seen. */
  private required(names: StaticArray<string>, seen: u32, mask: u32): bool {
    for (let i = 0; i < names.length; i++) {
      const bit: u32 = 1 << <u32>i;
      if ((mask & bit) != 0 && (seen & bit) == 0) {
        this.fail(this.r.pathOf(unchecked(names[i])), "is required");
        return false;
      }
    }
    return true;
  }

  private string(nonEmpty: bool): ArrayBuffer | null {
    const t = this.next();
    if (t != JsonToken.String) {
      this.typeError(t, nonEmpty ? "a non-empty string" : "a string");
      return null;
    }
    const s = this.r.stringBytes();
    if (nonEmpty && s.byteLength == 0) {
      this.fail(this.r.path(), "must be a non-empty string");
      return null;
    }
    return s;
  }

  private stringArray(nonEmpty: bool): StaticArray<ArrayBuffer> | null {
    if (!this.beginArray()) return null;
    const out = new Array<ArrayBuffer>();
    while (true) {
      const t = this.next();
      if (t == JsonToken.EndArray) break;
      if (t != JsonToken.String) {
        this.typeError(t, nonEmpty ? "a non-empty string" : "a string");
        return null;
      }
      const s = this.r.stringBytes();
      if (nonEmpty && s.byteLength == 0) {
        this.fail(this.r.path(), "must be a non-empty string");
        return null;
      }
      out.push(s);
    }
    return StaticArray.fromArray(out);
  }

  private uint(min: u32): u32 {
    const t = this.next();
    if (t != JsonToken.Number) {
      this.typeError(t, "a non-negative integer");
      return 0;
    }
    const r = this.r;
    if (!r.numInteger || r.numNegative) {
      this.fail(r.path(), "must be a non-negative integer, found " + this.tokenText());
      return 0;
    }
    if (r.numOverflow || r.numValue > MAX_INT) {
      this.fail(r.path(), "must be at most " + MAX_INT.toString() + ", found " + this.tokenText());
      return 0;
    }
    const v = <u32>r.numValue;
    if (v < min) {
      this.fail(r.path(), "must be a positive integer, found " + this.tokenText());
      return 0;
    }
    return v;
  }

  private beginObject(): bool {
    const t = this.next();
    if (t == JsonToken.BeginObject) return true;
    this.typeError(t, "an object");
    return false;
  }

  private beginArray(): bool {
    const t = this.next();
    if (t == JsonToken.BeginArray) return true;
    this.typeError(t, "an array");
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

  private typeError(t: JsonToken, expected: string): void {
    if (t == JsonToken.Error || this.error !== null) return;
    this.fail(this.r.path(), "must be " + expected + ", found " + found(t));
  }

  private fail(path: string, message: string): void {
    if (this.error !== null) return;
    this.error = path.length > 0 ? path + ": " + message : message;
  }

  /** The current token as it appears in the document, quoted for strings, cut at 64 bytes. */
  private tokenText(): string {
    const r = this.r;
    let start = r.tokenStart;
    let end = r.tokenEnd;
    const quoted = r.tokenStart > 0 && load<u8>(r.tokenStart - 1) == 0x22;
    if (end - start > 64) end = start + 64;
    const text = String.UTF8.decodeUnsafe(start, end - start, false);
    return quoted ? "\"" + text + (r.tokenEnd - r.tokenStart > 64 ? "...\"" : "\"") : text;
  }
}

const FIELD_END = -1;
const FIELD_SKIPPED = -2;
const FIELD_FAIL = -3;

function found(t: JsonToken): string {
  if (t == JsonToken.BeginObject) return "an object";
  if (t == JsonToken.BeginArray) return "an array";
  if (t == JsonToken.String) return "a string";
  if (t == JsonToken.Number) return "a number";
  if (t == JsonToken.True) return "true";
  if (t == JsonToken.False) return "false";
  if (t == JsonToken.Null) return "null";
  return "nothing";
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
