// The HTTP/2 downstream codec (cleartext with prior knowledge, or TLS with ALPN h2): each stream
// becomes one Exchange. gRPC rides on this path, so trailers are carried both ways.
import http2 from 'node:http2';
import type { ServerHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { HeaderList } from '../wasm-host/api.js';
import type { DownstreamResponder } from './exchange.js';
import { fromHeaderObject, fromRawHeaders, pseudoFirst, toHttp2Object, toTrailerObject } from './headers.js';
import type { ExchangeFactory } from './exchange-factory.js';

class Http2Responder implements DownstreamResponder {
  private pendingTrailers: HeaderList | undefined;

  constructor(private readonly stream: ServerHttp2Stream) {
    // Whether trailers follow is only known at the end, so every response asks for them; an
    // exchange without trailers answers the request with none, which ends the stream cleanly.
    stream.on('wantTrailers', () => {
      stream.sendTrailers(this.pendingTrailers ? toTrailerObject(this.pendingTrailers) : {});
    });
  }

  respond(headers: HeaderList, endStream: boolean): void {
    if (this.stream.destroyed) return;
    this.stream.respond(toHttp2Object(headers), { endStream, waitForTrailers: !endStream });
  }
  write(data: Uint8Array, endStream: boolean): boolean {
    if (this.stream.destroyed) return true;
    if (endStream) {
      this.stream.end(data);
      return true;
    }
    return this.stream.write(data);
  }
  trailers(trailers: HeaderList): void {
    if (this.stream.destroyed) return;
    this.pendingTrailers = trailers;
    this.stream.end();
  }
  reset(): void {
    if (!this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
  pauseReading(): void {
    this.stream.pause();
  }
  resumeReading(): void {
    this.stream.resume();
  }
  onDrain(cb: () => void): void {
    this.stream.on('drain', cb);
  }
}

export function handleHttp2Stream(
  stream: ServerHttp2Stream,
  _headers: IncomingHttpHeaders,
  rawHeaders: string[],
  factory: ExchangeFactory,
): void {
  const socket = stream.session?.socket;
  if (!socket) {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  const scheme = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const responder = new Http2Responder(stream);
  const exchange = factory.create(responder, socket, 'HTTP/2');
  const headers = factory.decorateRequestHeaders(pseudoFirst(fromRawHeaders(rawHeaders)), scheme);
  const endAtHeaders = stream.endAfterHeaders;

  stream.on('close', () => {
    if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR || !stream.writableFinished) {
      exchange.downstreamReset('downstream_remote_disconnect');
    }
  });
  stream.on('error', () => exchange.downstreamReset('downstream_protocol_error'));

  exchange.filter.decodeHeaders(headers, endAtHeaders);
  if (endAtHeaders) {
    stream.resume(); // let the readable side finish so the stream can close
    return;
  }
  let trailers: HeaderList | undefined;
  stream.on('trailers', (t: IncomingHttpHeaders) => {
    trailers = fromHeaderObject(t);
  });
  stream.on('data', (chunk: Buffer) => exchange.filter.decodeData(chunk, false));
  stream.on('end', () => {
    if (trailers && trailers.length > 0) exchange.filter.decodeTrailers(trailers);
    else exchange.filter.decodeData(new Uint8Array(0), true);
  });
}
