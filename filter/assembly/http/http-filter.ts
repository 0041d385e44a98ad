// The per-stream HTTP filter. It holds the configuration in force when the stream started (a
// reference, never re-parsed) and two small states, one per direction. On request headers it
// evaluates the ingress rules and applies the mode:
//   discover  allow; emit http.flow (info, allow) for every request, with the matched rule
//   monitor   allow; emit http.policy (medium, alert) when no rule matched
// These two wait for the response headers (or the end of the stream) so that they carry the
// response status (`http.status`). Allowed requests (a rule matched; in discover, every request)
// are also counted in the root's flow table (events/flow-table.ts) when reporting.flows is on.
//   protect   when no rule matched: emit http.policy (medium, block) and reply 403 with
//             {"error":"blocked","event":"<id>"} (gRPC: grpc-status 7, PERMISSION_DENIED)
// Then the detection engine (waf): the request head is inspected at once; a request body is
// inspected as it streams (inspect/body.ts), holding upstream only the part not yet judged. An
// attack emits http.attack; in protect mode with waf.action block it is answered with the 403
// above, else it passes (alert). Responses (dlp): the body is scanned as it streams; with
// blocking, content-length is dropped from the response headers (so the body can be replaced)
// and up to the hold window (limits.maxBodyBytes, at most 256 KiB) is held: a leak found there
// replaces the whole body with the 403 JSON (the status already went downstream with the
// headers, a proxy-wasm filter cannot hold headers while reading the body); a leak found after
// data was released closes the stream instead of passing it.
import {
  FilterDataStatusValues,
  FilterHeadersStatusValues,
  FilterTrailersStatusValues,
} from "../abi/status";
import {
  BufferType, MapType, StreamKind, closeStream, getBufferBytes, getHeaderPairs, getHeaderValue,
  removeHeader, sendLocalResponse, setBufferBytes, valueSize,
} from "../abi/host";
import { HeaderPairs } from "../abi/header-pairs";
import { ByteBuffer, copyBytes, utf8 } from "../bytes";
import { FilterConfig, Mode } from "../config/filter-config";
import { CONTEXT_BODY, CONTEXT_HEADER, CONTEXT_URL, DetectAction } from "../config/waf-config";
import { Action, EventBuilder, EventKind } from "../events/event";
import { nowMillis } from "../events/clock";
import { Metric, count } from "../metrics";
import { IngressRule, firstMatch } from "../policy/ingress";
import { PluginRoot } from "../plugin-root";
import { Findings } from "../score";
import { scan } from "../inspect/scan";
import { inspectHead } from "../inspect/request";
import { BodyInspector, BodyKind, bodyKind } from "../inspect/body";
import { Leak, scanBuiltins, scanCustom } from "../dlp/scanner";
import { findNoCase } from "../inspect/text";
import { RequestFacts } from "./request-facts";
import { FlowEntry, statusClass } from "../events/flow-table";
import { openHttpFlow } from "./http-flow";

export const enum StreamState {
  /** Request headers not seen yet. */
  Waiting = 0,
  /** Let through (allowed, or a violation in monitor/discover mode). */
  Passed = 1,
  /** Let through so far; the request body is being inspected. */
  Inspecting = 2,
  /** Answered with a local 403; the rest of the request goes nowhere. */
  Blocked = 3,
}

export const enum ResponseState {
  /** Not scanned (DLP off, binary, compressed, or done). */
  Off = 0,
  /** The response body is being scanned. */
  Scanning = 1,
  /** A leak replaced the body: later chunks are emptied. */
  Replaced = 2,
}

