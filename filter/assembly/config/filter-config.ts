// The compiled filter configuration (schema 1), as the filter holds it: built once by the
// config parser, never changed afterwards, referenced by the root and by every stream that
// started under it. Strings stay bytes (UTF-8) so matching and event writing never convert.
// The document's shape is control-plane/src/compile/filter-config.ts; keep both in step.
import { IngressRule } from "../policy/ingress";
import { DlpConfig, WafConfig } from "./waf-config";
import { TCP_DEFAULT, TcpConfig } from "../tcp/tcp-config";

export const enum Mode {
  Discover = 0,
  Monitor = 1,
  Protect = 2,
}

export class EventsConfig {
  constructor(
    /** Empty: events go to the proxy log. */
    readonly cluster: ArrayBuffer,
    readonly authority: ArrayBuffer,
    readonly path: ArrayBuffer,
    readonly token: ArrayBuffer,
    readonly batchSize: u32,
    readonly flushIntervalMs: u32,
    readonly bufferLimit: u32,
    readonly timeoutMs: u32,
  ) {}

  get logOnly(): bool {
    return this.cluster.byteLength == 0;
  }
}

export class Limits {
  constructor(
    readonly maxBodyBytes: u32,
    readonly maxEventFieldBytes: u32,
  ) {}
}

/** `reporting` (absent in the document: flows on, 1024 records). */
export class ReportingConfig {
  constructor(
    /** Aggregated records of allowed requests and statements (events/flow-table.ts). */
    readonly flows: bool,
    /** Distinct flow records held between two ticks; more are counted (flows_overflow). */
    readonly maxFlows: u32,
  ) {}
}

export const MAX_FLOWS: u32 = 65536;
export const REPORTING_DEFAULT = new ReportingConfig(true, 1024);

export class FilterConfig {
  constructor(
    readonly version: ArrayBuffer,
    readonly workloadNamespace: ArrayBuffer,
    readonly workloadName: ArrayBuffer,
    readonly mode: Mode,
    readonly policies: StaticArray<ArrayBuffer>,
    readonly ingress: StaticArray<IngressRule>,
    readonly events: EventsConfig,
    readonly limits: Limits,
    /** Attack detection (absent in the document: off). */
    readonly waf: WafConfig,
    /** Data loss prevention (absent in the document: off). */
    readonly dlp: DlpConfig,
  ) {}

  /** Egress rules and TCP settings (absent in the document: defaults); set once by the parser. */
  tcp: TcpConfig = TCP_DEFAULT;
  /** Flow reporting; set once by the parser. */
  reporting: ReportingConfig = REPORTING_DEFAULT;
}

export function modeName(mode: Mode): string {
  if (mode == Mode.Protect) return "protect";
  if (mode == Mode.Monitor) return "monitor";
  return "discover";
}
