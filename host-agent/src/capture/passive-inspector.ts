// One reassembled connection handed to the filter through the host, as a sidecar would see it:
// HTTP/1.x connections (recognised by the first request line) as HTTP streams, one per request,
// through the filter's HTTP context; anything else as one TCP stream through its network
// context. The sinks discard what the filter lets through or answers: this is a copy of the
// traffic. Detection is the filter's alone.
import type { ConnectionInfo, HeaderList, HttpFilterStream, HttpStreamSink, NetworkFilterStream, NetworkStreamSink } from '../wasm-host/api.js';
import type { Plugin } from './filter-host.js';
import { Http1Parser } from './http1-parser.js';
import type { FlowConsumer, FlowEndpoints } from './tcp-reassembly.js';

const NOOP_HTTP_SINK: HttpStreamSink = {
  requestHeaders() {},
  requestData() {},
  requestTrailers() {},
  responseHeaders() {},
  responseData() {},
  responseTrailers() {},
  reset() {},
};

const NOOP_NET_SINK: NetworkStreamSink = {
  upstreamWrite() {},
  downstreamWrite() {},
  close() {},
};

const METHOD_START = /^[A-Z]{3,10} /;
const EMPTY = new Uint8Array(0);

export interface InspectorStats {
  httpConnections: number;
  tcpConnections: number;
  requests: number;
  responses: number;
  parseErrors: number;
}

export function newInspectorStats(): InspectorStats {
  return { httpConnections: 0, tcpConnections: 0, requests: 0, responses: 0, parseErrors: 0 };
}

let nextConnectionId = 1;

/** Body buffers are carved from shared slabs (as Node's own pool does for small buffers, but
 * for bodies of a few KB too): one allocation per slab instead of one per body. A slab lives as
 * long as any body carved from it. */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

function carve(size: number): Buffer {
  if (size > SLAB_BYTES / 4) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return out;
}

/** Gathers body chunks up to `limit` bytes, copied once into a buffer of its own as they come
 * (a segment points into a whole capture block, which a reference would keep alive). The
 * buffer is sized to the body when its length is announced (small ones come from Node's pool),
 * else starts small and doubles up to the limit. */
class BodyGather {
  private buf: Buffer | undefined;
  private size = 0;
  private expected = 0;
  constructor(private readonly limit = 64 * 1024) {}

  /** The next body's announced length (0: unknown). */
  expect(length: number): void {
    this.expected = length > 0 ? Math.min(length, this.limit) : 0;
  }

  add(d: Uint8Array, flush: (b: Uint8Array) => void): void {
    let at = 0;
    while (at < d.length) {
      if (!this.buf) this.buf = carve(this.expected || Math.min(this.limit, Math.max(4096, d.length - at)));
      else if (this.size === this.buf.length && this.size < this.limit) this.grow(d.length - at);
      const n = Math.min(d.length - at, this.buf.length - this.size);
      this.buf.set(d.subarray(at, at + n), this.size);
      this.size += n;
      at += n;
      if (this.size >= this.limit) {
        // A body beyond the limit: the rest comes in pieces of the limit.
        const expected = this.expected;
        flush(this.take());
        this.expected = expected;
      }
    }
  }

  take(): Uint8Array {
    if (this.size === 0 || !this.buf) return EMPTY;
    const out = this.buf.subarray(0, this.size);
    this.buf = undefined;
    this.size = 0;
    this.expected = 0;
    return out;
  }

  private grow(more: number): void {
    const next = carve(Math.min(this.limit, Math.max(this.size * 2, this.size + more)));
    next.set(this.buf!.subarray(0, this.size));
    this.buf = next;
  }
}

/** The Content-Length of a head (0 when absent or not a number). */
function contentLength(headers: HeaderList): number {
  for (const [n, v] of headers) if (n === 'content-length') return Number(v) || 0;
  return 0;
}

export class PassiveConnection implements FlowConsumer {
  private mode: 'unknown' | 'http' | 'tcp' = 'unknown';
  private readonly info: ConnectionInfo;
  private net: NetworkFilterStream | undefined;
  private req: Http1Parser | undefined;
  private res: Http1Parser | undefined;
  private readonly pending: Array<{ stream: HttpFilterStream; bodyless: boolean }> = [];
  private current: { stream: HttpFilterStream; bodyless: boolean } | undefined;
  private responding: { stream: HttpFilterStream; bodyless: boolean } | undefined;
  private early: Uint8Array[] = [];
  /** Body bytes gathered into larger pieces: one filter call per segment would cost more than
   * the inspection itself. */
  private readonly reqBody = new BodyGather();
  private readonly resBody = new BodyGather();