// Shared by every stream: callbacks never overlap inside one VM.
const facts = new RequestFacts();
const builder = new EventBuilder();
const replyBody = new ByteBuffer(128);
const headFindings = new Findings();
const leak = new Leak();
const dlpText = new ByteBuffer(1024);
const DETAILS = utf8("meshward_policy_denied");
const DETAILS_WAF = utf8("meshward_attack_blocked");
const REPLY_HEADERS = replyHeaders();
const GRPC_PERMISSION_DENIED: u32 = 7;
const NO_GRPC_STATUS: u32 = u32.MAX_VALUE; // -1: not a gRPC reply
const H_CONTENT_LENGTH = utf8("content-length");
const H_CONTENT_TYPE = utf8("content-type");
const H_CONTENT_ENCODING = utf8("content-encoding");
const H_ACCEPT_ENCODING = utf8("accept-encoding");
const H_STATUS = utf8(":status");
const patched = new ByteBuffer(2048);
const HOLD_CAP: usize = 256 * 1024;
const CARRY: usize = 128;

const REASON_NONE = "no ingress rule matched";
const REASON_RULE = "ingress rule matched";
const REASON_ATTACK = "attack detected";
const REASON_LEAK = "sensitive data detected";

// Body inspectors are pooled: a request with a body takes one and gives it back at its end.
const pool = new Array<BodyInspector>();
function takeInspector(): BodyInspector {
  return pool.length > 0 ? pool.pop() : new BodyInspector();
}
function giveInspector(b: BodyInspector): void {
  b.release();
  if (pool.length < 64) pool.push(b);
}

function replyHeaders(): ArrayBuffer {
  const pairs = new HeaderPairs();
  pairs.add(utf8("content-type"), utf8("application/json"));
  const out = new ByteBuffer(64);
  pairs.serialize(out);
  return out.toArrayBuffer();
}

/** What later events of a stream need from its request head (the host drops the map). */
class SavedRequest {
  method: ArrayBuffer = new ArrayBuffer(0);
  path: ArrayBuffer = new ArrayBuffer(0);
  authority: ArrayBuffer = new ArrayBuffer(0);
  grpc: bool = false;
}

export class HttpFilter {
  state: StreamState = StreamState.Waiting;
  response: ResponseState = ResponseState.Off;
  private body: BodyInspector | null = null;
  private saved: SavedRequest | null = null;
  /** Request bytes held by the host at our request (StopIterationAndBuffer). */
  private held: usize = 0;
  private respHeld: usize = 0;
  private respReleased: usize = 0;
  private respSeen: usize = 0;
  private carry: ByteBuffer | null = null;
  /** The allowed flow this request counts in (reporting.flows). */
  private flow: FlowEntry | null = null;
  /** An event waiting for the response status, and where the status goes in it. */
  private deferred: ArrayBuffer | null = null;
  private deferredStatusAt: usize = 0;
  /** The response `:status` (0 until the response headers are seen). */
  private status: u32 = 0;
  private requestBytes: u64 = 0;
  private responseBytes: u64 = 0;

  constructor(
    readonly contextId: u32,
    readonly root: PluginRoot,
    readonly config: FilterConfig | null,
  ) {}

  onRequestHeaders(_headers: u32, endOfStream: bool): FilterHeadersStatusValues {
    if (this.state != StreamState.Waiting) return FilterHeadersStatusValues.Continue;
    count(Metric.Requests);
    const config = this.config;
    if (config === null) {
      // No configuration was ever accepted for this plugin: nothing to enforce.
      this.state = StreamState.Passed;
      count(Metric.Allowed);
      return FilterHeadersStatusValues.Continue;
    }
    facts.reset();
    facts.loadRequestHeaders();
    const index = firstMatch(config.ingress, facts);
    const rule: IngressRule | null = index >= 0 ? unchecked(config.ingress[index]) : null;
    const mode = config.mode;
    if (mode == Mode.Discover) {
      this.defer(config, EventKind.HttpFlow, Action.Allow, rule, rule !== null ? REASON_RULE : REASON_NONE);
      this.pass();
      this.openFlow(config, rule);
    } else if (rule !== null) {
      this.pass();
      this.openFlow(config, rule);
    } else if (mode == Mode.Monitor) {
      count(Metric.Violations);
      this.defer(config, EventKind.HttpPolicy, Action.Alert, null, REASON_NONE);
      this.pass();
    } else {
      count(Metric.Violations);
      this.emit(config, EventKind.HttpPolicy, Action.Block, null, REASON_NONE);
      this.block(facts.isGrpc, false);
      facts.reset();
      return FilterHeadersStatusValues.StopIteration;
    }
    const status = this.detect(config, endOfStream);
    facts.reset();
    return status;
  }

