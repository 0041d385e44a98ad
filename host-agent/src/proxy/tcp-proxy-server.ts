// `meshward proxy --tcp`: the TCP mode of the proxy. Layers, one file each:
// tcp-listener (TCP or TLS with client certificates) → tcp-connection (tcp_proxy with the Wasm
// network filter in front, through the host's createNetworkStream) → the upstream TCP address.
// It answers the same RunningProxy surface as the HTTP mode, so the admin endpoint, reloads
// and xDS work unchanged.
import type { AddressInfo } from 'node:net';
import type { ProxyOptions } from './proxy-server.js';
import { newProxyStats } from './proxy-stats.js';
import { runningProxy, startProxyFilter, type RunningProxy } from './running-proxy.js';
import { TcpConnection, type TcpUpstream } from './tcp-connection.js';
import { TcpListener } from './tcp-listener.js';

export interface TcpProxyOptions extends Omit<ProxyOptions, 'upstreamProtocol'> {
  /** Outbound listener: egress rules apply (the filter sees `listener_direction` 2). */
  outbound?: boolean;
}

/** `tcp://HOST:PORT` (or `HOST:PORT`) → host and port. */
export function parseTcpUpstream(upstream: string): TcpUpstream {
  const text = upstream.startsWith('tcp://') ? upstream.slice(6) : upstream;
  const m = /^(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`the upstream must be tcp://HOST:PORT (got "${upstream}")`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<RunningProxy> {
  const stats = newProxyStats();
  const upstream = parseTcpUpstream(options.upstream);
  const filter = await startProxyFilter(options.filter, options.logger);
  const plugin = filter.plugin;

  const listener = new TcpListener({
    host: options.host,
    port: options.port,
    tls: options.tls,
    stats,
    onConnection: (socket) => {
      stats.downstreamRequests++;
      new TcpConnection(socket, { upstream, stats, plugin, peers: options.peers, outbound: options.outbound });
    },
  });
  const address: AddressInfo = await listener.listen();

  return runningProxy(address, stats, filter, () => listener.close());
}
