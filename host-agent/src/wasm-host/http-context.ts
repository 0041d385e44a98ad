// The Wasm HTTP filter of one stream: Envoy's Context (extensions/common/wasm/context.cc) in its
// HTTP role, over cpp-host's ContextBase callbacks.
//
// It keeps Envoy's pointers to the stream's maps and buffers, which decide what the module can
// reach in each phase: a map or body is held while its callback runs and for as long as the
// filter stays paused on it, and is let go when the callback returns Continue (or when
// continue_stream is called, which drops the request-side pointers whatever the stream type).
// Statuses are converted as cpp-host does: a header StopIteration becomes
// StopAllIterationAndWatermark, anything after proxy_send_local_response becomes a stop.
// When the VM has failed, CHECK_FAIL_HTTP applies: fail open lets the stream through, fail
// closed answers it with a 503 local reply (details wasm_fail_stream) once.

import type { HeaderList } from './api.js';
import type { ByteBuffer } from './buffers.js';
import { EMPTY_WASM_BUFFER, MutableWasmBuffer, type WasmBuffer } from './buffers.js';
import { ContextBase, type RootContext } from './context.js';
import type { HeaderMap } from './header-map.js';
import type { PropertyEnv, StreamInfoState } from './properties.js';
import {
  BufferType,
  DataStatus,
  GrpcStatus,
  HeadersStatus,
  MapType,
  StreamType,
  TrailersStatus,
  WasmResult,
} from './status.js';
import type { WasmVm } from './vm.js';

/** What the filter can ask of its stream (Envoy's decoder/encoder filter callbacks). */
export interface HttpFilterCallbacks {
  readonly streamInfo: StreamInfoState;
  continueDecoding(): void;
  continueEncoding(): void;
  sendLocalReply(code: number, body: Uint8Array, headers: HeaderList, grpcStatus: number | undefined, details: string): void;
  resetStream(details: string): void;
  /** Moves `data` into the buffered request body (Envoy addDecodedData); may trigger a 413. */
  addDecodedData(data: ByteBuffer): void;
  addEncodedData(data: ByteBuffer): void;
  decodingBuffer(): ByteBuffer | null;
  encodingBuffer(): ByteBuffer | null;
  addDecodedTrailers(): HeaderMap;
  addEncodedTrailers(): HeaderMap;
  /** The stream's request headers and response headers/trailers (for proxy_on_log). */
  logMaps(): { requestHeaders: HeaderMap | null; responseHeaders: HeaderMap | null; responseTrailers: HeaderMap | null };
  /** Counts a stream that met a failed VM (once). */
  countFailure(open: boolean): void;
}

const FAIL_STREAM_DETAILS = 'wasm_fail_stream';
const CLOSE_STREAM_DETAILS = 'wasm_close_stream';

export class HttpContext extends ContextBase {
  requestHeaders: HeaderMap | null = null;
  requestBody: ByteBuffer | null = null;
  requestTrailers: HeaderMap | null = null;
  responseHeaders: HeaderMap | null = null;
  responseBody: ByteBuffer | null = null;
  responseTrailers: HeaderMap | null = null;
  endOfStream = false;
  bufferingRequestBody = false;
  bufferingResponseBody = false;
  destroyed = false;
  failureLocalReplySent = false;
  private streamFailed = false;
  private logRequestHeaders: HeaderMap | null = null;
  private logResponseHeaders: HeaderMap | null = null;
  private logResponseTrailers: HeaderMap | null = null;

  constructor(
    vm: WasmVm,
    id: number,
    private readonly rootContext: RootContext,
    private readonly cb: HttpFilterCallbacks,
  ) {
    super(vm, id);
  }

  get root(): RootContext {
    return this.rootContext;
  }

  // --- CHECK_FAIL_HTTP ---

