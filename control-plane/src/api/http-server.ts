// The control plane's HTTP port: health, readiness and Prometheus metrics. (The REST API and
// the dashboard join it here.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpRoutes {
  /** Ready once policies were loaded and published. */
  ready(): { ready: boolean; reason?: string };
  metrics(): string;
  status(): unknown;
  /** The filter module sidecars fetch (ECDS remote code), if this control plane serves it. */
  wasm?(): Uint8Array | undefined;
}

export interface ApiServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startHttpServer(host: string, port: number, routes: HttpRoutes): Promise<ApiServer> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://cp').pathname;
    const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method !== 'GET') return send(405, 'application/json', '{"error":"method not allowed"}\n');
    if (path === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (path === '/readyz') {
      const r = routes.ready();
      return send(r.ready ? 200 : 503, 'application/json', JSON.stringify(r) + '\n');
    }
    if (path === '/metrics') return send(200, 'text/plain; version=0.0.4', routes.metrics());
    if (path === '/v1/status') return send(200, 'application/json', JSON.stringify(routes.status(), null, 2) + '\n');
    if (path === '/v1/filter/meshward.wasm') {
      const bytes = routes.wasm?.();
      if (!bytes) return send(404, 'application/json', '{"error":"this control plane does not serve the filter module"}\n');
      res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.byteLength }).end(bytes);
      return;
    }
    send(404, 'application/json', JSON.stringify({ error: `no such endpoint: ${path}` }) + '\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
