// `meshward proxy`: a reverse proxy that runs the Meshward filter on every stream through the
// TypeScript proxy-wasm host, the way an inbound Envoy sidecar would. Layers, one file each:
// listener → codec (downstream-http1/2) → exchange (filter stream) → upstream.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type {
  ConfigureResult,
  FailurePolicy,
  HostLogger,
  HttpCallCluster,
  PropertyValue,
  WasmPluginHandle,
  WasmVmHandle,
} from '../wasm-host/api.js';
import { createVm } from '../wasm-host/index.js';
import { handleHttp1Request } from './downstream-http1.js';
import { handleHttp2Stream } from './downstream-http2.js';
import { ExchangeFactory, type PeerIdentity } from './exchange-factory.js';
import { Listener, type TlsOptions } from './listener.js';
import { newProxyStats, type ProxyStats } from './proxy-stats.js';
import { ClusterUpstream, type UpstreamProtocol } from './upstream.js';

export interface FilterOptions {
  /** The compiled filter (meshward.wasm). */
  wasm: Uint8Array;
  /** Plugin configuration: the compiled policy document for this workload. */
  configuration: string;
  failurePolicy: FailurePolicy;
  clusters?: Record<string, HttpCallCluster>;
  nodeMetadata?: Record<string, PropertyValue>;
  nodeId?: string;
  bufferLimitBytes?: number;
}

export interface ProxyOptions {
  host: string;
  port: number;
  upstream: string;
  upstreamProtocol?: UpstreamProtocol;
  tls?: TlsOptions;
  /** Without a filter the proxy only forwards (the benchmark's baseline, `--no-filter`). */
  filter?: FilterOptions;
  peers?: Map<string, PeerIdentity>;
  /** Envoy's route timeout: from the end of the request to the end of the upstream response;
   * past it, 504 "upstream request timeout" (or a reset once the response started). Default
   * 15000 as Envoy's; 0 turns it off (long streams, gRPC streaming). */
  routeTimeoutMs?: number;
  logger: HostLogger;
}

export interface RunningProxy {
  readonly address: AddressInfo;
  /** Apply a new plugin configuration to new streams, as an ECDS update would. */
  reconfigure(configuration: string): ConfigureResult;
  /** The configuration in force (the last one the filter accepted). */
  configuration(): string | undefined;
  stats(): ProxyStatsSnapshot;
  close(): Promise<void>;
}

export interface ProxyStatsSnapshot {
  proxy: ProxyStats;
  host?: ReturnType<WasmPluginHandle['stats']>;
  filter: Record<string, string>;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const stats = newProxyStats();
  const upstream = new ClusterUpstream(options.upstream, options.upstreamProtocol);

  let vm: WasmVmHandle | undefined;
  let plugin: WasmPluginHandle | undefined;
  let configuration: string | undefined;
  if (options.filter) {
    const f = options.filter;
    vm = await createVm({ module: f.wasm, vmId: 'meshward', logger: options.logger });
    const started = vm.startPlugin({
      name: 'meshward',
      rootId: 'meshward',
      configuration: f.configuration,
      failurePolicy: f.failurePolicy,
      clusters: f.clusters,
      nodeMetadata: f.nodeMetadata,
      nodeId: f.nodeId,
      bufferLimitBytes: f.bufferLimitBytes,
    });
    if (!started.plugin) {
      await vm.close();
      throw new Error(`the filter rejected its configuration: ${started.result.reason ?? 'unknown reason'}`);
    }
    plugin = started.plugin;
    configuration = f.configuration;
  }

  const factory = new ExchangeFactory({ upstream, stats, plugin: () => plugin, peers: options.peers, routeTimeoutMs: options.routeTimeoutMs ?? 15_000 });
  const h1 = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) =>
    handleHttp1Request(req, res, factory),
  );
  h1.on('clientError', (_err, socket) => {
    stats.protocolErrors++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 1024 } });
  h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) =>
    handleHttp2Stream(stream, headers, rawHeaders, factory),
  );
  h2.on('sessionError', () => stats.protocolErrors++);

  const listener = new Listener({ host: options.host, port: options.port, tls: options.tls, stats, http1: h1, http2: h2 });
  const address = await listener.listen();

  return {
    address,
    reconfigure(next: string): ConfigureResult {
      if (!plugin) return { ok: false, reason: 'the proxy runs without a filter' };
      const result = plugin.reconfigure(next);
      if (result.ok) configuration = next;
      return result;
    },
    configuration: () => configuration,
    stats(): ProxyStatsSnapshot {
      const filter: Record<string, string> = {};
      if (plugin) for (const [name, m] of plugin.metrics()) filter[name] = m.value.toString();
      return { proxy: { ...stats }, host: plugin?.stats(), filter };
    },
    async close(): Promise<void> {
      await listener.close();
      h2.close();
      h1.close();
      await upstream.close();
      await plugin?.close();
      await vm?.close();
    },
  };
}
