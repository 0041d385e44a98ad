// Drives one HTTP stream through the Wasm filter the way Envoy's FilterManager drives a filter
// chain that holds this one filter (http/filter_manager.cc), with the proxy's sink standing for
// the router (request direction) and the downstream codec (response direction).
//
// Iteration, per direction:
// - headers: Continue passes them on; a stop (always "stop all" for Wasm, see http-context.ts)
//   holds headers, and the filter manager buffers any body and trailers that arrive meanwhile
//   without calling the filter; continue_stream resumes from this filter, so the held body and
//   trailers are then delivered to it (Envoy's iterate_from_current_filter);
// - body: Continue passes the chunk (and anything buffered before it) on; StopIterationAndBuffer
//   and StopIterationAndWatermark buffer it; StopIterationNoBuffer drops it; while buffering,
//   a new chunk joins the buffer before the filter sees it (it reads the whole body);
// - trailers: Continue passes them on (with the buffered body first); StopIteration holds.
// Limits: buffering in "buffer" mode past bufferLimitBytes answers 413 (request) or 500
// (response; a reset when the response headers already went downstream); in "watermark" mode
// the proxy is asked to pause reading instead and to resume once the buffer drained.
// Local replies: from a request callback (no response yet) the reply goes through this filter's
// response callbacks as any response would; when a response exists but its headers have not
// gone downstream it is sent directly; after that the stream is reset.
// End of life: proxy_on_log, then proxy_on_done and proxy_on_delete, once: when the end of the
// response has gone to the sink (Envoy's doEndStream; request data still arriving is dropped),
// when the stream is reset (close_stream, a local reply too late, the proxy's onReset), or when
// the proxy calls complete().

import type { HeaderList, HttpFilterStream, HttpStreamSink } from './api.js';
import { ByteBuffer } from './buffers.js';
import type { HttpFilterCallbacks } from './http-context.js';
import { HttpContext } from './http-context.js';
import { HeaderMap } from './header-map.js';
import { CODE_TEXT, isGrpcRequest, prepareLocalReply } from './local-reply.js';
import type { StreamInfoState } from './properties.js';
import { DataStatus, HeadersStatus, TrailersStatus } from './status.js';
import { WasmHostError } from './errors.js';
import type { PluginConfig, RootContext } from './context.js';

type Iteration = 'continue' | 'stop-single' | 'stop-all-buffer' | 'stop-all-watermark';

/** One direction of the stream, as seen by the single filter's ActiveStreamFilter entry. */
class Direction {
  headers: HeaderMap | null = null;
  trailers: HeaderMap | null = null;
  buffered: ByteBuffer | null = null;
  iteration: Iteration = 'continue';
  headersContinued = false;
  iterateFromCurrent = false;
  /** Buffering in watermark mode (overflow pauses instead of failing). */
  streaming = false;
  /** The proxy signalled the end of this direction (Envoy's remote complete). */
  remoteComplete = false;
  /** The filter has seen end of stream in this direction (entry->end_stream_). */
  filterEndStream = false;
  /** Headers went to the sink. */
  sentHeaders = false;
  /** The end of this direction went to the sink. */
  sentEnd = false;
  paused = false;
  /** A local reply was sent from inside one of this direction's callbacks (Envoy's
   * decoder/encoder "aborted"): what the filter answers from then on counts as a stop. */
  aborted = false;

  stoppedAll(): boolean {
    return this.iteration === 'stop-all-buffer' || this.iteration === 'stop-all-watermark';
  }
}

export interface HttpFilterManagerOptions {
  root: RootContext;
  plugin: PluginConfig;
  sink: HttpStreamSink;
  streamInfo: StreamInfoState;
  /** Called once, after the end-of-life callbacks. */
  onEnded: () => void;
}

export class HttpFilterManager implements HttpFilterStream, HttpFilterCallbacks {
  readonly ctx: HttpContext;
  readonly streamInfo: StreamInfoState;
  private readonly sink: HttpStreamSink;
  private readonly plugin: PluginConfig;
  private readonly req = new Direction();
  private readonly resp = new Direction();
  /** The direction whose filter callback is running, if any. */
  private calling: Direction | null = null;
  /** Envoy's local_complete_: the whole response went downstream. */
  private localComplete = false;
  private isGrpc = false;
  private isHead = false;
  private ended = false;
  private reset = false;
  /** True once a local reply took over the response: the upstream's frames are ignored. */
  private upstreamIgnored = false;
  private readonly onEnded: () => void;

