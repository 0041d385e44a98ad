// The HTTP/1.x downstream codec: a request from Node's http server becomes one Exchange, its
// headers converted to Envoy's form (pseudo-headers, `host` as `:authority`), its body and
// trailers streamed into the filter, the response written back with backpressure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderList } from '../wasm-host/api.js';
import type { DownstreamResponder } from './exchange.js';
import { fromHeaderObject, fromRawHeaders, toHttp1Raw, toTrailerObject } from './headers.js';
import type { ExchangeFactory } from './exchange-factory.js';

class Http1Responder implements DownstreamResponder {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {}

  respond(headers: HeaderList, endStream: boolean): void {
    let status = 200;
    for (const [n, v] of headers) if (n === ':status') status = Number(v) || 500;
    this.res.writeHead(status, toHttp1Raw(headers));
    if (endStream) this.res.end();
  }
  write(data: Uint8Array, endStream: boolean): boolean {
    if (endStream) {
      this.res.end(data);
      return true;
    }
    return this.res.write(data);
  }
  trailers(trailers: HeaderList): void {
    // HTTP/1.1 carries trailers only in chunked bodies; Node sends them if it chunked.
    this.res.addTrailers(toTrailerObject(trailers));
    this.res.end();
  }
  reset(): void {
    this.res.destroy();
  }
  pauseReading(): void {
    this.req.pause();
  }
  resumeReading(): void {
    this.req.resume();
  }
  onDrain(cb: () => void): void {
    this.res.on('drain', cb);
  }
}

/** RFC 9112 §6.3: a request without Content-Length or Transfer-Encoding has no body. */
function requestHasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

export function requestHeadersFromHttp1(req: IncomingMessage, scheme: string): HeaderList {
  const raw = fromRawHeaders(req.rawHeaders);
  let authority = '';
  const rest: HeaderList = [];
  for (const [n, v] of raw) {
    if (n === 'host') authority = v;
    else rest.push([n, v]);
  }
  return [
    [':authority', authority],
    [':path', req.url ?? '/'],
    [':method', req.method ?? 'GET'],
    [':scheme', scheme],
    ...rest,
  ];
}

export function handleHttp1Request(req: IncomingMessage, res: ServerResponse, factory: ExchangeFactory): void {
  const socket = req.socket;
  const scheme = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const protocol = req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
  const responder = new Http1Responder(req, res);
  const exchange = factory.create(responder, socket, protocol);
  const headers = factory.decorateRequestHeaders(requestHeadersFromHttp1(req, scheme), scheme);
  const hasBody = requestHasBody(req);

  res.on('close', () => {
    if (!res.writableFinished) exchange.downstreamReset('downstream_remote_disconnect');
  });
  req.on('error', () => exchange.downstreamReset('downstream_protocol_error'));

  exchange.filter.decodeHeaders(headers, !hasBody);
  if (!hasBody) {
    req.resume();
    return;
  }
  req.on('data', (chunk: Buffer) => exchange.filter.decodeData(chunk, false));
  req.on('end', () => {
    const trailers = fromHeaderObject(req.trailers);
    if (trailers.length > 0) exchange.filter.decodeTrailers(trailers);
    else exchange.filter.decodeData(new Uint8Array(0), true);
  });
}
