// The socket layer of both proxy modes: accepts plain TCP or TLS connections (TLS ends here;
// with a client CA every client must present a certificate signed by it, and its URI SAN is the
// peer principal), counts connections and failed handshakes in the proxy stats, drops every
// open connection on close, and hands each connection on. `meshward proxy --tcp` hands it to the
// connection layer; the HTTP listener (listener.ts) to a codec.
import net from 'node:net';
import tls from 'node:tls';
import type { ProxyStats } from './proxy-stats.js';

export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
  /** CA bundle for client certificates; when given, clients must present a valid one. */
  clientCa?: Buffer;
}

export interface TcpListenerOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  /** Protocols offered in the TLS handshake (ALPN); none by default. */
  alpn?: string[];
  stats: ProxyStats;
  onConnection: (socket: net.Socket) => void;
}

export class TcpListener {
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: TcpListenerOptions) {
    const { stats } = options;
    const accept = (socket: net.Socket) => {
      stats.connectionsAccepted++;
      stats.connectionsActive++;
      this.sockets.add(socket);
      socket.once('close', () => {
        stats.connectionsActive--;
        this.sockets.delete(socket);
      });
      options.onConnection(socket);
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
          ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
        },
        accept,
      );
      this.server.on('tlsClientError', () => stats.tlsHandshakeErrors++);
    } else {
      this.server = net.createServer(accept);
    }
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

  /** Stop accepting and drop every open connection. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }
}
