// HTTP/1.1 requests to the upstream over a keep-alive pool (Node's Agent).
import http from 'node:http';
import https from 'node:https';
import type { HeaderList } from '../wasm-host/api.js';
import type { UpstreamEvents, UpstreamRequest } from './exchange.js';
import { fromHeaderObject, fromRawHeaders, getHeader, toHttp1Raw, toTrailerObject } from './headers.js';

/** Responses that never carry a body (RFC 9110 §6.4.1), whatever their headers say. */
function responseHasNoBody(method: string, status: number, headers: HeaderList): boolean {
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return true;
  return getHeader(headers, 'content-length') === '0';
}

/** One request through `agent` (which makes or reuses the connection) to host:port: the filter's
 * stream mapped to Node's HTTP/1.1 client and back. Shared with inline mode's upstream
 * (inline/netns-upstream.ts), whose agent connects from inside a pod's network namespace. */
export function startHttp1Request(
  client: typeof http | typeof https,
  agent: http.Agent,
  host: string,
  port: number | string,
  headers: HeaderList,
  endStream: boolean,
  events: UpstreamEvents,
): UpstreamRequest {
  const method = getHeader(headers, ':method') ?? 'GET';
  const path = getHeader(headers, ':path') ?? '/';
  let responseStarted = false;
  let failed = false;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    events.onUpstreamError(reason, responseStarted);
  };
  const req = client.request({ agent, host, port, method, path, headers: toHttp1Raw(headers), setHost: false });
  req.on('response', (res) => {
    responseStarted = true;
    const status = res.statusCode ?? 502;
    const list: HeaderList = [[':status', String(status)], ...fromRawHeaders(res.rawHeaders)];
    const noBody = responseHasNoBody(method, status, list);
    events.onResponseHeaders(list, noBody);
    if (noBody) {
      res.resume();
      return;
    }
    res.on('data', (chunk: Buffer) => events.onResponseData(chunk, false));
    res.on('end', () => {
      const trailers = fromHeaderObject(res.trailers);
      if (trailers.length > 0) events.onResponseTrailers(trailers);
      else events.onResponseData(new Uint8Array(0), true);
    });
    res.on('error', () => fail('remote reset'));
    res.on('aborted', () => fail('remote reset'));
    pausable.res = res;
  });
  req.on('error', (err: NodeJS.ErrnoException) => {
    fail(err.code === 'ECONNREFUSED' ? 'connection failure' : `connection failure (${err.code ?? err.message})`);
  });
  req.on('drain', () => events.onUpstreamDrain());
  const pausable: { res?: http.IncomingMessage } = {};
  if (endStream) req.end();
  return {
    write: (data, end) => {
      if (end) {
        req.end(data);
        return true;
      }
      return req.write(data);
    },
    trailers: (t) => {
      req.addTrailers(toTrailerObject(t));
      req.end();
    },
    abort: () => {
      failed = true;
      req.destroy();
    },
    pauseReading: () => pausable.res?.pause(),
    resumeReading: () => pausable.res?.resume(),
  };
}

export class Http1Upstream {
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;

  constructor(private readonly url: URL) {
    const secure = url.protocol === 'https:';
    this.client = secure ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256 });
  }

  start(headers: HeaderList, endStream: boolean, events: UpstreamEvents): UpstreamRequest {
    return startHttp1Request(this.client, this.agent, this.url.hostname, this.url.port || (this.url.protocol === 'https:' ? 443 : 80), headers, endStream, events);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
