// Type URLs the control plane serves, and the two protocol rules that depend on a resource type.
// The server treats type URLs as opaque strings; it learns these rules through `TypeTraits`.

export const TYPE_URL = {
  /** ECDS: one filter configuration (here the Meshward Wasm filter of one workload). */
  extensionConfig: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
  /** Meshward's resource for host agents (control-plane/proto/meshward/v1/agent.proto). */
  agentConfig: 'type.googleapis.com/meshward.v1.AgentConfig',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  httpWasm: 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
  networkWasm: 'type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm',
  stringValue: 'type.googleapis.com/google.protobuf.StringValue',
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
} as const;

/** What the xDS protocol document says differs between resource types. */
export interface TypeTraits {
  /** An empty subscription on a stream that never named a resource of this type means `*`
   * (Listener and Cluster only). */
  legacyWildcard: boolean;
  /** SotW responses carry every subscribed resource, and a resource left out is deleted
   * (Listener and Cluster only); other types get only what changed. */
  sotwFullState: boolean;
}

const ROOT_TYPES = new Set<string>([TYPE_URL.listener, TYPE_URL.cluster]);

/** The protocol document's table: Listener and Cluster are "root" types, every other type
 * (RouteConfiguration, ClusterLoadAssignment, TypedExtensionConfig, AgentConfig...) is not. */
export function envoyTypeTraits(typeUrl: string): TypeTraits {
  const root = ROOT_TYPES.has(typeUrl);
  return { legacyWildcard: root, sotwFullState: root };
}
