// The TCP listener of `meshward proxy --tcp`: accepts plain TCP or TLS connections (TLS ends
// here; with a client CA every client must present a certificate signed by it, and its URI SAN
// is the peer principal) and hands each to the connection layer. Counts connections and failed
// handshakes in the proxy stats.
import net from 'node:net';
import tls from 'node:tls';
import type { TlsOptions } from './listener.js';
import type { ProxyStats } from './proxy-stats.js';

export interface TcpListenerOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
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
        { cert: t.cert, key: t.key, ca: t.clientCa, requestCert: t.clientCa !== undefined, rejectUnauthorized: t.clientCa !== undefined },
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
