// The schema users write: SecurityPolicy, meshward.io/v1alpha1. These types describe a policy as
// written and validated, optional fields still optional; the compiler fills the defaults. The
// compiled form lives in ../compile/filter-config.ts and must not leak in here (a future
// v1beta1 converts to this version, not to the filter's shape).

import type { ChannelsSpec, FilesSpec, PortsSpec, ProcessesSpec, TrafficSpec } from './types-workload.js';

export const API_VERSION = 'meshward.io/v1alpha1';
export const KIND = 'SecurityPolicy';

/** As in Kubernetes, a policy without `metadata.namespace` belongs to `default`. */
export const DEFAULT_NAMESPACE = 'default';

export type PolicyMode = 'discover' | 'monitor' | 'protect';
export const POLICY_MODES: readonly PolicyMode[] = ['discover', 'monitor', 'protect'];

/** A policy without `spec.mode` alerts but does not block: writing a policy says which traffic
 * is expected, and a first deploy should not cut off traffic the author forgot. (A workload that
 * no policy selects is in `discover`.) */
export const DEFAULT_POLICY_MODE: PolicyMode = 'monitor';

/** The methods of RFC 9110 and RFC 5789. Methods are case-sensitive, so only upper case. */
export const HTTP_METHODS = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE',
] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface SecurityPolicy {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: PolicyMetadata;
  spec: SecurityPolicySpec;
}

export interface PolicyMetadata {
  /** DNS-1123 label. */
  name: string;
  /** DNS-1123 label; absent means `default`. */
  namespace?: string;
  /** Kubernetes labels and annotations: accepted so that a policy read back from the cluster
   * validates; they do not change what the policy does. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** One field per section; each section is validated by its own `section-<key>.ts`. */
export interface SecurityPolicySpec {
  selector: WorkloadSelector;
  /** Absent: `monitor` (DEFAULT_POLICY_MODE). */
  mode?: PolicyMode;
  /** Absent or empty: no request is admitted, so every request is a violation. */
  ingress?: IngressRuleSpec[];
  /** Attack detection. Absent: on, blocking at paranoia 1 (what the mode allows). */
  waf?: WafSpec;
  /** Data loss prevention. Absent: off. */
  dlp?: DlpSpec;
  /** Outbound connections the selected workloads may open (TLS server name and port).
   * Absent: egress is not restricted; `[]`: no outbound connection is admitted. */
  egress?: EgressRuleSpec[];
  /** TCP settings: threat action and limits. Absent: defaults. */
  tcp?: TcpSpec;
  /** Allowed-flow reports. Absent: flows on, 1024 records per tick. */
  reporting?: ReportingSpec;
  /** Host agent: executables the workload may run. Absent: learned in discover, else none. */
  processes?: ProcessesSpec;
  /** Host agent: writes to binaries, libraries, /etc, cron; reads of secrets. */
  files?: FilesSpec;
  /** Host agent: listening sockets. */
  ports?: PortsSpec;
  /** Host agent: who may reach the mesh, Kubernetes and runtime control planes. */
  channels?: ChannelsSpec;
  /** Host agent: the filter on traffic that crosses no sidecar. Absent: off. */
  traffic?: TrafficSpec;
}

export type DetectActionSpec = 'block' | 'alert' | 'off';
export const DETECT_ACTIONS: readonly DetectActionSpec[] = ['block', 'alert', 'off'];

/** The attack classes exclusions may name (the filter's, same spelling). */
export const WAF_CLASSES = [
  'sqli', 'xss', 'path-traversal', 'rfi', 'command-injection', 'ssrf', 'jndi', 'shellshock',
  'xxe', 'ssti', 'nosqli', 'ldap-injection', 'crlf', 'mail-injection', 'ssi', 'deserialization',
  'scanner', 'protocol', 'prototype-pollution',
] as const;
export type WafClass = (typeof WAF_CLASSES)[number];

export interface WafSpec {
  /** Absent: block (in protect mode; the other modes alert). */
  action?: DetectActionSpec;
  /** 1 (default: tuned for almost no false positives) to 4 (most findings). */
  paranoia?: number;
  /** Score at which a request is an attack; absent: 5 (one critical finding). */
  threshold?: number;
  exclusions?: WafExclusionSpec[];
}

/** At least one field. A finding is dropped when the request path matches one of `paths`, its
 * location matches one of `params` (`query.q`, `body.json.article.*`) and its class is one of
 * `classes` (each absent field matches anything). */
export interface WafExclusionSpec {
  paths?: string[];
  params?: string[];
  classes?: WafClass[];
}

export const DLP_SENSOR_NAMES = [
  'credit-card', 'ssn', 'iban', 'aws-access-key', 'private-key', 'jwt', 'github-token',
  'slack-token', 'stack-trace', 'sql-error',
] as const;
export type DlpSensorName = (typeof DLP_SENSOR_NAMES)[number];
/** Sensors a `dlp:` section without `sensors` turns on: all but jwt (login responses carry
 * tokens by design). */
export const DEFAULT_DLP_SENSORS: readonly DlpSensorName[] = DLP_SENSOR_NAMES.filter((s) => s !== 'jwt');

export interface DlpSpec {
  /** Absent: alert. */
  action?: DetectActionSpec;
  /** Absent: DEFAULT_DLP_SENSORS. */
  sensors?: DlpSensorName[];
  custom?: CustomSensorSpec[];
  /** Also scan request bodies leaving the workload; absent: false. */
  requests?: boolean;
}

export interface CustomSensorSpec {
  /** DNS-1123 label, unique within the policy. */
  name: string;
  /** A regular-expression subset: literals, `.`, classes, `\d \w \s`, `* + ? {n,m}`, `^ $`,
   * top-level `|`, a leading `(?i)`; no groups. */
  pattern: string;
  /** Absent: [body]. */
  contexts?: Array<'url' | 'header' | 'body'>;
}

/** Exactly one of the two. Selects workloads in the policy's own namespace only. */
export interface WorkloadSelector {
  /** Every pair must match the workload's labels. Never empty. */
  matchLabels?: Record<string, string>;
  /** Workload names. Never empty. */
  workloads?: string[];
}

export interface IngressRuleSpec {
  /** DNS-1123 label, unique within the policy; the rule id is `<namespace>/<policy>/<name>`. */
  name: string;
  /** Alternatives; absent: any source. */
  from?: PeerSpec[];
  /** Absent together with `grpc`: any request from the source. */
  http?: HttpMatchSpec[];
  grpc?: GrpcMatchSpec[];
  /** Destination ports the rule applies to; absent: any. */
  ports?: number[];
  /** Application protocols the rule admits (identified from the bytes, whatever the port). */
  protocols?: ProtocolName[];
  /** Statements admitted on PostgreSQL connections. */
  postgres?: SqlRuleSpec[];
  /** Statements admitted on MySQL/MariaDB connections. */
  mysql?: SqlRuleSpec[];
  /** Commands admitted on Redis connections. */
  redis?: RedisRuleSpec[];
}

/** The protocols the network filter identifies (filter/assembly/tcp/identify.ts). */
export const PROTOCOL_NAMES = [
  'http', 'http2', 'grpc', 'tls', 'ssh', 'postgres', 'mysql', 'redis', 'mongodb', 'kafka',
  'cassandra', 'memcached', 'dns', 'mqtt', 'amqp', 'zookeeper', 'smtp', 'ftp',
] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** Statement kinds of `postgres:` and `mysql:` entries; UNION is the permission to union. */
export const STATEMENT_KINDS = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'TRUNCATE', 'COPY', 'DDL', 'GRANT',
  'TRANSACTION', 'SESSION', 'CALL', 'LOCK', 'MAINTENANCE', 'OTHER', 'UNION',
] as const;
export type StatementKind = (typeof STATEMENT_KINDS)[number];

