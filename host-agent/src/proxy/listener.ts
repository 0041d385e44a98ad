// The listener: accepts TCP (optionally TLS) connections and hands each to the HTTP/1.1 or the
// HTTP/2 codec. Cleartext connections are sniffed for the HTTP/2 preface (h2c with prior
// knowledge, as gRPC clients use); TLS connections are routed by ALPN.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { ProxyStats } from './proxy-stats.js';

export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
  /** CA bundle for client certificates; when given, clients must present a valid one. */
  clientCa?: Buffer;
}

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
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: ListenerOptions) {
    const { stats } = options;
    const track = (socket: net.Socket) => {
      stats.connectionsAccepted++;
      stats.connectionsActive++;
      this.sockets.add(socket);
      socket.once('close', () => {
        stats.connectionsActive--;
        this.sockets.delete(socket);
      });
    };
    if (options.tls) {
      const t = options.tls;
      this.server = tls.createServer(
        {
          cert: t.cert,
          key: t.key,
          ca: t.clientCa,
          requestCert: t.clientCa !== undefined,
          rejectUnauthorized: t.clientCa !== undefined,
          ALPNProtocols: ['h2', 'http/1.1'],
        },
        (socket) => {
          track(socket);
          this.dispatch(socket, socket.alpnProtocol === 'h2');
        },
      );
      this.server.on('tlsClientError', () => stats.tlsHandshakeErrors++);
    } else {
      this.server = net.createServer((socket) => {
        track(socket);
        sniff(socket, (h2) => this.dispatch(socket, h2));
      });
    }
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }

  listen(): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }
}