  /** Returns the status to use when the VM has failed, or undefined when it has not. */
  private checkFail<T>(open: T, closed: T): T | undefined {
    if (!this.vm.failed) return undefined;
    if (this.rootContext.pluginConfig?.failurePolicy === 'open') {
      if (!this.streamFailed) {
        this.streamFailed = true;
        this.cb.countFailure(true);
      }
      return open;
    }
    if (!this.streamFailed) {
      this.streamFailed = true;
      this.cb.countFailure(false);
      this.failStream();
    }
    return closed;
  }

  private failStream(): void {
    if (this.failureLocalReplySent) return;
    // Set before sending so that the reply, passing back through this filter, skips the VM.
    this.failureLocalReplySent = true;
    this.cb.sendLocalReply(503, new Uint8Array(0), [], GrpcStatus.Unavailable, FAIL_STREAM_DETAILS);
  }

  private convertHeaders(r: number): HeadersStatus {
    if (this.vm.stopIteration || r > HeadersStatus.StopAllIterationAndWatermark) return HeadersStatus.StopAllIterationAndWatermark;
    // Proxy-Wasm 0.2.x: StopIteration means "stop everything" (cpp-host issue #143).
    if (r === HeadersStatus.StopIteration) return HeadersStatus.StopAllIterationAndWatermark;
    // ContinueAndEndStream has no Envoy equivalent and is treated as Continue.
    if (r === HeadersStatus.ContinueAndEndStream) return HeadersStatus.Continue;
    return r;
  }

  private convertData(r: number): DataStatus {
    if (this.vm.stopIteration || r > DataStatus.StopIterationNoBuffer) return DataStatus.StopIterationNoBuffer;
    return r;
  }

  private convertTrailers(r: number): TrailersStatus {
    if (this.vm.stopIteration || r > TrailersStatus.StopIteration) return TrailersStatus.StopIteration;
    return r;
  }