  /** The detection engine on the request head; sets up body inspection and response DLP. */
  private detect(config: FilterConfig, endOfStream: bool): FilterHeadersStatusValues {
    const waf = config.waf;
    const dlp = config.dlp;
    if (waf.action != DetectAction.Off) {
      headFindings.reset();
      scan.newRequest();
      scan.begin(waf, headFindings);
      const ex = waf.exclusions;
      if (ex.length > 0) {
        const segs = facts.segments();
        let mask: u32 = 0;
        for (let i = 0; i < ex.length && i < 32; i++) {
          if (unchecked(ex[i]).appliesToPath(segs)) mask |= <u32>1 << <u32>i;
        }
        scan.exclusionMask = mask;
      }
      inspectHead(facts);
      if (headFindings.total >= waf.threshold) {
        if (this.attack(config, headFindings)) return FilterHeadersStatusValues.StopIteration;
      } else if (!endOfStream && config.limits.maxBodyBytes > 0 && !facts.isGrpc) {
        const ct = facts.contentType;
        const kind = ct.present ? bodyKind(ct.ptr, ct.len) : BodyKind.Text;
        const b = takeInspector();
        b.start(kind, ct.ptr, ct.len, <usize>config.limits.maxBodyBytes);
        b.findings.merge(headFindings);
        b.inspectedBytes = scan.inspected;
        b.params = scan.params;
        b.exclusionMask = scan.exclusionMask;
        this.body = b;
        this.state = StreamState.Inspecting;
        this.save();
      }
    }
    if (dlp.action != DetectAction.Off) {
      // Custom sensors on the URL and headers (egress: data leaving in requests).
      if (dlp.custom.length > 0 && this.dlpHead(config)) return FilterHeadersStatusValues.StopIteration;
      this.save();
      this.response = ResponseState.Scanning;
      if (this.dlpBlocks(config)) {
        // Uncompressed responses can be scanned (and replaced).
        removeHeader(MapType.RequestHeaders, H_ACCEPT_ENCODING);
      }
    }
    return FilterHeadersStatusValues.Continue;
  }

