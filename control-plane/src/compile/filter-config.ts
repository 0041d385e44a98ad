// The compiled filter configuration, schema 1: the contract between the compiler and
// filter/ (meshward.wasm). It is exactly the plugin configuration Envoy hands the filter
// (WasmPlugin pluginConfig, or PluginConfig.configuration over ECDS): one document per workload.
// The filter rejects the whole document if any field is wrong, so keep this file and
// filter/assembly/config/ in step; filter/README.md describes the same fields for readers.

export type Mode = 'discover' | 'monitor' | 'protect';

/** One source a rule admits. Every field present must match (AND); a rule's `from` entries are
 * alternatives (OR). An empty `from` admits any source. */
export interface PeerMatch {
  /** Peer principal (SPIFFE URI SAN). `*` alone matches any authenticated peer; a leading or
   * trailing `*` matches a suffix or prefix. */
  principal?: string;
  /** Peer namespace: from the SPIFFE principal (`/ns/<ns>/`) or the host's peer metadata. */
  namespace?: string;
  /** Peer workload name, from the host's peer metadata (`downstream_peer.workload`). */
  workload?: string;
  /** IPv4 or IPv6 CIDR matched against the source address. */
  ipBlock?: string;
}

/** HTTP operations. Empty lists match anything. */
export interface HttpMatch {
  /** Upper-case methods. */
  methods: string[];
  /** Path patterns on the path without query: `*` is one segment, `**` any number (also none);
   * anything else matches literally. */
  paths: string[];
  /** Lower-case authorities; a leading `*.` matches any subdomain. Port is ignored. */
  hosts: string[];
}

/** gRPC operations, from a request whose content-type is application/grpc* and whose path is
 * `/<service>/<method>`. */
export interface GrpcMatch {
  /** Fully-qualified service (`shop.v1.Orders`) or `*`. */
  service: string;
  /** Method names; `*` or an empty list matches any. */
  methods: string[];
}

export interface IngressRule {
  /** Stable id: `<policy namespace>/<policy name>/<rule name>`. */
  id: string;
  name: string;
  from: PeerMatch[];
  /** A request matches the rule if its source matches `from` and it matches one entry of `http`
   * or of `grpc`. With both lists empty any request from the source matches. With only `grpc`
   * given, non-gRPC requests do not match (and the other way round). */
  http: HttpMatch[];
  grpc: GrpcMatch[];
  /** The TCP fields (filter/assembly/tcp/), present only when the rule has them. A rule with
   * `protocols` or statement entries admits no HTTP request unless it has `http` or `grpc`
   * entries; one with `ports` applies to connections (and requests) to those ports only. */
  ports?: number[];
  /** Identified protocols admitted; absent: those of the entries given (an entry-less rule
   * admits any protocol). */
  protocols?: string[];
  /** Absent: no entry for the protocol (with `protocols` naming it: any statement). */
  postgres?: SqlMatch[];
  mysql?: SqlMatch[];
  redis?: RedisMatch[];
}

/** Statement kinds upper-case, or ["*"]; tables lower-case patterns (`name`, `schema.name`,
 * `prefix*`), empty: any. */
export interface SqlMatch {
  statements: string[];
  tables: string[];
}

/** Commands lower-case, `@category` or `*`; keys as written (`prefix*`), empty: any. */
export interface RedisMatch {
  commands: string[];
  keys: string[];
}

/** An outbound rule: connections whose TLS server name matches `fqdn` on one of `ports`. */
export interface EgressRule {
  /** `<policy namespace>/<policy name>/<rule name>`. */
  id: string;
  name: string;
  to: Array<{ fqdn: string; ports: number[] }>;
}

export interface TcpSettings {
  threats: DetectAction;
  maxStatementBytes: number;
  maxIdentifyBytes: number;
}

export interface EventsConfig {
  /** Cluster for proxy_http_call; empty: events are written to the proxy log instead. */
  cluster: string;
  /** `:authority` of the event POST. */
  authority: string;
  /** `:path` of the event POST, normally `/v1/events`. */
  path: string;
  /** Sent as `authorization: Bearer <token>` when not empty. */
  token: string;
  /** Events per POST; a full batch is flushed at once. */
  batchSize: number;
  /** A partial batch is flushed after this long (the filter's tick). */
  flushIntervalMs: number;
  /** Events held while waiting to be sent; beyond it they are dropped and counted. */
  bufferLimit: number;
  /** proxy_http_call timeout. */
  timeoutMs: number;
}

