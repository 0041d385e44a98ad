// One request/response exchange through the proxy: the layer that plays Envoy's HTTP
// connection manager plus router for a single stream. The downstream codec feeds the filter
// stream (decode*), the filter stream moves the request on through this object (it is the
// HttpStreamSink), the upstream client answers into the filter stream (encode*), and the filter
// stream moves the response on through this object again, to the downstream codec.
import type { HeaderList, HttpFilterStream, HttpStreamSink } from '../wasm-host/api.js';
import type { ProxyStats } from './proxy-stats.js';

/** The downstream codec's writing half, for one stream. */
export interface DownstreamResponder {
  respond(headers: HeaderList, endStream: boolean): void;
  /** Returns false when the socket is backed up; `onDrain` fires when it is not. */
  write(data: Uint8Array, endStream: boolean): boolean;
  trailers(trailers: HeaderList): void;
  reset(reason: string): void;
  pauseReading(): void;
  resumeReading(): void;
  onDrain(cb: () => void): void;
}

/** Callbacks of an upstream request, implemented by the exchange. */
export interface UpstreamEvents {
  onResponseHeaders(headers: HeaderList, endStream: boolean): void;
  onResponseData(data: Uint8Array, endStream: boolean): void;
  onResponseTrailers(trailers: HeaderList): void;
  /** The request failed; `responseStarted` says whether response headers had arrived. */
  onUpstreamError(reason: string, responseStarted: boolean): void;
  /** The request body may be written again after write() returned false. */
  onUpstreamDrain(): void;
}

export interface UpstreamRequest {
  write(data: Uint8Array, endStream: boolean): boolean;
  trailers(trailers: HeaderList): void;
  abort(reason: string): void;
  pauseReading(): void;
  resumeReading(): void;
}

export interface Upstream {
  /** Start a request; `downstreamProtocol` lets an `auto` upstream speak the client's protocol. */
  start(headers: HeaderList, endStream: boolean, events: UpstreamEvents, downstreamProtocol: string): UpstreamRequest;
  close(): Promise<void>;
}

/** Envoy's router answers a failed upstream with a local reply of this shape. */
function upstreamFailureReply(reason: string): { headers: HeaderList; body: Uint8Array } {
  const body = Buffer.from(`upstream connect error or disconnect/reset before headers. reset reason: ${reason}`);
  return {
    headers: [
      [':status', '503'],
      ['content-length', String(body.length)],
      ['content-type', 'text/plain'],
    ],
    body,
  };
}

/** Envoy's local reply when the route timeout fires before the response started. */
function upstreamTimeoutReply(): { headers: HeaderList; body: Uint8Array } {
  const body = Buffer.from('upstream request timeout');
  return { headers: [[':status', '504'], ['content-length', String(body.length)], ['content-type', 'text/plain']], body };
}

/** Why a direction is paused; it resumes only when every reason has gone. */
type PauseReason = 'peer-backpressure' | 'filter-watermark';

export class Exchange implements HttpStreamSink {
  filter!: HttpFilterStream;
  private upstreamRequest: UpstreamRequest | undefined;
  private finished = false;
  private responseStarted = false;
  /** The upstream answered (its response started); false when a local reply ended the exchange. */
  private upstreamResponded = false;
  private readonly requestPauses = new Set<PauseReason>();
  private readonly responsePauses = new Set<PauseReason>();
  private routeTimer: NodeJS.Timeout | undefined;

  /** `routeTimeoutMs`: Envoy's route timeout, from the end of the downstream request to the end
   * of the upstream response (0: none). */
  constructor(
    private readonly downstream: DownstreamResponder,
    private readonly upstream: Upstream,
    private readonly protocol: string,
    private readonly stats: ProxyStats,
    private readonly routeTimeoutMs = 0,
  ) {
    downstream.onDrain(() => this.unpause(this.responsePauses, 'peer-backpressure', 'response'));
  }

  // --- HttpStreamSink: the filter moves the stream on ---

  requestHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.finished) return;
    this.stats.upstreamRequests++;
    const events: UpstreamEvents = {
      onResponseHeaders: (h, end) => {
        this.upstreamResponded = true;
        if (end) this.upstreamDone();
        this.fromUpstream(() => this.filter.encodeHeaders(h, end), true);
      },
      onResponseData: (d, end) => {
        if (end) this.upstreamDone();
        this.fromUpstream(() => this.filter.encodeData(d, end));
      },
      onResponseTrailers: (t) => {
        this.upstreamDone();
        this.fromUpstream(() => this.filter.encodeTrailers(t));
      },
      onUpstreamError: (reason, started) => this.upstreamFailed(reason, started),
      onUpstreamDrain: () => this.unpause(this.requestPauses, 'peer-backpressure', 'request'),
    };
    this.upstreamRequest = this.upstream.start(headers, endStream, events, this.protocol);
    if (endStream) this.requestDone();
  }

  requestData(data: Uint8Array, endStream: boolean): void {
    if (this.finished || !this.upstreamRequest) return;
    if (!this.upstreamRequest.write(data, endStream)) this.pause(this.requestPauses, 'peer-backpressure', 'request');
    if (endStream) this.requestDone();
  }

  requestTrailers(trailers: HeaderList): void {
    if (this.finished || !this.upstreamRequest) return;
    this.upstreamRequest.trailers(trailers);
    this.requestDone();
  }

  responseHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.finished) return;
    this.responseStarted = true;
    this.downstream.respond(headers, endStream);
    if (endStream) this.finish();
  }

  responseData(data: Uint8Array, endStream: boolean): void {
    if (this.finished) return;
    if (!this.downstream.write(data, endStream)) this.pause(this.responsePauses, 'peer-backpressure', 'response');
    if (endStream) this.finish();
  }

  responseTrailers(trailers: HeaderList): void {
    if (this.finished) return;
    this.downstream.trailers(trailers);
    this.finish();
  }

  reset(reason: string): void {
    if (this.finished) return;
    this.stats.streamsReset++;
    this.downstream.reset(reason);
    this.upstreamRequest?.abort(reason);
    this.finish();
  }

  pauseRequestBody(): void {
    this.pause(this.requestPauses, 'filter-watermark', 'request');
  }
  resumeRequestBody(): void {
    this.unpause(this.requestPauses, 'filter-watermark', 'request');
  }
  pauseResponseBody(): void {
    this.pause(this.responsePauses, 'filter-watermark', 'response');
  }
  resumeResponseBody(): void {
    this.unpause(this.responsePauses, 'filter-watermark', 'response');
  }

  // --- from the codecs ---

  /** The client went away (or its stream was reset) before the exchange ended. */
  downstreamReset(reason: string): void {
    if (this.finished) return;
    this.stats.downstreamResets++;
    this.upstreamRequest?.abort(reason);
    this.filter.onReset(reason);
    this.finish();
  }

  private fromUpstream(step: () => void, headers = false): void {
    if (this.finished) return;
    if (headers) this.stats.upstreamResponses++;
    step();
  }

  /** The whole request went upstream: the route timeout starts. */
  private requestDone(): void {
    if (this.routeTimeoutMs <= 0 || this.routeTimer || this.finished) return;
    this.routeTimer = setTimeout(() => this.routeTimedOut(), this.routeTimeoutMs);
    this.routeTimer.unref();
  }

  private upstreamDone(): void {
    if (this.routeTimer) clearTimeout(this.routeTimer);
    this.routeTimer = undefined;
  }

  private routeTimedOut(): void {
    this.routeTimer = undefined;
    if (this.finished) return;
    this.stats.upstreamTimeouts++;
    this.upstreamRequest?.abort('route timeout');
    if (this.responseStarted) {
      this.reset('upstream request timeout');
      return;
    }
    // The upstream is abandoned; the local reply goes through the filter's encode path as
    // Envoy's does, and the exchange ends as a local reply (not an upstream answer).
    this.upstreamResponded = false;
    const reply = upstreamTimeoutReply();
    this.filter.encodeHeaders(reply.headers, false);
    this.filter.encodeData(reply.body, true);
  }

  private upstreamFailed(reason: string, responseStarted: boolean): void {
    if (this.finished) return;
    this.stats.upstreamFailures++;
    if (responseStarted || this.responseStarted) {
      // Headers already went downstream: all that is left is to reset, as Envoy does.
      this.reset(`upstream ${reason}`);
      return;
    }
    const reply = upstreamFailureReply(reason);
    this.filter.encodeHeaders(reply.headers, false);
    this.filter.encodeData(reply.body, true);
  }

  private pause(set: Set<PauseReason>, reason: PauseReason, dir: 'request' | 'response'): void {
    const wasRunning = set.size === 0;
    set.add(reason);
    if (!wasRunning) return;
    if (dir === 'request') this.downstream.pauseReading();
    else this.upstreamRequest?.pauseReading();
  }

  private unpause(set: Set<PauseReason>, reason: PauseReason, dir: 'request' | 'response'): void {
    if (!set.delete(reason) || set.size > 0) return;
    if (dir === 'request') this.downstream.resumeReading();
    else this.upstreamRequest?.resumeReading();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.upstreamDone();
    this.stats.exchangesCompleted++;
    // A local reply (a filter's 403 after the request headers went upstream) ends the exchange
    // while the upstream request is still open: reset it, as Envoy's router does, so that it
    // does not hold an upstream connection waiting for a body that will never come.
    if (!this.upstreamResponded) this.upstreamRequest?.abort('local reply');
    // Completion runs the filter's end-of-life callbacks; defer it so it never re-enters the
    // filter stream from inside one of its own sink calls (Envoy defers stream deletion too).
    queueMicrotask(() => this.filter.complete());
  }
}
