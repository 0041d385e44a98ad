// HTTP/2 requests to the upstream (cleartext with prior knowledge, or TLS): one session,
// replaced when it closes or goes away. This is the path gRPC takes.
import http2 from 'node:http2';
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import type { HeaderList } from '../wasm-host/api.js';
import type { UpstreamEvents, UpstreamRequest } from './exchange.js';
import { fromHeaderObject, getHeader, pseudoFirst, toHttp2Object, toTrailerObject } from './headers.js';

export class Http2Upstream {
  private session: ClientHttp2Session | undefined;
  /** Streams in flight: the session holds the event loop open only while there are some. */
  private active = 0;

  constructor(private readonly url: URL) {}

  private getSession(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const origin = `${this.url.protocol === 'https:' || this.url.protocol === 'h2:' ? 'https' : 'http'}://${this.url.host}`;
    const session = http2.connect(origin);
    session.on('error', () => {
      /* surfaced on each stream */
    });
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    return session;
  }

  start(headers: HeaderList, endStream: boolean, events: UpstreamEvents): UpstreamRequest {
    let responseStarted = false;
    let finished = false;
    let pendingTrailers: HeaderList | undefined;
    const fail = (reason: string) => {
      if (finished) return;
      finished = true;
      events.onUpstreamError(reason, responseStarted);
    };
    const session = this.getSession();
    const out = toHttp2Object(headers);
    if (out[':authority'] === undefined) out[':authority'] = this.url.host;
    const stream = session.request(out, { endStream, waitForTrailers: !endStream });
    this.active++;
    session.ref();
    stream.on('wantTrailers', () => {
      stream.sendTrailers(pendingTrailers ? toTrailerObject(pendingTrailers) : {});
    });
    let trailers: HeaderList | undefined;
    stream.on('response', (h: IncomingHttpHeaders) => {
      responseStarted = true;
      const list = pseudoFirst(fromHeaderObject(h));
      const method = getHeader(headers, ':method');
      const end = stream.endAfterHeaders || method === 'HEAD';
      events.onResponseHeaders(list, end);
      if (end) {
        finished = true;
        stream.resume();
      }
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      trailers = fromHeaderObject(t);
    });
    stream.on('data', (chunk: Buffer) => events.onResponseData(chunk, false));
    stream.on('end', () => {
      if (finished) return;
      finished = true;
      if (trailers && trailers.length > 0) events.onResponseTrailers(trailers);
      else events.onResponseData(new Uint8Array(0), true);
    });
    stream.on('close', () => {
      if (!finished) fail(responseStarted ? 'remote reset' : 'connection failure');
      if (--this.active === 0 && !session.destroyed) session.unref();
    });
    stream.on('error', () => fail(responseStarted ? 'remote reset' : 'connection failure'));
    stream.on('drain', () => events.onUpstreamDrain());
    return {
      write: (data, end) => {
        if (end) {
          stream.end(data);
          return true;
        }
        return stream.write(data);
      },
      trailers: (t) => {
        pendingTrailers = t;
        stream.end();
      },
      abort: () => {
        finished = true;
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
      },
      pauseReading: () => stream.pause(),
      resumeReading: () => stream.resume(),
    };
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s && !s.closed) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
