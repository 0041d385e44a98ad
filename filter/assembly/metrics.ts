// The filter's metrics, declared in one list and defined once per VM (at vm start or the first
// configure). Counters are named for what happened; `events_buffered` is a gauge of the events
// waiting to be sent. The host sums every VM that defines the same name (Envoy: one VM per
// worker thread, plus a short-lived canary VM that runs each new configuration first).
import { MetricType, defineMetric, incrementMetric } from "./abi/host";

export const enum Metric {
  Requests = 0,
  Allowed,
  Violations,
  Blocked,
  EventsEmitted,
  EventsSent,
  EventsDropped,
  EventBatchesFailed,
  ConfigRejected,
  ConfigApplied,
  FieldsTruncated,
  EventsBuffered,
  // Detection engine (waf, dlp): what was found, and every limit's overflow.
  Attacks,
  AttacksBlocked,
  FindingsExcluded,
  DlpLeaks,
  DlpBlocked,
  DlpStreamsClosed,
  BodyTruncated,
  ResponseBodyTruncated,
  InspectedBytesExceeded,
  ParamsExceeded,
  DecodeDepthExceeded,
  ValueWindowed,
  ProtocolViolations,
  // Allowed-flow records (events/flow-table.ts).
  FlowsReported,
  FlowsOverflow,
  COUNT,
}

const NAMES: StaticArray<string> = [
  "meshward.requests",
  "meshward.allowed",
  "meshward.violations",
  "meshward.blocked",
  "meshward.events_emitted",
  "meshward.events_sent",
  "meshward.events_dropped",
  "meshward.event_batches_failed",
  "meshward.config_rejected",
  "meshward.config_applied",
  "meshward.fields_truncated",
  "meshward.events_buffered",
  "meshward.attacks",
  "meshward.attacks_blocked",
  "meshward.findings_excluded",
  "meshward.dlp_leaks",
  "meshward.dlp_blocked",
  "meshward.dlp_streams_closed",
  "meshward.body_truncated",
  "meshward.response_body_truncated",
  "meshward.inspected_bytes_exceeded",
  "meshward.params_exceeded",
  "meshward.decode_depth_exceeded",
  "meshward.value_windowed",
  "meshward.protocol_violations",
  "meshward.flows_reported",
  "meshward.flows_overflow",
];

const ids = new StaticArray<u32>(<i32>Metric.COUNT);
let defined = false;

export function defineMetrics(): void {
  if (defined) return;
  defined = true;
  for (let i = 0; i < <i32>Metric.COUNT; i++) {
    const type = i == <i32>Metric.EventsBuffered ? MetricType.Gauge : MetricType.Counter;
    unchecked(ids[i] = defineMetric(type, unchecked(NAMES[i])));
  }
}

export function count(m: Metric, by: i64 = 1): void {
  if (!defined || by == 0) return;
  const id = unchecked(ids[<i32>m]);
  if (id != u32.MAX_VALUE) incrementMetric(id, by);
}

/** Events waiting changed by `delta`. The gauge moves by increments, so that every VM sharing
 * the host's stats scope (Envoy: one VM per worker thread) adds its own share. */
export function bufferedChanged(delta: i64): void {
  if (!defined || delta == 0) return;
  const id = unchecked(ids[<i32>Metric.EventsBuffered]);
  if (id != u32.MAX_VALUE) incrementMetric(id, delta);
}