  private headersCallback(name: string, fn: ((...a: number[]) => number | undefined) | undefined, size: number, eos: boolean): HeadersStatus {
    const failed = this.checkFail(HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
    if (failed !== undefined) return failed;
    if (!fn) return HeadersStatus.Continue;
    return this.vm.deferAfter(() => {
      const r = this.vm.call(this, name, fn, this.id, size, eos ? 1 : 0);
      const after = this.checkFail(HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
      if (after !== undefined) return after;
      return this.convertHeaders(r ?? 0);
    });
  }

  private dataCallback(name: string, fn: ((...a: number[]) => number | undefined) | undefined, size: number, eos: boolean): DataStatus {
    const failed = this.checkFail(DataStatus.Continue, DataStatus.StopIterationNoBuffer);
    if (failed !== undefined) return failed;
    if (!fn) return DataStatus.Continue;
    return this.vm.deferAfter(() => {
      const r = this.vm.call(this, name, fn, this.id, size, eos ? 1 : 0);
      const after = this.checkFail(DataStatus.Continue, DataStatus.StopIterationNoBuffer);
      if (after !== undefined) return after;
      return this.convertData(r ?? 0);
    });
  }

  private trailersCallback(name: string, fn: ((...a: number[]) => number | undefined) | undefined, size: number): TrailersStatus {
    const failed = this.checkFail(TrailersStatus.Continue, TrailersStatus.StopIteration);
    if (failed !== undefined) return failed;
    if (!fn) return TrailersStatus.Continue;
    return this.vm.deferAfter(() => {
      const r = this.vm.call(this, name, fn, this.id, size);
      const after = this.checkFail(TrailersStatus.Continue, TrailersStatus.StopIteration);
      if (after !== undefined) return after;
      return this.convertTrailers(r ?? 0);
    });
  }

  // --- the filter, as the filter manager drives it ---

  decodeHeaders(headers: HeaderMap, endStream: boolean): HeadersStatus {
    this.onCreate(this.rootContext.id);
    this.requestHeaders = headers;
    this.endOfStream = endStream;
    const r = this.headersCallback('proxy_on_request_headers', this.vm.fns.on_request_headers, headers.size, endStream);
    if (r === HeadersStatus.Continue) this.requestHeaders = null;
    return r;
  }

  decodeData(data: ByteBuffer, endStream: boolean): DataStatus {
    if (!this.inVmContextCreated) return DataStatus.Continue;
    if (this.bufferingRequestBody) {
      // The new chunk joins the buffered body first, so the module sees all of it.
      this.cb.addDecodedData(data);
      if (this.destroyed) return DataStatus.StopIterationAndBuffer;
    }
    this.requestBody = data;
    this.endOfStream = endStream;
    const size = this.getBuffer(BufferType.HttpRequestBody)?.size() ?? 0;
    const r = this.dataCallback('proxy_on_request_body', this.vm.fns.on_request_body, size, endStream);
    this.bufferingRequestBody = false;
    if (r === DataStatus.Continue) this.requestBody = null;
    else if (r === DataStatus.StopIterationAndBuffer) this.bufferingRequestBody = true;
    return r;
  }

  decodeTrailers(trailers: HeaderMap): TrailersStatus {
    if (!this.inVmContextCreated) return TrailersStatus.Continue;
    this.requestTrailers = trailers;
    const r = this.trailersCallback('proxy_on_request_trailers', this.vm.fns.on_request_trailers, trailers.size);
    if (r === TrailersStatus.Continue) this.requestTrailers = null;
    return r;
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): HeadersStatus {
    if (!this.inVmContextCreated || this.failureLocalReplySent) return HeadersStatus.Continue;
    this.responseHeaders = headers;
    this.endOfStream = endStream;
    const r = this.headersCallback('proxy_on_response_headers', this.vm.fns.on_response_headers, headers.size, endStream);
    if (r === HeadersStatus.Continue) this.responseHeaders = null;
    return r;
  }

  encodeData(data: ByteBuffer, endStream: boolean): DataStatus {
    if (!this.inVmContextCreated || this.failureLocalReplySent) return DataStatus.Continue;
    if (this.bufferingResponseBody) {
      this.cb.addEncodedData(data);
      if (this.destroyed) return DataStatus.StopIterationAndBuffer;
    }
    this.responseBody = data;
    this.endOfStream = endStream;
    const size = this.getBuffer(BufferType.HttpResponseBody)?.size() ?? 0;
    const r = this.dataCallback('proxy_on_response_body', this.vm.fns.on_response_body, size, endStream);
    this.bufferingResponseBody = false;
    if (r === DataStatus.Continue) this.responseBody = null;
    else if (r === DataStatus.StopIterationAndBuffer) this.bufferingResponseBody = true;
    return r;
  }

  encodeTrailers(trailers: HeaderMap): TrailersStatus {
    if (!this.inVmContextCreated || this.failureLocalReplySent) return TrailersStatus.Continue;
    this.responseTrailers = trailers;
    const r = this.trailersCallback('proxy_on_response_trailers', this.vm.fns.on_response_trailers, trailers.size);
    if (r === TrailersStatus.Continue) this.responseTrailers = null;
    return r;
  }

  /** Envoy's Context::log: proxy_on_log with the access-log view of the maps. */
  log(): void {
    if (!this.inVmContextCreated) this.onCreate(this.rootContext.id);
    const maps = this.cb.logMaps();
    this.accessLogPhase = true;
    this.logRequestHeaders = maps.requestHeaders;
    this.logResponseHeaders = maps.responseHeaders;
    this.logResponseTrailers = maps.responseTrailers;
    try {
      this.onLog();
    } finally {
      this.accessLogPhase = false;
      this.logRequestHeaders = this.logResponseHeaders = this.logResponseTrailers = null;
    }
  }

  /** Envoy's Context::onDestroy: proxy_on_done (its answer is ignored for streams), proxy_on_delete. */
  onDestroy(): void {
    if (this.destroyed || !this.inVmContextCreated) return;
    this.destroyed = true;
    this.onDone();
    this.onDelete();
  }

  // --- what the module reaches ---

  override getMap(type: MapType): HeaderMap | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.requestHeaders;
      case MapType.RequestTrailers:
        // Trailers can be added from the last body callback of a request without trailers.
        if (!this.requestTrailers && this.requestBody && this.endOfStream) this.requestTrailers = this.cb.addDecodedTrailers();
        return this.requestTrailers;
      case MapType.ResponseHeaders:
        return this.responseHeaders;
      case MapType.ResponseTrailers:
        if (!this.responseTrailers && this.responseBody && this.endOfStream) this.responseTrailers = this.cb.addEncodedTrailers();
        return this.responseTrailers;
      default:
        return null;
    }
  }

