// One proxied TCP connection, as Envoy's tcp_proxy with the Wasm network filter in front of it:
// the upstream is dialled at once (tcp_proxy connects on a new connection), bytes from each side
// go through the filter stream, and what the filter lets through is written to the other side
// with backpressure (a side whose peer cannot take more is paused until it drains). A half
// close is passed on as end of stream; either side closing closes the other after its pending
// bytes are written; close_stream from the filter closes that side.
import net from 'node:net';
import type { NetworkFilterStream, NetworkStreamSink, PropertyMap, WasmPluginHandle, WasmPluginNetwork } from '../wasm-host/api.js';
import { PassThroughNetworkStream } from '../wasm-host/index.js';
import { connectionInfo } from './connection-info.js';
import type { PeerIdentity } from './exchange-factory.js';
import type { ProxyStats } from './proxy-stats.js';

export interface TcpUpstream {
  host: string;
  port: number;
}

export interface TcpConnectionOptions {
  upstream: TcpUpstream;
  stats: ProxyStats;
  plugin?: WasmPluginHandle & WasmPluginNetwork;
  peers?: Map<string, PeerIdentity>;
  /** An outbound listener: the filter checks egress rules (`listener_direction` 2). */
  outbound?: boolean;
}

export class TcpConnection implements NetworkStreamSink {
  private readonly upstream: net.Socket;
  private readonly stream: NetworkFilterStream;
  private downstreamEnded = false;
  private upstreamEnded = false;
  private closed = false;

  constructor(private readonly downstream: net.Socket, private readonly options: TcpConnectionOptions) {
    const info = connectionInfo(downstream);
    const properties = peerProperties(options.peers, info.sourceAddress, info.tls?.peerUriSan);
    if (options.outbound) properties['listener_direction'] = { type: 'int', value: 2 };
    this.stream = options.plugin ? options.plugin.createNetworkStream({ connection: info, properties }, this) : new PassThroughNetworkStream(this);
    this.upstream = net.connect({ host: options.upstream.host, port: options.upstream.port });
    this.upstream.setNoDelay(true);
    downstream.setNoDelay?.(true);
    this.stream.onNewConnection();

    downstream.on('data', (chunk: Buffer) => this.stream.onDownstreamData(chunk, false));
    downstream.on('end', () => this.stream.onDownstreamData(new Uint8Array(0), true));
    downstream.on('error', () => {});
    downstream.on('close', () => {
      this.stream.onDownstreamClose('remote');
      this.closeBoth();
    });
    this.upstream.on('data', (chunk: Buffer) => this.stream.onUpstreamData(chunk, false));
    this.upstream.on('end', () => this.stream.onUpstreamData(new Uint8Array(0), true));
    this.upstream.on('error', () => {
      options.stats.upstreamFailures++;
    });
    this.upstream.on('close', () => {
      this.stream.onUpstreamClose('remote');
      this.closeBoth();
    });
    // Backpressure: a side whose writes queue up pauses the other side's reads.
    this.upstream.on('drain', () => downstream.resume());
    downstream.on('drain', () => this.upstream.resume());
  }

  // --- NetworkStreamSink ---

  upstreamWrite(data: Uint8Array, endStream: boolean): void {
    if (this.upstream.destroyed) return;
    if (data.byteLength > 0 && !this.upstream.write(data)) this.downstream.pause();
    if (endStream && !this.upstreamEnded) {
      this.upstreamEnded = true;
      this.upstream.end();
    }
  }

  downstreamWrite(data: Uint8Array, endStream: boolean): void {
    if (this.downstream.destroyed) return;
    if (data.byteLength > 0 && !this.downstream.write(data)) this.upstream.pause();
    if (endStream && !this.downstreamEnded) {
      this.downstreamEnded = true;
      this.downstream.end();
    }
  }

  close(side: 'downstream' | 'upstream', _reason: string): void {
    const socket = side === 'downstream' ? this.downstream : this.upstream;
    socket.end();
    socket.destroySoon();
  }

  private closeBoth(): void {
    if (this.closed) return;
    this.closed = true;
    // Pending bytes are flushed before the close (tcp_proxy's FlushWrite).
    for (const s of [this.downstream, this.upstream]) {
      if (!s.destroyed) {
        s.end();
        s.destroySoon();
      }
    }
  }
}

/** What the `--peers` file says about a plaintext peer, as properties for the filter. */
export function peerProperties(peers: Map<string, PeerIdentity> | undefined, sourceAddress: string, uriSan: string | undefined): PropertyMap {
  const props: PropertyMap = {};
  const peer = peers?.get(sourceAddress);
  if (!peer) return props;
  if (peer.workload) props['downstream_peer.workload'] = { type: 'string', value: peer.workload };
  if (peer.namespace) props['downstream_peer.namespace'] = { type: 'string', value: peer.namespace };
  if (peer.principal && !uriSan) props['meshward_peer.principal'] = { type: 'string', value: peer.principal };
  return props;
}
