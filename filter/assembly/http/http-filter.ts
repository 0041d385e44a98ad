// The per-stream HTTP filter. It holds the configuration in force when the stream started (a
// reference, never re-parsed) and one state value. On request headers it evaluates the ingress
// rules and applies the mode:
//   discover  allow; emit http.flow (info, allow) for every request, with the matched rule
//   monitor   allow; emit http.policy (medium, alert) when no rule matched
//   protect   when no rule matched: emit http.policy (medium, block) and reply 403 with
//             {"error":"blocked","event":"<id>"} (gRPC: grpc-status 7, PERMISSION_DENIED)
// Bodies are not inspected yet: body callbacks stream through and nothing is buffered.
import {
  Context,
  FilterDataStatusValues,
  FilterHeadersStatusValues,
  FilterTrailersStatusValues,
} from "@gcoredev/proxy-wasm-sdk-as/assembly/runtime";
import { sendLocalResponse } from "../abi/host";
import { HeaderPairs } from "../abi/header-pairs";
import { ByteBuffer, utf8 } from "../bytes";
import { FilterConfig, Mode } from "../config/filter-config";
import { Action, EventBuilder, EventKind } from "../events/event";
import { nowMillis } from "../events/clock";
import { Metric, count } from "../metrics";
import { IngressRule, firstMatch } from "../policy/ingress";
import { PluginRoot } from "../plugin-root";
import { RequestFacts } from "./request-facts";

export const enum StreamState {
  /** Request headers not seen yet. */
  Waiting = 0,
  /** Let through (allowed, or a violation in monitor/discover mode). */
  Passed = 1,
  /** Answered with a local 403; the rest of the request goes nowhere. */
  Blocked = 2,
}

// Shared by every stream: callbacks never overlap inside one VM.
const facts = new RequestFacts();
const builder = new EventBuilder();
const replyBody = new ByteBuffer(128);
const DETAILS = utf8("meshward_policy_denied");
const REPLY_HEADERS = replyHeaders();
const GRPC_PERMISSION_DENIED: u32 = 7;
const NO_GRPC_STATUS: u32 = u32.MAX_VALUE; // -1: not a gRPC reply

const REASON_NONE = "no ingress rule matched";
const REASON_RULE = "ingress rule matched";

function replyHeaders(): ArrayBuffer {
  const pairs = new HeaderPairs();
  pairs.add(utf8("content-type"), utf8("application/json"));
  const out = new ByteBuffer(64);
  pairs.serialize(out);
  return out.toArrayBuffer();
}

export class HttpFilter extends Context {
  state: StreamState = StreamState.Waiting;

  constructor(
    id: u32,
    readonly root: PluginRoot,
    readonly config: FilterConfig | null,
  ) {
    super(id, root);
  }

  onRequestHeaders(_headers: u32, _endOfStream: bool): FilterHeadersStatusValues {
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
    let status = FilterHeadersStatusValues.Continue;
    if (mode == Mode.Discover) {
      this.emit(config, EventKind.HttpFlow, Action.Allow, rule, rule !== null ? REASON_RULE : REASON_NONE);
      this.pass();
    } else if (rule !== null) {
      this.pass();
    } else if (mode == Mode.Monitor) {
      count(Metric.Violations);
      this.emit(config, EventKind.HttpPolicy, Action.Alert, null, REASON_NONE);
      this.pass();
    } else {
      count(Metric.Violations);
      this.emit(config, EventKind.HttpPolicy, Action.Block, null, REASON_NONE);
      this.block(facts.isGrpc);
      status = FilterHeadersStatusValues.StopIteration;
    }
    facts.reset();
    return status;
  }

  onRequestBody(_length: usize, _endOfStream: bool): FilterDataStatusValues {
    return this.state == StreamState.Blocked
      ? FilterDataStatusValues.StopIterationNoBuffer
      : FilterDataStatusValues.Continue;
  }

  onRequestTrailers(_trailers: u32): FilterTrailersStatusValues {
    return this.state == StreamState.Blocked
      ? FilterTrailersStatusValues.StopIteration
      : FilterTrailersStatusValues.Continue;
  }

  // The response direction (including our own 403) always passes.
  onResponseHeaders(_headers: u32, _endOfStream: bool): FilterHeadersStatusValues {
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(_length: usize, _endOfStream: bool): FilterDataStatusValues {
    return FilterDataStatusValues.Continue;
  }

  onResponseTrailers(_trailers: u32): FilterTrailersStatusValues {
    return FilterTrailersStatusValues.Continue;
  }

  private pass(): void {
    this.state = StreamState.Passed;
    count(Metric.Allowed);
  }

  private emit(config: FilterConfig, kind: EventKind, action: Action, rule: IngressRule | null, reason: string): void {
    builder.build(config, facts, kind, action, rule, reason, this.root.pod, nowMillis());
    const out = builder.writer.out;
    this.root.batcher.emit(out.ptr, out.len, this.context_id);
    out.shrink(65536);
  }

  /** 403 with the id of the event just built. */
  private block(grpc: bool): void {
    this.state = StreamState.Blocked;
    count(Metric.Blocked);
    const b = replyBody;
    b.reset();
    b.ascii("{\"error\":\"blocked\",\"event\":\"");
    b.bytes(builder.id.ptr, builder.id.len); // ids are [a-z0-9-]: no escaping needed
    b.ascii("\"}");
    sendLocalResponse(
      403, DETAILS, b.ptr, b.len, changetype<usize>(REPLY_HEADERS), <usize>REPLY_HEADERS.byteLength,
      grpc ? GRPC_PERMISSION_DENIED : NO_GRPC_STATUS);
  }
}