  constructor(
    private readonly plugin: Plugin,
    endpoints: FlowEndpoints,
    private readonly stats: InspectorStats,
  ) {
    this.info = {
      id: nextConnectionId++,
      sourceAddress: endpoints.client.ip,
      sourcePort: endpoints.client.port,
      destinationAddress: endpoints.server.ip,
      destinationPort: endpoints.server.port,
    };
  }

  clientData(data: Uint8Array): void {
    if (this.mode === 'unknown') this.decide(data);
    if (this.mode === 'http') {
      this.req!.push(data);
      if (this.req!.dead) this.toTcpFallback();
    } else this.net!.onDownstreamData(data, false);
  }

  serverData(data: Uint8Array): void {
    if (this.mode === 'unknown') {
      // Server speaks first (MySQL, SMTP...): a TCP stream; keep the bytes for it.
      this.early.push(Uint8Array.prototype.slice.call(data));
      if (this.early.length > 64) this.decide(EMPTY);
      return;
    }
    if (this.mode === 'http') this.res!.push(data);
    else this.net!.onUpstreamData(data, false);
  }

  end(): void {
    if (this.mode === 'http') {
      this.res?.close();
      this.current?.stream.onReset('connection closed');
      for (const p of this.pending) p.stream.onReset('connection closed');
      this.responding?.stream.complete();
    } else if (this.net) {
      this.net.onDownstreamClose('remote');
    }
  }

  private decide(first: Uint8Array): void {
    const head = Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 12)).toString('latin1');
    if (METHOD_START.test(head)) {
      this.mode = 'http';
      this.stats.httpConnections++;
      this.req = new Http1Parser('request', {
        head: (start, headers, bodyless) => this.onRequestHead(start, headers, bodyless),
        body: (d) => this.reqBody.add(d, (b) => this.current?.stream.decodeData(b, false)),
        end: () => this.onRequestEnd(),
        error: () => this.stats.parseErrors++,
      });
      this.res = new Http1Parser('response', {
        head: (start, headers, bodyless) => this.onResponseHead(start, headers, bodyless),
        body: (d) => this.resBody.add(d, (b) => this.responding?.stream.encodeData(b, false)),
        end: () => this.onResponseEnd(),
        error: () => this.stats.parseErrors++,
      });
      return;
    }
    this.startTcp();
  }

  private startTcp(): void {
    this.mode = 'tcp';
    this.stats.tcpConnections++;
    this.net = this.plugin.createNetworkStream({ connection: this.info }, NOOP_NET_SINK);
    this.net.onNewConnection();
    for (const e of this.early) this.net.onUpstreamData(e, false);
    this.early = [];
  }

  /** Not HTTP after all (or broken framing): the rest goes to the network filter. */
  private toTcpFallback(): void {
    this.stats.parseErrors++;
    this.current?.stream.onReset('protocol error');
    this.current = undefined;
    this.startTcp();
  }

  private onRequestHead(start: [string, string, string], headers: HeaderList, bodyless: boolean): void {
    this.stats.requests++;
    const [method, target, version] = start;
    let authority = '';
    const rest: HeaderList = [];
    for (const [n, v] of headers) {
      if (n === 'host') authority = v;
      else rest.push([n, v]);
    }
    const list: HeaderList = [[':method', method], [':scheme', 'http'], [':authority', authority], [':path', target], ...rest];
    if (!bodyless) this.reqBody.expect(contentLength(headers));
    const stream = this.plugin.createHttpStream({ connection: this.info, protocol: version === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1', startTime: Date.now() }, NOOP_HTTP_SINK);
    this.current = { stream, bodyless };
    this.res!.requestMethods.push(method);
    stream.decodeHeaders(list, bodyless);
  }

  private onRequestEnd(): void {
    const c = this.current;
    if (!c) return;
    if (!c.bodyless) c.stream.decodeData(this.reqBody.take(), true);
    this.pending.push(c);
    this.current = undefined;
  }

  private onResponseHead(start: [string, string, string], headers: HeaderList, bodyless: boolean): void {
    const status = Number(start[1]);
    if (status >= 100 && status < 200) return;
    this.stats.responses++;
    this.responding = this.pending.shift() ?? this.current;
    if (!this.responding) return;
    this.responding.bodyless = bodyless;
    if (!bodyless) this.resBody.expect(contentLength(headers));
    this.responding.stream.encodeHeaders([[':status', start[1]], ...headers], bodyless);
  }

  private onResponseEnd(): void {
    const r = this.responding;
    if (!r) return;
    if (!r.bodyless) r.stream.encodeData(this.resBody.take(), true);
    r.stream.complete();
    this.responding = undefined;
  }
}
