// A small router for the REST API: routes by method and path pattern (`/v1/events/:id`), each
// marked with the authentication it needs, handlers returning a status and a JSON (or text)
// body, errors as ApiError. Request bodies are read with a size limit.
import type http from 'node:http';
import { ApiError, badRequest } from './api-error.js';

export type Auth = 'api' | 'none' | 'ingest';

export interface RequestContext {
  req: http.IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The body as text (up to the route's limit). */
  text(): Promise<string>;
  /** The body as JSON. */
  json(): Promise<unknown>;
}

export interface ApiResponse {
  status?: number;
  /** JSON-encoded unless `text` or `bytes` is given. */
  body?: unknown;
  text?: string;
  bytes?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Takes the response over (a long-lived stream); status, body and text are then ignored. */
  stream?(res: http.ServerResponse): void;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth: Auth;
  /** Largest request body (default 1 MiB). */
  maxBodyBytes?: number;
  handle(ctx: RequestContext): Promise<ApiResponse> | ApiResponse;
}

interface Compiled extends Route {
  segments: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(route: Route): this {
    this.routes.push({ ...route, segments: route.path.split('/').slice(1) });
    return this;
  }

  list(): ReadonlyArray<Pick<Route, 'method' | 'path' | 'auth'>> {
    return this.routes.map(({ method, path, auth }) => ({ method, path, auth }));
  }

  /** The route and path parameters for a request; ApiError 404/405 when none. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    const parts = path.split('/').slice(1);
    let pathMatched = false;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (r.method === method) return { route: r, params };
    }
    if (pathMatched) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    throw new ApiError(404, 'NOT_FOUND', `no such endpoint: ${method} ${path}`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      if (!parts[i]) return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
    } else if (p !== parts[i]) return undefined;
  }
  return params;
}

/** Reads a body up to `limit` bytes; 413 beyond it. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      return reject(new ApiError(413, 'BODY_TOO_LARGE', `the body is ${declared} bytes; at most ${limit} are accepted here`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new ApiError(413, 'BODY_TOO_LARGE', `the body is over ${limit} bytes, the most accepted here`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export function context(req: http.IncomingMessage, params: Record<string, string>, query: URLSearchParams, limit: number): RequestContext {
  let body: Promise<Buffer> | undefined;
  const raw = () => (body ??= readBody(req, limit));
  return {
    req,
    params,
    query,
    text: async () => (await raw()).toString('utf8'),
    json: async () => {
      const text = (await raw()).toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw badRequest(`the body is not JSON: ${(err as Error).message}`);
      }
    },
  };
}
