// Creates the Exchange for each downstream stream: picks the filter (the plugin in force, or
// none), describes the connection once per socket, and adds the request headers Envoy's
// connection manager adds before any filter runs.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { ConnectionInfo, HeaderList, PropertyMap, WasmPluginHandle } from '../wasm-host/api.js';
import { connectionInfo } from './connection-info.js';
import { Exchange, type DownstreamResponder, type Upstream } from './exchange.js';
import { PassThroughHttpStream } from '../wasm-host/index.js';
import type { ProxyStats } from './proxy-stats.js';

/** Peer identity for plaintext connections, by source IP (the `--peers` file): what Istio's
 * peer metadata exchange would have told the sidecar. */
export interface PeerIdentity {
  principal?: string;
  namespace?: string;
  workload?: string;
}

export interface ExchangeFactoryOptions {
  upstream: Upstream;
  stats: ProxyStats;
  /** The plugin in force; undefined runs without a filter. Read on every new stream, so a
   * swapped plugin applies to new streams only. */
  plugin: () => WasmPluginHandle | undefined;
  peers?: Map<string, PeerIdentity>;
  /** Envoy's route timeout (0: none). */
  routeTimeoutMs?: number;
}

export class ExchangeFactory {
  private readonly connections = new WeakMap<Socket, ConnectionInfo>();

  constructor(private readonly options: ExchangeFactoryOptions) {}

  connection(socket: Socket): ConnectionInfo {
    let info = this.connections.get(socket);
    if (!info) {
      info = connectionInfo(socket);
      this.connections.set(socket, info);
    }
    return info;
  }

  create(responder: DownstreamResponder, socket: Socket, protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2'): Exchange {
    const { stats, upstream } = this.options;
    stats.downstreamRequests++;
    const exchange = new Exchange(responder, upstream, protocol, stats, this.options.routeTimeoutMs);
    const plugin = this.options.plugin();
    const connection = this.connection(socket);
    exchange.filter = plugin
      ? plugin.createHttpStream(
          { connection, protocol, properties: this.peerProperties(connection), startTime: Date.now() },
          exchange,
        )
      : new PassThroughHttpStream(exchange);
    return exchange;
  }

  /** Envoy's connection manager sets these before the filter chain runs. */
  decorateRequestHeaders(headers: HeaderList, scheme: string): HeaderList {
    let hasId = false;
    let hasProto = false;
    for (const [n] of headers) {
      if (n === 'x-request-id') hasId = true;
      else if (n === 'x-forwarded-proto') hasProto = true;
    }
    if (!hasProto) headers.push(['x-forwarded-proto', scheme]);
    if (!hasId) headers.push(['x-request-id', randomUUID()]);
    return headers;
  }

  private peerProperties(connection: ConnectionInfo): PropertyMap | undefined {
    const peer = this.options.peers?.get(connection.sourceAddress);
    if (!peer) return undefined;
    const props: PropertyMap = {};
    if (peer.workload) props['downstream_peer.workload'] = { type: 'string', value: peer.workload };
    if (peer.namespace) props['downstream_peer.namespace'] = { type: 'string', value: peer.namespace };
    if (peer.principal && !connection.tls?.peerUriSan) {
      // The filter reads this only when there is no client certificate.
      props['meshward_peer.principal'] = { type: 'string', value: peer.principal };
    }
    return props;
  }
}