  override getConstMap(type: MapType): HeaderMap | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.accessLogPhase ? this.logRequestHeaders : this.requestHeaders;
      case MapType.RequestTrailers:
        return this.accessLogPhase ? null : this.requestTrailers;
      case MapType.ResponseHeaders:
        return this.accessLogPhase ? this.logResponseHeaders : this.responseHeaders;
      case MapType.ResponseTrailers:
        return this.accessLogPhase ? this.logResponseTrailers : this.responseTrailers;
      default:
        return super.getConstMap(type);
    }
  }

  override getBuffer(type: BufferType): WasmBuffer | null {
    switch (type) {
      case BufferType.HttpRequestBody: {
        const b = this.bufferingRequestBody ? this.cb.decodingBuffer() : this.requestBody;
        return b ? new MutableWasmBuffer(b) : EMPTY_WASM_BUFFER;
      }
      case BufferType.HttpResponseBody: {
        const b = this.bufferingResponseBody ? this.cb.encodingBuffer() : this.responseBody;
        return b ? new MutableWasmBuffer(b) : EMPTY_WASM_BUFFER;
      }
      default:
        return super.getBuffer(type);
    }
  }

  override streamInfo(): StreamInfoState {
    return this.cb.streamInfo;
  }

  override propertyEnv(): PropertyEnv {
    const env = super.propertyEnv();
    env.requestHeaders = this.requestHeaders ?? this.logRequestHeaders;
    env.responseHeaders = this.responseHeaders ?? this.logResponseHeaders;
    env.responseTrailers = this.responseTrailers ?? this.logResponseTrailers;
    return env;
  }

  override continueStream(type: StreamType): WasmResult {
    switch (type) {
      case StreamType.Request:
        this.vm.addAfterVmCallAction(() => this.cb.continueDecoding());
        break;
      case StreamType.Response:
        this.vm.addAfterVmCallAction(() => this.cb.continueEncoding());
        break;
      case StreamType.Downstream:
        return WasmResult.Ok;
      case StreamType.Upstream:
        return WasmResult.Unimplemented;
      default:
        return WasmResult.BadArgument;
    }
    // Envoy drops its request-side pointers here, for either direction.
    this.requestHeaders = null;
    this.requestBody = null;
    this.requestTrailers = null;
    return WasmResult.Ok;
  }

  override closeStream(type: StreamType): WasmResult {
    if (type === StreamType.Request || type === StreamType.Response) {
      const info = this.cb.streamInfo;
      info.responseCodeDetails ??= CLOSE_STREAM_DETAILS;
      this.vm.addAfterVmCallAction(() => this.cb.resetStream(CLOSE_STREAM_DETAILS));
    }
    return WasmResult.Ok;
  }

  override sendLocalResponse(code: number, body: Uint8Array, headers: HeaderList, grpcStatus: number, details: string): WasmResult {
    // Envoy replaces whitespace in details with '_' and ignores an out-of-range gRPC status.
    const d = details.replace(/\s/g, '_');
    const g = grpcStatus >= 0 && grpcStatus <= GrpcStatus.Unauthenticated ? grpcStatus : undefined;
    this.vm.addAfterVmCallAction(() => this.cb.sendLocalReply(code, body, headers, g, d));
    return WasmResult.Ok;
  }
}
