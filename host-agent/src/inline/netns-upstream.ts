// The upstream of inline mode: HTTP/1.1 to the connection's original destination, from inside
// the pod's network namespace (the socket is created there by the addon, then driven by Node).
// The request/response mapping follows proxy/upstream-http1.ts; what differs is only where the
// connection is made, through the Agent's createConnection.
import http from 'node:http';
import net from 'node:net';
import type { HeaderList } from '../wasm-host/api.js';
import type { Upstream, UpstreamEvents, UpstreamRequest } from '../proxy/exchange.js';
import { fromHeaderObject, fromRawHeaders, getHeader, toHttp1Raw, toTrailerObject } from '../proxy/headers.js';
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
    const method = getHeader(headers, ':method') ?? 'GET';
    let responseStarted = false;
    let failed = false;
    const fail = (reason: string) => {
      if (failed) return;
      failed = true;
      events.onUpstreamError(reason, responseStarted);
    };
    const req = http.request({ agent: this.agent, host: this.host, port: this.port, method, path: getHeader(headers, ':path') ?? '/', headers: toHttp1Raw(headers), setHost: false });
    const held: { res?: http.IncomingMessage } = {};
    req.on('response', (res) => {
      responseStarted = true;
      const status = res.statusCode ?? 502;
      const list: HeaderList = [[':status', String(status)], ...fromRawHeaders(res.rawHeaders)];
      const noBody = method === 'HEAD' || status === 204 || status === 304 || getHeader(list, 'content-length') === '0';
      events.onResponseHeaders(list, noBody);
      if (noBody) return void res.resume();
      held.res = res;
      res.on('data', (chunk: Buffer) => events.onResponseData(chunk, false));
      res.on('end', () => {
        const trailers = fromHeaderObject(res.trailers);
        if (trailers.length > 0) events.onResponseTrailers(trailers);
        else events.onResponseData(new Uint8Array(0), true);
      });
      res.on('error', () => fail('remote reset'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => fail(`connection failure (${err.code ?? err.message})`));
    req.on('drain', () => events.onUpstreamDrain());
    if (endStream) req.end();
    return {
      write: (data, end) => (end ? (req.end(data), true) : req.write(data)),
      trailers: (t) => {
        req.addTrailers(toTrailerObject(t));
        req.end();
      },
      abort: () => {
        failed = true;
        req.destroy();
      },
      pauseReading: () => held.res?.pause(),
      resumeReading: () => held.res?.resume(),
    };
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
