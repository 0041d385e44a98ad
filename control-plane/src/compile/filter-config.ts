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
}

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
  maxBodyBytes: 65536,
  maxEventFieldBytes: 1024,
};
