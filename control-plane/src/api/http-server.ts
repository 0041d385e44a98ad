// The control plane's HTTP port: health, readiness and Prometheus metrics without
// authentication, and the REST API under /v1 (router.ts) with it. Errors are JSON with a stable
// code (api-error.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.js';
import { context, type Auth, type Router } from './router.js';
import type { StaticUi } from './static-ui.js';

export interface HttpRoutes {
  /** Ready once policies were loaded and published. */
  ready(): { ready: boolean; reason?: string };
  metrics(): string;
  status(): unknown;
  /** The filter module sidecars fetch (ECDS remote code), if this control plane serves it. */
  wasm?(): Uint8Array | undefined;
  /** The dashboard's built files, served for GET paths outside /v1 (static-ui.ts). */
  ui?: StaticUi;
  /** The REST API; without it only /v1/status is served, unauthenticated. */
  api?: {
    router: Router;
    /** Throws ApiError (401/403) when the request may not use a route of that kind. */
    authorize(req: http.IncomingMessage, auth: Auth): void;
    log?(level: 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  };
}

export interface ApiServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

export async function startHttpServer(host: string, port: number, routes: HttpRoutes): Promise<ApiServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://cp');
    const path = url.pathname;
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body);
    };
    const sendError = (err: ApiError) => send(err.status, 'application/json', JSON.stringify(err.body()) + '\n', err.headers);
    if (req.method === 'GET' && path === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (req.method === 'GET' && path === '/readyz') {
      const r = routes.ready();
      return send(r.ready ? 200 : 503, 'application/json', JSON.stringify(r) + '\n');
    }
    if (req.method === 'GET' && path === '/metrics') return send(200, 'text/plain; version=0.0.4', routes.metrics());
    if (req.method === 'GET' && path === '/v1/filter/meshward.wasm') {
      // Unauthenticated: Envoy's remote data source fetches it without credentials, and the
      // module is no secret (its SHA-256 is pinned in the ECDS resource).
      const bytes = routes.wasm?.();
      if (!bytes) return sendError(new ApiError(404, 'NOT_FOUND', 'this control plane does not serve the filter module'));
      res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.byteLength }).end(bytes);
      return;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && routes.ui) {
      const file = routes.ui.get(path);
      if (file) {
        res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.byteLength, 'cache-control': file.cache });
        res.end(req.method === 'HEAD' ? undefined : file.body);
        return;
      }
    }
    const api = routes.api;
    if (!api) {
      if (req.method === 'GET' && path === '/v1/status') return send(200, 'application/json', JSON.stringify(routes.status(), null, 2) + '\n');
      return sendError(new ApiError(404, 'NOT_FOUND', `no such endpoint: ${req.method} ${path}`));
    }
    void (async () => {
      try {
        const { route, params } = api.router.match(req.method ?? 'GET', path);
        api.authorize(req, route.auth);
        const out = await route.handle(context(req, params, url.searchParams, route.maxBodyBytes ?? DEFAULT_BODY_LIMIT));
        if (out.stream) return out.stream(res);
        if (out.bytes !== undefined) return send(out.status ?? 200, out.contentType ?? 'application/octet-stream', out.bytes, { 'content-length': String(out.bytes.length), ...out.headers });
        if (out.text !== undefined) return send(out.status ?? 200, out.contentType ?? 'text/plain; charset=utf-8', out.text, out.headers);
        send(out.status ?? 200, out.contentType ?? 'application/json', out.body === undefined ? '' : JSON.stringify(out.body) + '\n', out.headers);
      } catch (err) {
        if (err instanceof ApiError) return sendError(err);
        api.log?.('error', `${req.method} ${path} failed: ${(err as Error).stack ?? err}`);
        sendError(new ApiError(500, 'INTERNAL', `internal error: ${(err as Error).message}`));
      }
    })();
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
