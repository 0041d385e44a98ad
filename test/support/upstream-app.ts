// The application behind the proxy in tests: echoes what it received, hashes uploads, streams
// downloads in steps the test controls, and answers HTTP/1.1 and h2c on one port.
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
  sha256: string;
}

export class UpstreamApp {
  readonly seen: SeenRequest[] = [];
  /** Resolved by the test to let a paced download continue (see /download). */
  private gates = new Map<string, () => void>();
  /** Called when an upload's first bytes arrive, before the client has finished sending. */
  onUploadStarted: ((id: string) => void) | undefined;
  private server!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private h1!: http.Server;
  private h2!: http2.Http2Server;
  url = '';

  async start(): Promise<this> {
    this.h1 = http.createServer((req, res) => this.handle(req, res));
    this.h2 = http2.createServer();
    this.h2.on('request', (req, res) => this.handle(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse));
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.once('data', (chunk) => {
        socket.pause();
        socket.unshift(chunk);
        if (chunk.subarray(0, 3).toString() === 'PRI') {
          this.h2.emit('connection', socket); // the HTTP/2 session reads the unshifted bytes itself
        } else {
          this.h1.emit('connection', socket);
          socket.resume(); // the HTTP/1 parser reads them once the socket flows again
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  open(gate: string): void {
    const g = this.gates.get(gate);
    if (!g) throw new Error(`no download waiting at gate ${gate}`);
    this.gates.delete(gate);
    g();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/download') {
      // Sends `size` bytes in two halves; the second half waits for the test to open the gate,
      // which it does only after receiving the first: proof that the proxy streams.
      const size = Number(url.searchParams.get('size') ?? '0');
      const gate = url.searchParams.get('gate');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      let sent = 0;
      const sendUpTo = (limit: number, done: () => void) => {
        const pump = () => {
          while (sent < limit) {
            const n = Math.min(chunk.length, limit - sent);
            sent += n;
            if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
          }
          done();
        };
        pump();
      };
      sendUpTo(Math.floor(size / 2), () => {
        if (gate) this.gates.set(gate, () => sendUpTo(size, () => res.end()));
        else sendUpTo(size, () => res.end());
      });
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      if (bytes === 0 && url.pathname === '/upload') this.onUploadStarted?.(url.searchParams.get('id') ?? '');
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        bodyBytes: bytes,
        sha256: hash.digest('hex'),
      };
      this.seen.push(seen);
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'app' });
      res.end(JSON.stringify(seen));
    });
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      for (const s of this.sockets) s.destroy();
    });
  }
}
