// `meshward proxy`: a reverse proxy that runs the Meshward filter on every stream through the
// TypeScript proxy-wasm host, the way an inbound Envoy sidecar would. Layers, one file each:
// listener → codec (downstream-http1/2) → exchange (filter stream) → upstream.
import http from 'node:http';
import http2 from 'node:http2';
import type { HostLogger } from '../wasm-host/api.js';
import { handleHttp1Request } from './downstream-http1.js';
import { handleHttp2Stream } from './downstream-http2.js';
import { ExchangeFactory, type PeerIdentity } from './exchange-factory.js';
import { Listener } from './listener.js';
import { newProxyStats } from './proxy-stats.js';
import { runningProxy, startProxyFilter, type FilterOptions, type RunningProxy } from './running-proxy.js';
import type { TlsOptions } from './tcp-listener.js';
import { ClusterUpstream, type UpstreamProtocol } from './upstream.js';

export type { FilterOptions, ProxyStatsSnapshot, RunningProxy } from './running-proxy.js';

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

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const stats = newProxyStats();
  const upstream = new ClusterUpstream(options.upstream, options.upstreamProtocol);

  const filter = await startProxyFilter(options.filter, options.logger);
  const plugin = filter.plugin;

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

  return runningProxy(address, stats, filter, async () => {
    await listener.close();
    h2.close();
    h1.close();
    await upstream.close();
  });
}
