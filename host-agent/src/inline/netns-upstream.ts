// The upstream of inline mode: HTTP/1.1 to the connection's original destination, from inside
// the pod's network namespace (the socket is created there by the addon, then driven by Node).
// The request/response mapping is proxy/upstream-http1.ts's own; what differs is only where the
// connection is made, through the Agent's createConnection.
import http from 'node:http';
import net from 'node:net';
import type { HeaderList } from '../wasm-host/api.js';
import type { Upstream, UpstreamEvents, UpstreamRequest } from '../proxy/exchange.js';
import { startHttp1Request } from '../proxy/upstream-http1.js';
import type { NativeAddon } from '../native/native.js';

class NetnsAgent extends http.Agent {
  constructor(
    private readonly native: NativeAddon,
    private readonly netns: string,
  ) {
    super({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  }

  override createConnection(options: net.NetConnectOpts, cb?: (err: Error | null, socket: net.Socket) => void): net.Socket {
    const o = options as net.TcpNetConnectOpts;
    const host = o.host ?? '127.0.0.1';
    const fd = this.native.tcpSocket(this.netns, net.isIPv6(host) ? 6 : 4);
    const socket = new net.Socket({ fd, readable: true, writable: true });
    socket.connect(o.port, host);
    if (cb) socket.once('connect', () => cb(null, socket));
    return socket;
  }
}

export class NetnsUpstream implements Upstream {
  private readonly agent: NetnsAgent;

  constructor(
    native: NativeAddon,
    netns: string,
    private readonly host: string,
    private readonly port: number,
  ) {
    this.agent = new NetnsAgent(native, netns);
  }

  start(headers: HeaderList, endStream: boolean, events: UpstreamEvents): UpstreamRequest {
    return startHttp1Request(http, this.agent, this.host, this.port, headers, endStream, events);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
