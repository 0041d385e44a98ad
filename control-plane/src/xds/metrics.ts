// The server's counters, gauges and push-latency histogram, as plain numbers an HTTP endpoint
// can expose (Prometheus text or JSON) without this package knowing which.

/** Upper bounds (ms) of the push latency buckets; a last, implicit bucket is +Inf. */
export const PUSH_LATENCY_BUCKETS_MS: readonly number[] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface HistogramSnapshot {
  /** Upper bounds; counts has one more entry, for +Inf. Counts are per bucket, not cumulative. */
  buckets: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { buckets: this.buckets, counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

export interface XdsMetricsSnapshot {
  /** Streams accepted, ended, and open now (gauge). */
  streamsOpened: number;
  streamsClosed: number;
  streamsActive: number;
  /** Discovery requests received (every kind: initial, ACK, NACK, subscription change). */
  requests: number;
  /** Responses sent, and those among them sent because the cache changed (pushes). */
  responses: number;
  pushes: number;
  /** Resources carried by responses, and Delta removals announced. */
  resourcesSent: number;
  removalsSent: number;
  acks: number;
  nacks: number;
  /** Requests whose nonce was not the stream's latest for their type. */
  staleNonces: number;
  /** Streams refused with PERMISSION_DENIED (identity does not match the node). */
  denied: number;
  /** Streams ended with INVALID_ARGUMENT (no node, unknown node, type not served here). */
  invalidRequests: number;
  /** Hooks that threw (see hooks.ts for what that does to the stream). */
  hookErrors: number;
  /** NACK records dropped from the bounded NACK log. */
  nackLogOverflow: number;
  /** Unary FetchExtensionConfigs answered. */
  fetches: number;
  /** Time from a cache change to the client's ACK or NACK of the push it caused. */
  pushLatencyMs: HistogramSnapshot;
}

export class XdsMetrics {
  streamsOpened = 0;
  streamsClosed = 0;
  requests = 0;
  responses = 0;
  pushes = 0;
  resourcesSent = 0;
  removalsSent = 0;
  acks = 0;
  nacks = 0;
  staleNonces = 0;
  denied = 0;
  invalidRequests = 0;
  hookErrors = 0;
  nackLogOverflow = 0;
  /** Unary FetchExtensionConfigs answered. */
  fetches = 0;
  readonly pushLatencyMs = new Histogram(PUSH_LATENCY_BUCKETS_MS);

  snapshot(): XdsMetricsSnapshot {
    return {
      streamsOpened: this.streamsOpened,
      streamsClosed: this.streamsClosed,
      streamsActive: this.streamsOpened - this.streamsClosed,
      requests: this.requests,
      responses: this.responses,
      pushes: this.pushes,
      resourcesSent: this.resourcesSent,
      removalsSent: this.removalsSent,
      acks: this.acks,
      nacks: this.nacks,
      staleNonces: this.staleNonces,
      denied: this.denied,
      invalidRequests: this.invalidRequests,
      hookErrors: this.hookErrors,
      nackLogOverflow: this.nackLogOverflow,
      fetches: this.fetches,
      pushLatencyMs: this.pushLatencyMs.snapshot(),
    };
  }
}
