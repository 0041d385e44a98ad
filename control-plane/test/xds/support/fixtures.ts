// Resources, snapshots and a running server for the xDS tests.
import {
  combineRules,
  ecdsResources,
  encodeMessage,
  envoyRules,
  envoyTypeTraits,
  makeResource,
  meshwardNodeKey,
  packAny,
  Snapshot,
  SnapshotCache,
  TYPE_URL,
  workloadKey,
  XdsServer,
  type Resource,
  type SnapshotCacheOptions,
  type WasmFilterOptions,
  type XdsServerOptions,
} from '../../../src/xds/index.js';
import { PROBE_PREFIX } from './raw-client.js';

export const WASM: WasmFilterOptions = { code: { local: { filename: '/etc/meshward/meshward.wasm' } }, failOpen: false };

/** A small policy document (the filter's JSON is opaque to the xDS layer). */
export function policyJson(n: number, ns = 'shop', name = 'orders'): string {
  return JSON.stringify({ schema: 1, workload: { namespace: ns, name }, mode: 'protect', revision: n });
}

export function workloadResources(ns: string, name: string, n: number): Resource[] {
  return ecdsResources({ namespace: ns, name }, policyJson(n, ns, name), WASM);
}

export function workloadSnapshot(ns: string, name: string, n: number, extra: Resource[] = []): Snapshot {
  return Snapshot.from([...workloadResources(ns, name, n), ...extra]);
}

/** A resource of an arbitrary (probe-like) type whose body is just bytes. */
export function rawResource(typeUrl: string, name: string, text: string): Resource {
  return makeResource(typeUrl, name, Buffer.from(text));
}

export interface EnvoyFixture {
  listener: string;
  route: string;
  cluster: string;
  edsName: string;
  endpoints: { host: string; port: number }[];
}

/** LDS/RDS/CDS/EDS for one gRPC service, as a grpc-js xDS client needs them. */
export function envoyResources(f: EnvoyFixture, extraListeners: string[] = []): Resource[] {
  const hcm = (route: string) =>
    packAny(TYPE_URL.httpConnectionManager, {
      rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: route },
      http_filters: [{ name: 'router', typed_config: packAny(TYPE_URL.router, {}) }],
    });
  const listener = (name: string): Resource =>
    makeResource(TYPE_URL.listener, name, encodeMessage(TYPE_URL.listener, { name, api_listener: { api_listener: hcm(f.route) } }));
  return [
    listener(f.listener),
    ...extraListeners.map(listener),
    makeResource(
      TYPE_URL.routeConfiguration,
      f.route,
      encodeMessage(TYPE_URL.routeConfiguration, {
        name: f.route,
        virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: f.cluster } }] }],
      }),
    ),
    makeResource(
      TYPE_URL.cluster,
      f.cluster,
      encodeMessage(TYPE_URL.cluster, {
        name: f.cluster,
        type: 'EDS',
        eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: f.edsName },
        lb_policy: 'ROUND_ROBIN',
      }),
    ),
    makeResource(
      TYPE_URL.clusterLoadAssignment,
      f.edsName,
      encodeMessage(TYPE_URL.clusterLoadAssignment, {
        cluster_name: f.edsName,
        endpoints: [
          {
            locality: { region: 'test', zone: 'a' },
            load_balancing_weight: { value: 1 },
            priority: 0,
            lb_endpoints: f.endpoints.map((e) => ({
              endpoint: { address: { socket_address: { address: e.host, port_value: e.port } } },
              health_status: 'HEALTHY',
            })),
          },
        ],
      }),
    ),
  ];
}

/** Probe types (see raw-client.ts) are full-state, so a first request always gets an answer. */
export function testTraits(typeUrl: string) {
  return typeUrl.startsWith(PROBE_PREFIX) ? { legacyWildcard: false, sotwFullState: true } : envoyTypeTraits(typeUrl);
}

export interface TestServer {
  cache: SnapshotCache;
  server: XdsServer;
  address: string;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<XdsServerOptions> & { cache?: SnapshotCacheOptions } = {}): Promise<TestServer> {
  const cache = new SnapshotCache({ rules: combineRules(envoyRules), ...options.cache });
  const server = await XdsServer.start({ nodeKey: meshwardNodeKey(), typeTraits: testTraits, ...options, watcher: options.watcher ?? cache });
  return {
    cache,
    server,
    address: server.address,
    close: async () => {
      cache.close();
      await server.close(200);
    },
  };
}

export const ORDERS_KEY = workloadKey('shop', 'orders');
export const ORDERS_HTTP = 'meshward.http.shop.orders';
export const ORDERS_NET = 'meshward.network.shop.orders';

/** Runs `fn` against a fresh server, closing it (and the streams `fn` registers) whatever
 * happens. */
export async function withServer(
  fn: (t: TestServer, track: <S extends { close(): void }>(s: S) => S) => Promise<void>,
  options: Partial<XdsServerOptions> & { cache?: SnapshotCacheOptions } = {},
): Promise<void> {
  const t = await startTestServer(options);
  const open: { close(): void }[] = [];
  try {
    await fn(t, (s) => {
      open.push(s);
      return s;
    });
  } finally {
    for (const s of open) s.close();
    await t.close();
  }
}

/** A snapshot of listeners (name → the RDS route configuration it uses) and those routes. */
export function listenerSnapshot(listeners: Record<string, string>, extra: Resource[] = []): Snapshot {
  const out: Resource[] = [];
  for (const [name, route] of Object.entries(listeners)) {
    const hcm = packAny(TYPE_URL.httpConnectionManager, {
      rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: route },
      http_filters: [{ name: 'router', typed_config: packAny(TYPE_URL.router, {}) }],
    });
    out.push(makeResource(TYPE_URL.listener, name, encodeMessage(TYPE_URL.listener, { name, api_listener: { api_listener: hcm } })));
  }
  for (const route of new Set(Object.values(listeners))) {
    out.push(makeResource(TYPE_URL.routeConfiguration, route, encodeMessage(TYPE_URL.routeConfiguration, { name: route, virtual_hosts: [] })));
  }
  return Snapshot.from([...out, ...extra]);
}
