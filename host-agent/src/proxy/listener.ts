// The listener: hands each connection the socket layer (tcp-listener.ts) accepts to the HTTP/1.1
// or the HTTP/2 codec. Cleartext connections are sniffed for the HTTP/2 preface (h2c with prior
// knowledge, as gRPC clients use); TLS connections are routed by ALPN.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { ProxyStats } from './proxy-stats.js';
import { TcpListener, type TlsOptions } from './tcp-listener.js';

export type { TlsOptions } from './tcp-listener.js';

export interface ListenerOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  stats: ProxyStats;
  http1: http.Server;
  http2: http2.Http2Server;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Reads just enough of a cleartext connection to tell HTTP/2's preface from HTTP/1.x. */
function sniff(socket: net.Socket, onProtocol: (h2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const isPrefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPrefix && seen.length < PREFACE.length) return; // need more to decide
    socket.off('data', onData);
    socket.pause();
    socket.unshift(seen);
    onProtocol(isPrefix);
  };
  socket.on('data', onData);
}

export class Listener {
  private readonly accepting: TcpListener;

  constructor(private readonly options: ListenerOptions) {
    this.accepting = new TcpListener({
      host: options.host,
      port: options.port,
      tls: options.tls,
      alpn: ['h2', 'http/1.1'],
      stats: options.stats,
      // TLS connections arrive with the protocol agreed (ALPN); cleartext ones are sniffed.
      onConnection: options.tls
        ? (socket) => this.dispatch(socket, (socket as tls.TLSSocket).alpnProtocol === 'h2')
        : (socket) => sniff(socket, (h2) => this.dispatch(socket, h2)),
    });
  }

  get server(): net.Server {
    return this.accepting.server;
  }

  private dispatch(socket: net.Socket, h2: boolean): void {
    if (h2) {
      // The HTTP/2 session takes the unshifted bytes itself; resuming would hand them to nobody.
      this.options.http2.emit('connection', socket);
    } else {
      this.options.http1.emit('connection', socket);
      // The sniffer paused the socket; the HTTP/1 parser reads the unshifted bytes once it flows.
      socket.resume();
    }
  }

  /** Stop accepting and drop every open connection. */
  close(): Promise<void> {
    return this.accepting.close();
  }

  listen(): Promise<net.AddressInfo> {
    return this.accepting.listen();
  }
}