/** A statement is admitted when all its kinds are listed (or `*`) and every table it names
 * matches one of `tables` (absent: any table). */
export interface SqlRuleSpec {
  statements: Array<StatementKind | '*'>;
  /** `name`, `schema.name`, `prefix*` or `*`; unqualified names match any schema. */
  tables?: string[];
}

export const REDIS_CATEGORIES = ['read', 'write', 'admin', 'dangerous', 'pubsub', 'connection', 'scripting', 'transaction'] as const;

/** Command names (any case), `@category` or `*`; keys: `name`, `prefix*` or `*`. */
export interface RedisRuleSpec {
  commands: string[];
  keys?: string[];
}

export interface EgressRuleSpec {
  /** DNS-1123 label, unique within the policy. */
  name: string;
  to: EgressTargetSpec[];
}

export interface EgressTargetSpec {
  /** Host name or `*.domain`, matched against the TLS server name (SNI). */
  fqdn: string;
  /** Destination ports; absent: any. */
  ports?: number[];
}

export interface TcpSpec {
  /** SQL injection shapes, dangerous Redis commands, TLS downgrade, SSH v1. Absent: block. */
  threats?: DetectActionSpec;
  /** Longest statement judged whole (64 .. 16777216); absent: 65536. */
  maxStatementBytes?: number;
  /** Bytes held while identifying a protocol (16 .. 1048576); absent: 16384. */
  maxIdentifyBytes?: number;
}

export interface ReportingSpec {
  /** Aggregated records of allowed traffic, in every mode. Absent: on. */
  flows?: 'on' | 'off';
  /** Distinct flow records held between two ticks (1 .. 65536); absent: 1024. */
  maxFlows?: number;
}

/** At least one field; all given fields must match. */
export interface PeerSpec {
  /** SPIFFE id; `*` alone, or one `*` at the start or the end. */
  principal?: string;
  namespace?: string;
  workload?: string;
  /** IPv4 or IPv6 CIDR with its prefix length and no host bits set. */
  ipBlock?: string;
}

/** At least one field; each absent field matches anything. */
export interface HttpMatchSpec {
  methods?: HttpMethod[];
  /** Start with `/`; `*` (one segment) and `**` (any number) only as whole segments. */
  paths?: string[];
  /** DNS names, optionally `*.`-prefixed, without port; any case (the compiler lower-cases). */
  hosts?: string[];
}

export interface GrpcMatchSpec {
  /** Fully-qualified service name (`shop.v1.Orders`) or `*`. */
  service: string;
  /** Method names or `*`; absent: any method. */
  methods?: string[];
}
