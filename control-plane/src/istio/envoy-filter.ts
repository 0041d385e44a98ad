// The mesh-wide EnvoyFilter that puts Meshward into every Istio sidecar: it adds a cluster to
// the Meshward control plane's xDS port and inserts the HTTP and network Wasm filters, each
// with config_discovery (ECDS) pointing at that cluster. The control plane answers each
// sidecar with its own workload's filter configuration under the generic names
// (GENERIC_ECDS_NAMES), so one EnvoyFilter serves every workload.
import { GENERIC_ECDS_NAMES } from '../xds/resources-ecds.js';
import { TYPE_URL } from '../xds/type-urls.js';

export interface EnvoyFilterOptions {
  /** Where the EnvoyFilter lives: Istio's root namespace makes it mesh-wide. */
  namespace: string;
  /** The control plane's Service, e.g. meshward-control-plane.meshward-system.svc.cluster.local. */
  controlPlaneHost: string;
  xdsPort: number;
  /** Present the sidecar's Istio certificate (SDS secret `default`) to the control plane, which
   * checks its SPIFFE identity against the workload it asks for. */
  mtls: boolean;
  /** How long a new sidecar waits for its first filter configuration. */
  initialFetchTimeoutSeconds: number;
}

export const DEFAULT_ENVOY_FILTER_OPTIONS: EnvoyFilterOptions = {
  namespace: 'istio-system',
  controlPlaneHost: 'meshward-control-plane.meshward-system.svc.cluster.local',
  xdsPort: 15010,
  mtls: true,
  initialFetchTimeoutSeconds: 15,
};

export const XDS_CLUSTER = 'meshward-xds';

/** Istio's SDS: the workload certificate and the mesh root, as the sidecar itself uses them. */
function istioSds(name: string): Record<string, unknown> {
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
      },
      resource_api_version: 'V3',
    },
  };
}

function configDiscovery(typeUrl: string, o: EnvoyFilterOptions): Record<string, unknown> {
  return {
    config_source: {
      api_config_source: {
        api_type: 'DELTA_GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
      },
      initial_fetch_timeout: `${o.initialFetchTimeoutSeconds}s`,
      resource_api_version: 'V3',
    },
    type_urls: [typeUrl],
  };
}

export function meshwardEnvoyFilter(options: Partial<EnvoyFilterOptions> = {}): Record<string, unknown> {
  const o = { ...DEFAULT_ENVOY_FILTER_OPTIONS, ...options };
  const cluster: Record<string, unknown> = {
    name: XDS_CLUSTER,
    type: 'STRICT_DNS',
    connect_timeout: '5s',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: {
      cluster_name: XDS_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: o.controlPlaneHost, port_value: o.xdsPort } } } }] }],
    },
  };
  if (o.mtls) {
    cluster.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: {
          tls_certificate_sds_secret_configs: [istioSds('default')],
          combined_validation_context: {
            default_validation_context: {},
            validation_context_sds_secret_config: istioSds('ROOTCA'),
          },
        },
        sni: o.controlPlaneHost,
      },
    };
  }
  const inbound = { context: 'SIDECAR_INBOUND' };
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'meshward', namespace: o.namespace, labels: { 'app.kubernetes.io/part-of': 'meshward' } },
    spec: {
      configPatches: [
        { applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND' }, patch: { operation: 'ADD', value: cluster } },
        {
          applyTo: 'HTTP_FILTER',
          match: {
            ...inbound,
            listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
          },
          patch: { operation: 'INSERT_BEFORE', value: { name: GENERIC_ECDS_NAMES.http, config_discovery: configDiscovery(TYPE_URL.httpWasm, o) } },
        },
        {
          applyTo: 'NETWORK_FILTER',
          match: { ...inbound, listener: { filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } },
          patch: { operation: 'INSERT_BEFORE', value: { name: GENERIC_ECDS_NAMES.network, config_discovery: configDiscovery(TYPE_URL.networkWasm, o) } },
        },
      ],
    },
  };
}