export interface Limits {
  /** Largest request or response body part the filter holds for inspection. */
  maxBodyBytes: number;
  /** Longest string copied into an event field (path, host, principal); longer are cut. */
  maxEventFieldBytes: number;
}

export type DetectAction = 'block' | 'alert' | 'off';

/** The detection engine's attack classes (filter/assembly/score.ts, same order). */
export const ATTACK_CLASSES = [
  'sqli', 'xss', 'path-traversal', 'rfi', 'command-injection', 'ssrf', 'jndi', 'shellshock',
  'xxe', 'ssti', 'nosqli', 'ldap-injection', 'crlf', 'mail-injection', 'ssi', 'deserialization',
  'scanner', 'protocol', 'prototype-pollution',
] as const;
export type AttackClass = (typeof ATTACK_CLASSES)[number];

/** Findings dropped: on requests whose path matches one of `paths` (empty: any), at a location
 * matching one of `params` (`query.q`, `body.json.article.*`, `header.cookie`; empty: any), of one
 * of `classes` (empty: any). */
export interface WafExclusion {
  paths: string[];
  params: string[];
  classes: AttackClass[];
}

export interface WafConfig {
  /** block: answer attacks with 403 in protect mode (alert in the other modes); alert: never block. */
  action: DetectAction;
  /** 1 (default: almost no false positives) to 4. */
  paranoia: 1 | 2 | 3 | 4;
  /** Request score at which it is an attack (one critical finding scores 5). */
  threshold: number;
  /** At most 32. */
  exclusions: WafExclusion[];
}

/** Built-in DLP sensors (filter/assembly/config/waf-config.ts, same order). */
export const DLP_SENSORS = [
  'credit-card', 'ssn', 'iban', 'aws-access-key', 'private-key', 'jwt', 'github-token',
  'slack-token', 'stack-trace', 'sql-error',
] as const;
export type DlpSensor = (typeof DLP_SENSORS)[number];

export type SensorContext = 'url' | 'header' | 'body';

/** A user-defined sensor: a pattern (regular-expression subset, see filter/README.md). */
export interface CustomSensor {
  name: string;
  pattern: string;
  contexts: SensorContext[];
}

export interface DlpConfig {
  /** block: replace the response body (or close the stream) in protect mode; alert: report. */
  action: DetectAction;
  sensors: DlpSensor[];
  custom: CustomSensor[];
  /** Also scan request bodies (data leaving the workload). */
  requests: boolean;
}

export interface FilterConfig {
  schema: 1;
  /** Content hash of the rest of the document: `sha256:<hex>`. */
  version: string;
  workload: { namespace: string; name: string };
  mode: Mode;
  /** The SecurityPolicies compiled in, as `namespace/name`, in the order their rules appear. */
  policies: string[];
  ingress: IngressRule[];
  events: EventsConfig;
  limits: Limits;
  /** Attack detection; absent: off (documents compiled before the engine). */
  waf?: WafConfig;
  /** Data loss prevention; absent: off. */
  dlp?: DlpConfig;
  /** Outbound rules; absent: egress not restricted. */
  egress?: EgressRule[];
  /** Network filter settings; absent: threats block, 65536-byte statements, 16384-byte identification. */
  tcp?: TcpSettings;
  /** Allowed-flow records; absent: on, 1024 records. */
  reporting?: ReportingConfig;
}

export interface ReportingConfig {
  flows: boolean;
  /** 1 .. 65536. */
  maxFlows: number;
}

export const DEFAULT_REPORTING: ReportingConfig = { flows: true, maxFlows: 1024 };

export const DEFAULT_TCP: TcpSettings = { threats: 'block', maxStatementBytes: 65536, maxIdentifyBytes: 16384 };

export const DEFAULT_WAF: WafConfig = { action: 'block', paranoia: 1, threshold: 5, exclusions: [] };
export const DLP_OFF: DlpConfig = { action: 'off', sensors: [], custom: [], requests: false };

export const DEFAULT_EVENTS: EventsConfig = {
  cluster: '',
  authority: 'meshward-control-plane',
  path: '/v1/events',
  token: '',
  batchSize: 100,
  flushIntervalMs: 1000,
  bufferLimit: 1000,
  timeoutMs: 5000,
};

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 262144,
  maxEventFieldBytes: 1024,
};