  onRequestBody(length: usize, endOfStream: bool): FilterDataStatusValues {
    if (this.state == StreamState.Blocked) return FilterDataStatusValues.StopIterationNoBuffer;
    // New bytes: what the host offers again after a StopIterationAndBuffer is not counted twice.
    if (this.flow !== null) this.requestBytes += <u64>(this.held <= length ? length - this.held : length);
    if (this.state != StreamState.Inspecting) {
      // Egress DLP without body inspection: each chunk as it passes.
      const config = this.config;
      if (config !== null && config.dlp.requests && config.dlp.action != DetectAction.Off && length > 0 && this.state == StreamState.Passed) {
        const buf = getBufferBytes(BufferType.HttpRequestBody, 0, <u32>length);
        if (buf !== null && this.dlpBody(config, changetype<usize>(buf), valueSize, true)) return FilterDataStatusValues.StopIterationNoBuffer;
      }
      return FilterDataStatusValues.Continue;
    }
    const config = this.config!;
    const b = this.body!;
    let start = this.held;
    if (start > length) start = 0;
    const n = length - start;
    let buf: ArrayBuffer | null = null;
    if (n > 0) buf = getBufferBytes(BufferType.HttpRequestBody, <u32>start, <u32>n);
    const p = buf !== null ? changetype<usize>(buf) : 0;
    const got = buf !== null ? valueSize : 0;
    this.feed(config, b, p, got, endOfStream);
    if (this.state == StreamState.Blocked) return FilterDataStatusValues.StopIterationNoBuffer;
    if (this.dlpBody(config, p, got, true)) return FilterDataStatusValues.StopIterationNoBuffer;
    if (endOfStream || b.done || this.state != StreamState.Inspecting) {
      this.finishBody();
      this.held = 0;
      return FilterDataStatusValues.Continue;
    }
    if (!b.idle && length < HOLD_CAP) {
      this.held = length;
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    this.held = 0;
    return FilterDataStatusValues.Continue;
  }

  onRequestTrailers(_trailers: u32): FilterTrailersStatusValues {
    if (this.state == StreamState.Blocked) return FilterTrailersStatusValues.StopIteration;
    if (this.state == StreamState.Inspecting) {
      this.feed(this.config!, this.body!, 0, 0, true);
      if (this.state == StreamState.Blocked) return FilterTrailersStatusValues.StopIteration;
      this.finishBody();
    }
    return FilterTrailersStatusValues.Continue;
  }

  private feed(config: FilterConfig, b: BodyInspector, p: usize, len: usize, last: bool): void {
    const waf = config.waf;
    scan.begin(waf, b.findings);
    scan.restore(b.inspectedBytes, b.params, b.exclusionMask);
    b.feed(p, len, last);
    b.inspectedBytes = scan.inspected;
    b.params = scan.params;
    if (b.findings.total >= waf.threshold && !b.findings.reported) {
      b.findings.reported = true;
      this.restoreFacts();
      this.attack(config, b.findings);
      facts.reset();
      if (this.state != StreamState.Blocked) this.finishBody();
    }
  }

  private finishBody(): void {
    const b = this.body;
    if (b !== null) {
      giveInspector(b);
      this.body = null;
    }
    if (this.state == StreamState.Inspecting) this.state = StreamState.Passed;
  }

  // ---- responses ----

  onResponseHeaders(_headers: u32, endOfStream: bool): FilterHeadersStatusValues {
    if (this.flow !== null || this.deferred !== null) {
      const v = getHeaderValue(MapType.ResponseHeaders, H_STATUS);
      if (v !== null) this.status = parseStatus(changetype<usize>(v), valueSize);
      this.emitDeferred();
    }
    if (this.response != ResponseState.Scanning) return FilterHeadersStatusValues.Continue;
    if (this.state == StreamState.Blocked || endOfStream) {
      this.response = ResponseState.Off;
      return FilterHeadersStatusValues.Continue;
    }
    const enc = getHeaderValue(MapType.ResponseHeaders, H_CONTENT_ENCODING);
    if (enc !== null && valueSize > 0 && findNoCase(changetype<usize>(enc), valueSize, "identity", 0) < 0) {
      this.response = ResponseState.Off;
      return FilterHeadersStatusValues.Continue;
    }
    const ct = getHeaderValue(MapType.ResponseHeaders, H_CONTENT_TYPE);
    if (ct !== null && valueSize > 0 && bodyKind(changetype<usize>(ct), valueSize) == BodyKind.Binary) {
      this.response = ResponseState.Off;
      return FilterHeadersStatusValues.Continue;
    }
    if (this.dlpBlocks(this.config!)) removeHeader(MapType.ResponseHeaders, H_CONTENT_LENGTH);
    this.respHeld = 0;
    this.respReleased = 0;
    this.respSeen = 0;
    let c = this.carry;
    if (c === null) {
      c = new ByteBuffer(<i32>(CARRY * 2));
      this.carry = c;
    }
    c.reset();
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(length: usize, endOfStream: bool): FilterDataStatusValues {
    const rs = this.response;
    if (this.flow !== null) {
      const again = rs == ResponseState.Scanning ? this.respHeld : 0;
      this.responseBytes += <u64>(again <= length ? length - again : length);
    }
    if (rs == ResponseState.Replaced) {
      if (length > 0) setBufferBytes(BufferType.HttpResponseBody, 0, <u32>length, 0, 0);
      return FilterDataStatusValues.Continue;
    }
    if (rs != ResponseState.Scanning) return FilterDataStatusValues.Continue;
    const config = this.config!;
    const blocking = this.dlpBlocks(config);
    let start = this.respHeld;
    if (start > length) start = 0;
    let n = length - start;
    const window = <usize>config.limits.maxBodyBytes;
    let last = false;
    if (this.respSeen + n >= window) {
      n = window > this.respSeen ? window - this.respSeen : 0;
      count(Metric.ResponseBodyTruncated);
      last = true;
    }
    this.respSeen += n;
    let found = false;
    if (n > 0) {
      const buf = getBufferBytes(BufferType.HttpResponseBody, <u32>start, <u32>n);
      if (buf !== null) {
        const c = this.carry!;
        dlpText.reset();
        dlpText.bytes(c.ptr, c.len);
        dlpText.bytes(changetype<usize>(buf), valueSize);
        found = this.scanDlp(config, dlpText.ptr, dlpText.len, CONTEXT_BODY, "response.body");
        c.reset();
        const keep = dlpText.len < CARRY ? dlpText.len : CARRY;
        c.bytes(dlpText.ptr + dlpText.len - keep, keep);
        dlpText.shrink(65536);
      }
    }
    if (found) {
      this.reportLeak(config, blocking);
      if (!blocking) {
        this.response = ResponseState.Off;
        return FilterDataStatusValues.Continue;
      }
      if (this.respReleased == 0) {
        // Nothing went downstream yet: the body becomes the block reply.
        count(Metric.DlpBlocked);
        this.writeReply();
        setBufferBytes(BufferType.HttpResponseBody, 0, <u32>length, replyBody.ptr, replyBody.len);
        this.response = endOfStream ? ResponseState.Off : ResponseState.Replaced;
        return FilterDataStatusValues.Continue;
      }
      count(Metric.DlpStreamsClosed);
      closeStream(StreamKind.Response);
      this.response = ResponseState.Off;
      return FilterDataStatusValues.StopIterationNoBuffer;
    }
    if (last || endOfStream) {
      this.response = ResponseState.Off;
      this.respReleased += length;
      this.respHeld = 0;
      return FilterDataStatusValues.Continue;
    }
    if (blocking && this.respReleased == 0 && length < (window < HOLD_CAP ? window : HOLD_CAP)) {
      this.respHeld = length;
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    this.respReleased += length;
    this.respHeld = 0;
    return FilterDataStatusValues.Continue;
  }

  onResponseTrailers(_trailers: u32): FilterTrailersStatusValues {
    return FilterTrailersStatusValues.Continue;
  }

  /** End of the stream: what waited for the response is reported, pooled state given back. */
  release(): void {
    this.emitDeferred();
    const flow = this.flow;
    if (flow !== null) {
      this.flow = null;
      flow.pending--;
      if (this.state != StreamState.Blocked) {
        this.root.flows.add(flow, statusClass(this.status), nowMillis(), this.requestBytes, this.responseBytes);
      }
    }
    if (this.body !== null) this.finishBody();
    this.saved = null;
    this.carry = null;
  }

  // ---- DLP helpers ----

  private dlpBlocks(config: FilterConfig): bool {
    return config.mode == Mode.Protect && config.dlp.action == DetectAction.Block;
  }

  /** Built-in and custom sensors over [p, p+len); fills `leak`. */
  private scanDlp(config: FilterConfig, p: usize, len: usize, context: u32, where: string): bool {
    leak.reset();
    const dlp = config.dlp;
    const hit = (context == CONTEXT_BODY && scanBuiltins(dlp, p, len, leak)) || scanCustom(dlp, context, p, len, leak);
    if (hit) leak.location.ascii(where);
    return hit;
  }

  private reportLeak(config: FilterConfig, blocking: bool): void {
    count(Metric.DlpLeaks);
    this.restoreFacts();
    builder.build(config, facts, EventKind.DlpLeak, blocking ? Action.Block : Action.Alert, null, REASON_LEAK,
      this.root.pod, nowMillis(), null, leak, config.waf.threshold);
    const out = builder.writer.out;
    this.root.batcher.emit(out.ptr, out.len, this.contextId);
    out.shrink(65536);
    facts.reset();
  }

  /** Custom sensors over the URL and header values of a request (egress). */
  private dlpHead(config: FilterConfig): bool {
    let found = false;
    const full = facts.fullPath;
    if (full.present && this.scanDlp(config, full.ptr, full.len, CONTEXT_URL, "url")) found = true;
    if (!found) {
      const pairs = facts.headerPairs;
      if (pairs !== null && pairs.byteLength >= 4) {
        const base = changetype<usize>(pairs);
        const size = <usize>pairs.byteLength;
        const n = <usize>load<u32>(base);
        if (<u64>n * 10 <= <u64>(size - 4)) {
          let data: usize = 4 + n * 8;
          for (let i: usize = 0; i < n && !found; i++) {
            const kl = <usize>load<u32>(base + 4 + i * 8);
            const vl = <usize>load<u32>(base + 8 + i * 8);
            if (<u64>data + <u64>kl + <u64>vl + 2 > <u64>size) break;
            const k = base + data;
            data += kl + vl + 2;
            if (kl > 0 && load<u8>(k) == 0x3a) continue;
            if (this.scanDlp(config, k + kl + 1, vl, CONTEXT_HEADER, "header")) {
              leak.location.byte(0x2e);
              leak.location.bytes(k, kl);
              found = true;
            }
          }
        }
      }
    }
    if (!found) return false;
    const blocking = this.dlpBlocks(config);
    count(Metric.DlpLeaks);
    builder.build(config, facts, EventKind.DlpLeak, blocking ? Action.Block : Action.Alert, null, REASON_LEAK,
      this.root.pod, nowMillis(), null, leak, config.waf.threshold);
    const out = builder.writer.out;
    this.root.batcher.emit(out.ptr, out.len, this.contextId);
    out.shrink(65536);
    if (!blocking) return false;
    count(Metric.DlpBlocked);
    this.block(facts.isGrpc, true);
    return true;
  }

  /** Request bodies leaving the workload (dlp.requests): sensors over each chunk. */
  private dlpBody(config: FilterConfig, p: usize, len: usize, request: bool): bool {
    const dlp = config.dlp;
    if (dlp.action == DetectAction.Off || !dlp.requests || len == 0) return false;
    if (!this.scanDlp(config, p, len, CONTEXT_BODY, request ? "request.body" : "response.body")) return false;
    const blocking = this.dlpBlocks(config);
    this.reportLeak(config, blocking);
    if (!blocking) return false;
    count(Metric.DlpBlocked);
    this.block(this.saved !== null && this.saved!.grpc, true);
    return true;
  }

  // ---- shared ----

  /** Copy what later events need from the request head (once). */
  private save(): void {
    if (this.saved !== null) return;
    const s = new SavedRequest();
    s.method = copyBytes(facts.method.ptr, facts.method.len);
    s.path = copyBytes(facts.path.ptr, facts.path.len);
    s.authority = copyBytes(facts.authority.ptr, facts.authority.len);
    s.grpc = facts.isGrpc;
    this.saved = s;
  }

  private restoreFacts(): void {
    const s = this.saved;
    facts.reset();
    if (s === null) return;
    facts.method.set(changetype<usize>(s.method), <usize>s.method.byteLength, s.method);
    facts.path.set(changetype<usize>(s.path), <usize>s.path.byteLength, s.path);
    facts.authority.set(changetype<usize>(s.authority), <usize>s.authority.byteLength, s.authority);
    facts.isGrpc = s.grpc;
  }

  /** An attack: report it, and block when the mode and the policy say so. True when blocked. */
  private attack(config: FilterConfig, findings: Findings): bool {
    count(Metric.Attacks);
    findings.reported = true;
    const blocking = config.mode == Mode.Protect && config.waf.action == DetectAction.Block;
    builder.build(config, facts, EventKind.HttpAttack, blocking ? Action.Block : Action.Alert, null, REASON_ATTACK,
      this.root.pod, nowMillis(), findings, null, config.waf.threshold);
    const out = builder.writer.out;
    this.root.batcher.emit(out.ptr, out.len, this.contextId);
    out.shrink(65536);
    if (!blocking) return false;
    count(Metric.AttacksBlocked);
    if (this.state == StreamState.Passed || this.state == StreamState.Inspecting) {
      // count(Metric.Allowed) already happened for the ingress decision; it is not undone.
    }
    this.block(facts.isGrpc, true);
    return true;
  }

  /** Count this allowed request in the root's flow table (its status class comes at the end). */
  private openFlow(config: FilterConfig, rule: IngressRule | null): void {
    const table = this.root.flows;
    if (!config.reporting.flows || !table.enabled) return;
    const e = openHttpFlow(table, facts, rule);
    if (e === null) return;
    e.pending++;
    this.flow = e;
  }

  /** Build the event now (the request head is at hand) and send it once the status is known. */
  private defer(config: FilterConfig, kind: EventKind, action: Action, rule: IngressRule | null, reason: string): void {
    builder.build(config, facts, kind, action, rule, reason, this.root.pod, nowMillis());
    const out = builder.writer.out;
    this.deferred = copyBytes(out.ptr, out.len);
    this.deferredStatusAt = builder.statusAt;
    out.shrink(65536);
  }

  /** The deferred event, with `http.status` when the response headers were seen. */
  private emitDeferred(): void {
    const d = this.deferred;
    if (d === null) return;
    this.deferred = null;
    const p = changetype<usize>(d);
    const len = <usize>d.byteLength;
    if (this.status == 0 || this.deferredStatusAt == 0 || this.deferredStatusAt >= len) {
      this.root.batcher.emit(p, len, this.contextId);
      return;
    }
    const b = patched;
    b.reset();
    b.bytes(p, this.deferredStatusAt);
    b.ascii(",\"status\":");
    b.decimal(<u64>this.status);
    b.bytes(p + this.deferredStatusAt, len - this.deferredStatusAt);
    this.root.batcher.emit(b.ptr, b.len, this.contextId);
    b.shrink(65536);
  }

  private pass(): void {
    this.state = StreamState.Passed;
    count(Metric.Allowed);
  }

  private emit(config: FilterConfig, kind: EventKind, action: Action, rule: IngressRule | null, reason: string): void {
    builder.build(config, facts, kind, action, rule, reason, this.root.pod, nowMillis());
    const out = builder.writer.out;
    this.root.batcher.emit(out.ptr, out.len, this.contextId);
    out.shrink(65536);
  }

  private writeReply(): void {
    const b = replyBody;
    b.reset();
    b.ascii("{\"error\":\"blocked\",\"event\":\"");
    b.bytes(builder.id.ptr, builder.id.len); // ids are [a-z0-9-]: no escaping needed
    b.ascii("\"}");
  }

  /** 403 with the id of the event just built. */
  private block(grpc: bool, detection: bool): void {
    this.state = StreamState.Blocked;
    this.response = ResponseState.Off;
    if (this.body !== null) this.finishBody();
    this.state = StreamState.Blocked;
    count(Metric.Blocked);
    this.writeReply();
    const b = replyBody;
    sendLocalResponse(
      403, detection ? DETAILS_WAF : DETAILS, b.ptr, b.len, changetype<usize>(REPLY_HEADERS), <usize>REPLY_HEADERS.byteLength,
      grpc ? GRPC_PERMISSION_DENIED : NO_GRPC_STATUS);
  }
}

function parseStatus(p: usize, len: usize): u32 {
  if (len != 3) return 0;
  let v: u32 = 0;
  for (let i: usize = 0; i < 3; i++) {
    const c = load<u8>(p + i);
    if (c < 0x30 || c > 0x39) return 0;
    v = v * 10 + (<u32>c - 0x30);
  }
  return v;
}
