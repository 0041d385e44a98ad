// An incremental HTTP/1.x message parser for one direction of a reassembled connection: the
// framing only (start line, headers, Content-Length or chunked bodies, bodies to the close),
// so the requests and responses seen on the wire can be handed to the filter as Envoy's codec
// would hand them. No interpretation beyond framing: the filter does the rest. Bounded: a head
// larger than maxHeadBytes, or anything that is not HTTP/1.x, stops the parser (error()).
import type { HeaderList } from '../wasm-host/api.js';

export interface Http1Handlers {
  /** Request: [method, target, version]; response: [version, status, reason]. `bodyless`: no
   * body follows (the message ends here). */
  head(start: [string, string, string], headers: HeaderList, bodyless: boolean): void;
  body(data: Uint8Array): void;
  end(): void;
  error(reason: string): void;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'eof' | 'dead';

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class Http1Parser {
  private state: State = 'head';
  private buf: Buffer = Buffer.alloc(0);
  private remaining = 0;
  /** Methods of requests whose responses are pending (responses only): HEAD has no body. */
  readonly requestMethods: string[] = [];

  constructor(
    private readonly kind: 'request' | 'response',
    private readonly h: Http1Handlers,
    private readonly maxHeadBytes = 64 * 1024,
  ) {}

  get dead(): boolean {
    return this.state === 'dead';
  }

  push(data: Uint8Array): void {
    let chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    while (chunk.length > 0 && this.state !== 'dead') {
      switch (this.state) {
        case 'length': {
          const n = Math.min(this.remaining, chunk.length);
          this.h.body(chunk.subarray(0, n));
          this.remaining -= n;
          chunk = chunk.subarray(n);
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'eof':
          this.h.body(chunk);
          return;
        case 'chunk-data': {
          const n = Math.min(this.remaining, chunk.length);
          this.h.body(chunk.subarray(0, n));
          this.remaining -= n;
          chunk = chunk.subarray(n);
          if (this.remaining === 0) this.state = 'chunk-crlf';
          break;
        }
        default:
          chunk = this.line(chunk);
      }
    }
  }

  /** The connection closed: a body read to the close ends here. */
  close(): void {
    if (this.state === 'eof') this.finish();
  }

  /** States that work on lines (head, chunk sizes, chunk ends, trailers): buffer to a line end. */
  private line(chunk: Buffer): Buffer {
    const joined = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.state === 'head') {
      const end = joined.indexOf(CRLFCRLF);
      if (end < 0) {
        if (joined.length > this.maxHeadBytes) return this.fail('message head too large'), Buffer.alloc(0);
        this.buf = Buffer.from(joined);
        return Buffer.alloc(0);
      }
      this.buf = Buffer.alloc(0);
      this.parseHead(joined.toString('latin1', 0, end));
      return joined.subarray(end + 4);
    }
    const nl = joined.indexOf(10);
    if (nl < 0) {
      if (joined.length > 4096) return this.fail('chunk framing line too long'), Buffer.alloc(0);
      this.buf = Buffer.from(joined);
      return Buffer.alloc(0);
    }
    this.buf = Buffer.alloc(0);
    const text = joined.toString('latin1', 0, nl).replace(/\r$/, '');
    const rest = joined.subarray(nl + 1);
    if (this.state === 'chunk-size') {
      const size = parseInt(text.split(';')[0].trim(), 16);
      if (!Number.isFinite(size) || size < 0) return this.fail('bad chunk size'), Buffer.alloc(0);
      if (size === 0) this.state = 'trailers';
      else {
        this.remaining = size;
        this.state = 'chunk-data';
      }
    } else if (this.state === 'chunk-crlf') {
      this.state = 'chunk-size';
    } else if (this.state === 'trailers') {
      if (text === '') this.finish();
    }
    return rest;
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    // Tolerate empty lines before a request (RFC 9112 §2.2).
    while (lines.length > 0 && lines[0] === '') lines.shift();
    const first = lines.shift() ?? '';
    let start: [string, string, string];
    if (this.kind === 'request') {
      const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/.exec(first);
      if (!m) return this.fail('not an HTTP/1.x request line');
      start = [m[1], m[2], m[3]];
    } else {
      const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(first);
      if (!m) return this.fail('not an HTTP/1.x status line');
      start = [m[1], m[2], m[3] ?? ''];
    }
    const headers: HeaderList = [];
    let length: number | undefined;
    let chunked = false;
    for (const l of lines) {
      const colon = l.indexOf(':');
      if (colon <= 0) return this.fail('malformed header line');
      const name = l.slice(0, colon).trim().toLowerCase();
      const value = l.slice(colon + 1).trim();
      headers.push([name, value]);
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding' && /chunked\s*$/i.test(value)) chunked = true;
    }
    let bodyless: boolean;
    if (this.kind === 'request') {
      bodyless = !chunked && !length;
    } else {
      const status = Number(start[1]);
      const method = this.requestMethods.shift() ?? 'GET';
      bodyless = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200) || (!chunked && length === 0);
      if (status >= 100 && status < 200) this.requestMethods.unshift(method); // the final answer follows
    }
    this.h.head(start, headers, bodyless);
    if (bodyless) return this.finish();
    if (chunked) this.state = 'chunk-size';
    else if (length !== undefined && Number.isFinite(length) && length >= 0) {
      this.remaining = length;
      this.state = 'length';
    } else this.state = 'eof';
  }

  private finish(): void {
    this.state = 'head';
    this.h.end();
  }

  private fail(reason: string): void {
    this.state = 'dead';
    this.buf = Buffer.alloc(0);
    this.h.error(reason);
  }
}
