// proxy_http_call, performed with node:http(s) against a named cluster, answered as Envoy's
// Context::httpCall and its AsyncClient answer:
// - an unknown cluster, or headers without :path, :method or :authority, is BadArgument (the
//   cluster is checked first); a negative timeout is BadArgument; 0 means no timeout;
// - a non-empty body gets content-length; tokens are per VM: 4, 8, 12...;
// - the response arrives on the root context as proxy_on_http_call_response(root, token,
//   headers, body size, trailers), with `:status` first among the headers, and is readable
//   (HTTP_CALL_RESPONSE_HEADERS/BODY/TRAILERS) only inside that callback;
// - failures before a response are answered the way Envoy's router answers its async client:
//   a timeout is a 504 response with body "upstream request timeout", a connection failure or
//   reset before headers a 503 "upstream connect error or disconnect/reset before headers.
//   reset reason: ..."; a reset after the response started is (0, 0, 0) with proxy_get_status
//   = (BrokenConnection, "reset"). All of these count as failed calls.
// Trailers are dropped: Envoy's HTTP/1 upstream codec does not send them unless enable_trailers
// is set on the cluster.

import http from 'node:http';
import https from 'node:https';
import type { HeaderList, HttpCallCluster } from './api.js';
import type { HttpCallResponseView, RootContext } from './context.js';
import { HeaderMap } from './header-map.js';
import { WasmResult } from './status.js';

interface PendingCall {
  request: http.ClientRequest;
  timer: NodeJS.Timeout | null;
  settled: boolean;
}

function synthetic(code: number, body: string): HttpCallResponseView {
  const bytes = Buffer.from(body, 'utf8');
  return {
    headers: HeaderMap.from(
      [
        [':status', String(code)],
        ['content-length', String(bytes.byteLength)],
        ['content-type', 'text/plain'],
      ],
      'response-headers',
    ),
    body: bytes,
    trailers: null,
  };
}

function rawToList(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

export class HttpCallManager {
  private readonly pending = new Map<number, PendingCall>();

  constructor(private readonly root: RootContext) {}

  start(
    token: number,
    clusterName: string,
    cluster: HttpCallCluster,
    headers: HeaderList,
    body: Uint8Array,
    _trailers: HeaderList,
    timeoutMs: number,
  ): WasmResult {
    const map = HeaderMap.from([], 'request-headers');
    for (const [k, v] of headers) map.add(k, v);
    const path = map.get(':path');
    const method = map.get(':method');
    const authority = map.get(':authority');
    if (path === undefined || method === undefined || authority === undefined) return WasmResult.BadArgument;
    if (body.byteLength > 0) map.setInPlace('content-length', String(body.byteLength));

    let base: URL;
    try {
      base = new URL(cluster.url);
    } catch {
      this.root.vm.hostLog('error', `http_call: cluster "${clusterName}" has an invalid url: ${cluster.url}`);
      return WasmResult.InternalFailure;
    }
    const outgoing: Record<string, string | string[]> = {};
    for (const [k, v] of map.pairs()) {
      if (k.startsWith(':')) continue;
      const prev = outgoing[k];
      outgoing[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    outgoing['host'] = authority;

    const counters = this.root.pluginConfig?.counters;
    let request: http.ClientRequest;
    try {
      const lib = base.protocol === 'https:' ? https : http;
      request = lib.request({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        method,
        path,
        headers: outgoing,
        agent: false,
      });
    } catch (err) {
      this.root.vm.hostLog('warn', `http_call to cluster "${clusterName}" could not start: ${String(err)}`);
      return WasmResult.InternalFailure;
    }
    const call: PendingCall = { request, timer: null, settled: false };
    this.pending.set(token, call);
    if (counters) counters.httpCallsStarted++;

    const fail = (response: HttpCallResponseView | null, message: string) => {
      if (counters) counters.httpCallsFailed++;
      this.root.vm.hostLog('debug', `http_call ${token} to cluster "${clusterName}" failed: ${message}`);
      this.finish(token, response, response ? { code: this.root.statusCode, message: '' } : { code: WasmResult.BrokenConnection, message: 'reset' });
    };

    let responseStarted = false;
    request.on('response', (res) => {
      responseStarted = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const list: HeaderList = [[':status', String(res.statusCode ?? 0)], ...rawToList(res.rawHeaders)];
        const trailers = rawToList(res.rawTrailers);
        this.finish(
          token,
          {
            headers: HeaderMap.from(list, 'response-headers'),
            body: Buffer.concat(chunks),
            trailers: trailers.length > 0 ? HeaderMap.from(trailers, 'response-trailers') : null,
          },
          { code: this.root.statusCode, message: '' },
        );
      });
      res.on('error', () => {
        if (!call.settled) fail(null, 'response reset');
      });
      res.on('aborted', () => {
        if (!call.settled) fail(null, 'response aborted');
      });
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (call.settled) return;
      if (responseStarted) return fail(null, err.message);
      const reason =
        err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EHOSTUNREACH' || err.code === 'ETIMEDOUT'
          ? 'connection failure'
          : 'connection termination';
      fail(synthetic(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`), err.message);
    });
    if (timeoutMs > 0) {
      call.timer = setTimeout(() => {
        if (call.settled) return;
        fail(synthetic(504, 'upstream request timeout'), `timeout after ${timeoutMs} ms`);
        request.destroy();
      }, timeoutMs);
      call.timer.unref();
    }
    request.end(body.byteLength > 0 ? Buffer.from(body) : undefined);
    return WasmResult.Ok;
  }

  private finish(token: number, response: HttpCallResponseView | null, status: { code: number; message: string }): void {
    const call = this.pending.get(token);
    if (!call || call.settled) return;
    call.settled = true;
    if (call.timer) clearTimeout(call.timer);
    this.pending.delete(token);
    if (this.root.state === 'deleted' || this.root.vm.closed) return;
    this.root.onHttpCallResponse(token, response, status);
  }

  /** Cancels calls in flight without answering them (Envoy cancels them when a context dies). */
  cancelAll(): void {
    for (const call of this.pending.values()) {
      call.settled = true;
      if (call.timer) clearTimeout(call.timer);
      call.request.destroy();
    }
    this.pending.clear();
  }

  get inFlight(): number {
    return this.pending.size;
  }
}