  constructor(o: HttpFilterManagerOptions) {
    this.sink = o.sink;
    this.plugin = o.plugin;
    this.streamInfo = o.streamInfo;
    this.onEnded = o.onEnded;
    const vm = o.root.vm;
    // A failed VM still gets a context (Envoy's Context(nullptr)): it answers per failurePolicy.
    const id = vm.failed ? 0 : vm.allocContextId();
    this.ctx = new HttpContext(vm, id, o.root, this);
    if (id !== 0) vm.register(this.ctx);
  }

  // ================= proxy-facing: HttpFilterStream =================

  decodeHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.req.headers) throw new WasmHostError('WASM_STREAM_STATE', 'decodeHeaders called twice on one stream');
    if (this.ended) return;
    const map = HeaderMap.from(headers, 'request-headers');
    this.req.headers = map;
    this.req.remoteComplete = endStream;
    this.isGrpc = isGrpcRequest(map);
    this.isHead = map.get(':method') === 'HEAD';
    this.runDecodeHeaders(false, endStream);
  }

  decodeData(data: Uint8Array, endStream: boolean): void {
    if (this.ended) return;
    this.streamInfo.bytesReceived += data.byteLength;
    if (endStream) this.req.remoteComplete = true;
    this.runDecodeData(false, ByteBuffer.wrap(data), endStream);
  }

  decodeTrailers(trailers: HeaderList): void {
    if (this.ended) return;
    this.req.trailers = HeaderMap.from(trailers, 'request-trailers');
    this.req.remoteComplete = true;
    this.runDecodeTrailers(false);
  }

  encodeHeaders(headers: HeaderList, endStream: boolean): void {
    // A local reply owns the response from the moment it starts; the upstream's is dropped.
    if (this.ended || this.resp.headers) return;
    const map = HeaderMap.from(headers, 'response-headers');
    this.streamInfo.responseCodeDetails ??= 'via_upstream';
    this.startResponse(map, endStream);
  }

  encodeData(data: Uint8Array, endStream: boolean): void {
    if (this.ended || this.upstreamIgnored) return;
    if (endStream) this.resp.remoteComplete = true;
    this.runEncodeData(false, ByteBuffer.wrap(data), endStream);
  }

  encodeTrailers(trailers: HeaderList): void {
    if (this.ended || this.upstreamIgnored) return;
    this.resp.trailers = HeaderMap.from(trailers, 'response-trailers');
    this.resp.remoteComplete = true;
    this.runEncodeTrailers(false);
  }

  onReset(reason: string): void {
    if (this.ended) return;
    this.reset = true;
    this.streamInfo.responseCodeDetails ??= reason;
    this.complete();
  }

  complete(): void {
    if (this.ended) return;
    this.ended = true;
    this.streamInfo.completedMonotonicNs = process.hrtime.bigint();
    try {
      this.ctx.log();
      this.ctx.onDestroy();
    } finally {
      this.ctx.vm.unregister(this.ctx);
      this.onEnded();
    }
  }

  // ================= filter-facing: HttpFilterCallbacks =================

  continueDecoding(): void {
    this.commonContinue(this.req);
  }

  continueEncoding(): void {
    this.commonContinue(this.resp);
  }

  sendLocalReply(code: number, body: Uint8Array, headers: HeaderList, grpcStatus: number | undefined, details: string): void {
    if (this.ended) return;
    if (this.calling) this.calling.aborted = true;
    this.streamInfo.responseCodeDetails = details;
    const reply = prepareLocalReply({
      code,
      body,
      additionalHeaders: headers,
      grpcStatus,
      isGrpc: this.isGrpc,
      isHead: this.isHead,
    });
    if (!this.resp.headers) {
      // No response yet: through this filter's response path, like any response.
      this.upstreamIgnored = true;
      this.startResponse(reply.headers, reply.endStreamOnHeaders, true);
      if (!reply.endStreamOnHeaders && !this.ended) this.runEncodeData(false, ByteBuffer.wrap(reply.body), true);
    } else if (!this.resp.sentHeaders) {
      // A response exists but has not gone downstream: Envoy sends the reply directly.
      this.upstreamIgnored = true;
      this.resp.headers = reply.headers;
      this.streamInfo.responseCode = Number(reply.headers.get(':status'));
      this.resp.sentHeaders = true;
      this.resp.buffered = null;
      this.sinkResponseHeaders(reply.headers, reply.endStreamOnHeaders);
      if (!reply.endStreamOnHeaders) this.sinkResponseData(reply.body, true);
    } else {
      this.resetStream(details);
    }
  }

  resetStream(details: string): void {
    if (this.ended || this.reset) return;
    this.reset = true;
    this.streamInfo.responseCodeDetails ??= details;
    this.sink.reset(details);
    // Envoy destroys the stream on reset: the end-of-life callbacks run now.
    this.complete();
  }

  addDecodedData(data: ByteBuffer): void {
    this.bufferData(this.req, data, false);
  }

  addEncodedData(data: ByteBuffer): void {
    this.bufferData(this.resp, data, false);
  }

  decodingBuffer(): ByteBuffer | null {
    return this.req.buffered;
  }

  encodingBuffer(): ByteBuffer | null {
    return this.resp.buffered;
  }

  addDecodedTrailers(): HeaderMap {
    this.req.trailers = HeaderMap.empty('request-trailers');
    return this.req.trailers;
  }

  addEncodedTrailers(): HeaderMap {
    this.resp.trailers = HeaderMap.empty('response-trailers');
    return this.resp.trailers;
  }

  logMaps() {
    return { requestHeaders: this.req.headers, responseHeaders: this.resp.headers, responseTrailers: this.resp.trailers };
  }

  countFailure(open: boolean): void {
    if (open) this.plugin.counters.streamsFailedOpen++;
    else this.plugin.counters.streamsFailedClosed++;
  }

  // ================= request direction =================

  /** FilterManager::decodeHeaders; `fromFilter` = resuming after this filter (doHeaders). */
  private runDecodeHeaders(fromFilter: boolean, endStream: boolean): void {
    const d = this.req;
    if (!fromFilter && !this.filterHeaders(d, endStream)) return;
    if (this.ended) return;
    d.sentHeaders = true;
    if (endStream) d.sentEnd = true;
    this.sink.requestHeaders(d.headers!.toList(), endStream);
  }

  /** FilterManager::decodeData; `fromFilter` = the filter already handled this data. */
  private runDecodeData(fromFilter: boolean, data: ByteBuffer, endStream: boolean): void {
    const d = this.req;
    // Envoy drops request data once the response is complete.
    if (this.localComplete) return;
    const trailersAtStart = d.trailers !== null;
    if (!fromFilter && !this.filterData(d, data, endStream)) return;
    const trailersAdded = !trailersAtStart && d.trailers !== null;
    if (this.ended) return;
    this.sinkRequestData(data.take(), endStream && !trailersAdded);
    if (trailersAdded && !this.ended) this.sinkRequestTrailers(d.trailers!);
  }

  private runDecodeTrailers(fromFilter: boolean): void {
    const d = this.req;
    if (this.localComplete) return;
    if (!fromFilter && !this.filterTrailers(d)) return;
    if (this.ended) return;
    this.sinkRequestTrailers(d.trailers!);
  }

  private sinkRequestData(bytes: Uint8Array, endStream: boolean): void {
    if (endStream) this.req.sentEnd = true;
    this.sink.requestData(bytes, endStream);
    this.maybeResume(this.req);
  }

  private sinkRequestTrailers(trailers: HeaderMap): void {
    this.req.sentEnd = true;
    this.sink.requestTrailers(trailers.toList());
  }

  // ================= response direction =================

  private startResponse(headers: HeaderMap, endStream: boolean, wholeResponse = endStream): void {
    this.resp.headers = headers;
    this.resp.remoteComplete = wholeResponse;
    const status = Number(headers.get(':status'));
    if (Number.isFinite(status)) this.streamInfo.responseCode = status;
    this.runEncodeHeaders(false, endStream);
  }

  private runEncodeHeaders(fromFilter: boolean, endStream: boolean): void {
    const d = this.resp;
    if (!fromFilter && !this.filterHeaders(d, endStream)) return;
    if (this.ended || d.sentHeaders) return;
    if (d.headers!.get(':status') === undefined) {
      // Envoy's checkRequiredResponseHeaders.
      this.sendLocalReply(502, Buffer.from('missing required header: :status'), [], undefined, 'filter_removed_required_response_headers{missing_required_header:_:status}');
      return;
    }
    d.sentHeaders = true;
    this.sinkResponseHeaders(d.headers!, endStream);
  }

  private runEncodeData(fromFilter: boolean, data: ByteBuffer, endStream: boolean): void {
    const d = this.resp;
    if (this.ended) return;
    const trailersAtStart = d.trailers !== null;
    if (!fromFilter && !this.filterData(d, data, endStream)) return;
    const trailersAdded = !trailersAtStart && d.trailers !== null;
    if (this.ended || this.localComplete) return;
    this.sinkResponseData(data.take(), endStream && !trailersAdded);
    if (trailersAdded && !this.ended) this.sinkResponseTrailers(d.trailers!);
  }

  private runEncodeTrailers(fromFilter: boolean): void {
    const d = this.resp;
    if (this.ended) return;
    if (!fromFilter && !this.filterTrailers(d)) return;
    if (this.ended || this.localComplete) return;
    this.sinkResponseTrailers(d.trailers!);
  }

  private sinkResponseHeaders(headers: HeaderMap, endStream: boolean): void {
    if (endStream) this.endEncode();
    this.sink.responseHeaders(headers.toList(), endStream);
    if (endStream) this.complete();
  }

  private sinkResponseData(bytes: Uint8Array, endStream: boolean): void {
    this.streamInfo.bytesSent += bytes.byteLength;
    if (endStream) this.endEncode();
    this.sink.responseData(bytes, endStream);
    if (endStream) this.complete();
    else this.maybeResume(this.resp);
  }

  private sinkResponseTrailers(trailers: HeaderMap): void {
    this.endEncode();
    this.sink.responseTrailers(trailers.toList());
    this.complete();
  }

  /** Envoy's maybeEndEncode: the response is complete; the stream ends after the sink saw it. */
  private endEncode(): void {
    this.resp.sentEnd = true;
    this.localComplete = true;
  }

  // ================= shared iteration logic (ActiveStreamFilterBase) =================

  // The filter's part of a frame, the same in both directions but for the callback called
  // (ActiveStreamDecoderFilter / ActiveStreamEncoderFilter): each returns whether iteration goes
  // on past the filter. `calling` is cleared, not restored, after a callback: a local reply sent
  // from it runs the response path, whose own callbacks clear it too.

  private filterHeaders(d: Direction, endStream: boolean): boolean {
    this.calling = d;
    let status: HeadersStatus;
    try {
      status = d === this.req ? this.ctx.decodeHeaders(d.headers!, endStream) : this.ctx.encodeHeaders(d.headers!, endStream);
    } finally {
      this.calling = null;
    }
    if (d.aborted) status = HeadersStatus.StopIteration;
    d.filterEndStream = endStream;
    return this.afterHeaders(d, status);
  }

  /** Trailers the filter adds in its last body callback wait with stopped data (commonContinue
   * sends both); the caller sees them appear. */
  private filterData(d: Direction, data: ByteBuffer, endStream: boolean): boolean {
    if (d.stoppedAll()) {
      this.bufferData(d, data, d.iteration === 'stop-all-watermark');
      return false;
    }
    if (d.filterEndStream) return false;
    d.filterEndStream = endStream && !d.trailers;
    this.calling = d;
    let status: DataStatus;
    try {
      status = d === this.req ? this.ctx.decodeData(data, d.filterEndStream) : this.ctx.encodeData(data, d.filterEndStream);
    } finally {
      this.calling = null;
    }
    if (d.aborted) status = DataStatus.StopIterationNoBuffer;
    return this.afterData(d, status, data);
  }

  private filterTrailers(d: Direction): boolean {
    if (d.stoppedAll()) return false;
    this.calling = d;
    let status: TrailersStatus;
    try {
      status = d === this.req ? this.ctx.decodeTrailers(d.trailers!) : this.ctx.encodeTrailers(d.trailers!);
    } finally {
      this.calling = null;
    }
    d.filterEndStream = true;
    if (d.aborted) status = TrailersStatus.StopIteration;
    return this.afterTrailers(d, status);
  }

  private afterHeaders(d: Direction, status: HeadersStatus): boolean {
    switch (status) {
      case HeadersStatus.StopIteration:
        d.iteration = 'stop-single';
        break;
      case HeadersStatus.StopAllIterationAndBuffer:
        d.iteration = 'stop-all-buffer';
        break;
      case HeadersStatus.StopAllIterationAndWatermark:
        d.iteration = 'stop-all-watermark';
        break;
      default:
        d.headersContinued = true;
    }
    return !(d.stoppedAll() || status === HeadersStatus.StopIteration);
  }

  private afterData(d: Direction, status: DataStatus, data: ByteBuffer): boolean {
    if (status === DataStatus.Continue) {
      if (d.iteration === 'stop-single') {
        this.bufferData(d, data, d.streaming);
        this.commonContinue(d);
        return false;
      }
      return true;
    }
    d.iteration = 'stop-single';
    if (status === DataStatus.StopIterationAndBuffer || status === DataStatus.StopIterationAndWatermark) {
      this.bufferData(d, data, status === DataStatus.StopIterationAndWatermark);
    } else if (d.remoteComplete && !d.trailers && !d.buffered && !this.ended) {
      // StopIterationNoBuffer on the last frame: keep an empty frame to end the stream later.
      d.buffered = ByteBuffer.empty();
    }
    return false;
  }

  private afterTrailers(d: Direction, status: TrailersStatus): boolean {
    if (status === TrailersStatus.Continue) {
      if (d.iteration === 'stop-single') {
        this.commonContinue(d);
        return false;
      }
      return true;
    }
    if (d.iteration === 'continue') d.iteration = 'stop-single';
    return false;
  }

  /** ActiveStreamFilterBase::commonContinue. */
  private commonContinue(d: Direction): void {
    if (this.ended) return;
    const request = d === this.req;
    // A decoder cannot continue once the response is complete, an encoder once it was sent.
    if (request ? this.localComplete : d.sentEnd) return;
    if (d.stoppedAll()) d.iterateFromCurrent = true;
    d.iteration = 'continue';
    if (!d.headersContinued) {
      d.headersContinued = true;
      const eos = d.remoteComplete && !d.buffered && !d.trailers;
      if (request) this.runDecodeHeaders(true, eos);
      else this.runEncodeHeaders(true, eos);
    }
    const hadTrailers = d.trailers !== null;
    if (d.buffered && !this.ended) {
      const buffered = d.buffered;
      d.buffered = null;
      const eos = d.remoteComplete && !hadTrailers;
      // Resuming a "stop all" starts from this filter: the held body goes through it first.
      const fromFilter = !d.iterateFromCurrent;
      if (request) this.runDecodeData(fromFilter, buffered, eos);
      else this.runEncodeData(fromFilter, buffered, eos);
    }
    if (hadTrailers && !this.ended) {
      const fromFilter = !d.iterateFromCurrent;
      if (request) this.runDecodeTrailers(fromFilter);
      else this.runEncodeTrailers(fromFilter);
    }
    d.iterateFromCurrent = false;
  }

  // ================= buffering and limits =================

  private bufferData(d: Direction, data: ByteBuffer, streaming: boolean): void {
    if (!d.buffered) d.buffered = ByteBuffer.empty();
    if (d.buffered !== data) d.buffered.move(data);
    d.streaming = streaming;
    if (d.buffered.length > this.plugin.bufferLimitBytes) this.overLimit(d);
  }

  private overLimit(d: Direction): void {
    const request = d === this.req;
    if (d.streaming) {
      if (d.paused) return;
      d.paused = true;
      if (request) this.sink.pauseRequestBody?.();
      else this.sink.pauseResponseBody?.();
      return;
    }
    this.plugin.counters.bufferOverflows++;
    d.buffered = null;
    if (request) {
      this.sendLocalReply(413, Buffer.from(CODE_TEXT[413]), [], undefined, 'request_payload_too_large');
    } else {
      this.sendLocalReply(500, Buffer.from(CODE_TEXT[500]), [], undefined, 'response_payload_too_large');
    }
  }

  private maybeResume(d: Direction): void {
    if (!d.paused) return;
    if (d.buffered && d.buffered.length > this.plugin.bufferLimitBytes / 2) return;
    d.paused = false;
    if (d === this.req) this.sink.resumeRequestBody?.();
    else this.sink.resumeResponseBody?.();
  }
}
