// Event delivery for one root context: events wait in a bounded queue (events.bufferLimit;
// beyond it they are dropped and counted) and leave in batches of events.batchSize with
// proxy_http_call to events.cluster: at once when a batch is full, else on the tick
// (events.flushIntervalMs). One call is in flight at a time. A failed call (no response,
// non-2xx, or refused by the host) puts its events back at the head of the queue if there is
// room (the rest are counted as dropped) and the next attempt waits for a later tick. With no
// cluster, each event is written to the proxy log at info as `meshward.event <json>`.
//
// Calls are always made from the root context (the effective context is switched while a stream
// emits), because a host cancels a context's calls when that context ends.
import {
  LogLevel, WasmResult, httpCall, httpCallToken, setEffectiveContext,
} from "../abi/host";
import { HeaderPairs } from "../abi/header-pairs";
import { ByteBuffer, copyBytes, utf8 } from "../bytes";
import { EventsConfig, FilterConfig } from "../config/filter-config";
import { logBytes, warn } from "../log";
import { Metric, bufferedChanged, count } from "../metrics";
import { nowMillis } from "./clock";
import { writeEscaped } from "./json-writer";

const H_METHOD = utf8(":method");
const H_PATH = utf8(":path");
const H_AUTHORITY = utf8(":authority");
const H_CONTENT_TYPE = utf8("content-type");
const H_AUTHORIZATION = utf8("authorization");
const V_POST = utf8("POST");
const V_JSON = utf8("application/json");
const NO_TRAILERS: usize = memory.data(4, 4); // a serialized empty map: count 0

/** A ring of encoded events. */
class EventQueue {
  private items: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(16);
  private head: i32 = 0;
  size: i32 = 0;

  pushBack(e: ArrayBuffer): void {
    if (this.size == this.items.length) this.grow();
    const cap = this.items.length;
    unchecked(this.items[(this.head + this.size) % cap] = e);
    this.size++;
  }

  pushFront(e: ArrayBuffer): void {
    if (this.size == this.items.length) this.grow();
    const cap = this.items.length;
    this.head = (this.head + cap - 1) % cap;
    unchecked(this.items[this.head] = e);
    this.size++;
  }

  popFront(): ArrayBuffer {
    const cap = this.items.length;
    const e = unchecked(this.items[this.head]);
    unchecked(this.items[this.head] = null);
    this.head = (this.head + 1) % cap;
    this.size--;
    return e!;
  }

  popBack(): ArrayBuffer {
    const cap = this.items.length;
    const i = (this.head + this.size - 1) % cap;
    const e = unchecked(this.items[i]);
    unchecked(this.items[i] = null);
    this.size--;
    return e!;
  }

  at(i: i32): ArrayBuffer {
    return unchecked(this.items[(this.head + i) % this.items.length])!;
  }

  private grow(): void {
    const cap = this.items.length;
    const next = new StaticArray<ArrayBuffer | null>(cap * 2);
    for (let i = 0; i < this.size; i++) unchecked(next[i] = this.items[(this.head + i) % cap]);
    this.items = next;
    this.head = 0;
  }
}

const NO_RESULT = 0;
const INLINE_OK = 1;
const INLINE_FAILED = 2;

export class Batcher {
  private events: EventsConfig | null = null;
  private workloadNs: ArrayBuffer = new ArrayBuffer(0);
  private workloadName: ArrayBuffer = new ArrayBuffer(0);
  private queue: EventQueue = new EventQueue();
  private inFlight: StaticArray<ArrayBuffer> | null = null;
  private inFlightToken: u32 = 0;
  private inFlightSince: u64 = 0;
  private inFlightDropped: u64 = 0;
  private calling: bool = false;
  private inlineResult: i32 = NO_RESULT;
  private droppedSinceSend: u64 = 0;
  /** Allowed requests the flow table had no room for, since the last successful send. */
  private flowsOverflowSinceSend: u64 = 0;
  private inFlightFlowsOverflow: u64 = 0;
  private waitForTick: bool = false;
  private closing: bool = false;
  private authorization: ArrayBuffer | null = null;
  private readonly body: ByteBuffer = new ByteBuffer(4096);
  private readonly headerBytes: ByteBuffer = new ByteBuffer(256);
  private readonly pairs: HeaderPairs = new HeaderPairs();
  private readonly line: ByteBuffer = new ByteBuffer(1024);

  constructor(private readonly rootId: u32) {}

  /** Take the delivery settings of a newly applied configuration. */
  configure(config: FilterConfig): void {
    const events = config.events;
    this.events = events;
    this.workloadNs = config.workloadNamespace;
    this.workloadName = config.workloadName;
    this.authorization = events.token.byteLength > 0 ? bearer(events.token) : null;
    if (events.logOnly) {
      // No cluster any more: what waits goes to the log.
      while (this.queue.size > 0) {
        const e = this.queue.popFront();
        bufferedChanged(-1);
        this.logEvent(changetype<usize>(e), <usize>e.byteLength);
        count(Metric.EventsSent);
      }
      return;
    }
    let over = this.queue.size - <i32>events.bufferLimit;
    if (over > 0) {
      for (let i = 0; i < over; i++) this.queue.popBack();
      this.dropped(<u64>over);
      bufferedChanged(-<i64>over);
    }
  }

  get buffered(): i32 {
    return this.queue.size;
  }

  /** Nothing waits and nothing is in flight. */
  get idle(): bool {
    return this.queue.size == 0 && this.inFlight === null;
  }

  /** Accept one encoded event. `current` is the effective context of the caller. */
  emit(p: usize, len: usize, current: u32): void {
    count(Metric.EventsEmitted);
    const events = this.events;
    if (events === null || events.logOnly) {
      this.logEvent(p, len);
      count(Metric.EventsSent);
      return;
    }
    if (this.closing || this.queue.size >= <i32>events.bufferLimit) {
      this.dropped(1);
      return;
    }
    this.queue.pushBack(copyBytes(p, len));
    bufferedChanged(1);
    if (this.queue.size >= <i32>events.batchSize && this.inFlight === null && !this.waitForTick) {
      this.flush(current);
    }
  }

  onTick(now: u64): void {
    const events = this.events;
    if (events === null || events.logOnly) return;
    // A call the host never answered counts as failed (a late answer is then ignored).
    if (this.inFlight !== null && now - this.inFlightSince > <u64>events.timeoutMs + <u64>events.flushIntervalMs + 1000) {
      this.complete(false);
    }
    this.waitForTick = false;
    if (this.inFlight === null && this.queue.size > 0) this.flush(this.rootId);
  }

  /** The answer to a call: `status` is the `:status` (0 when there was no response). */
  onResponse(token: u32, status: u32): void {
    const ok = status >= 200 && status < 300;
    if (this.calling) {
      // The host answered inside proxy_http_call; finish once the call returns.
      this.inlineResult = ok ? INLINE_OK : INLINE_FAILED;
      return;
    }
    if (this.inFlight === null || token != this.inFlightToken) return;
    this.complete(ok);
  }

  /** The root is going away: send what waits if possible. True when nothing is left to do. */
  close(): bool {
    this.closing = true;
    if (this.inFlight !== null) return false;
    if (this.queue.size == 0) return true;
    this.flush(this.rootId);
    if (this.inFlight !== null) return false;
    this.abandon(); // the host refused the call: count what is left
    return true;
  }

  /** Drop everything still held (the root was deleted). */
  abandon(): void {
    let lost: u64 = <u64>this.queue.size;
    bufferedChanged(-<i64>this.queue.size);
    while (this.queue.size > 0) this.queue.popFront();
    const inFlight = this.inFlight;
    if (inFlight !== null) lost += <u64>inFlight.length;
    this.inFlight = null;
    if (lost > 0) {
      this.dropped(lost);
      warn(lost.toString() + " events dropped: the plugin was removed before they could be sent");
    }
  }

  private flush(current: u32): void {
    const events = this.events;
    if (events === null || this.inFlight !== null || this.queue.size == 0) return;
    let n = this.queue.size;
    if (n > <i32>events.batchSize) n = <i32>events.batchSize;
    this.buildBody(n);
    this.buildHeaders(events);
    const switched = current != this.rootId;
    if (switched) setEffectiveContext(this.rootId);
    this.calling = true;
    this.inlineResult = NO_RESULT;
    const r = httpCall(
      events.cluster, this.headerBytes.ptr, this.headerBytes.len, this.body.ptr, this.body.len,
      NO_TRAILERS, 4, events.timeoutMs);
    const token = httpCallToken;
    this.calling = false;
    if (switched) setEffectiveContext(current);
    this.body.shrink(65536);
    if (r != WasmResult.Ok) {
      count(Metric.EventBatchesFailed);
      this.waitForTick = true;
      return;
    }
    const batch = new StaticArray<ArrayBuffer>(n);
    for (let i = 0; i < n; i++) unchecked(batch[i] = this.queue.popFront());
    bufferedChanged(-<i64>n);
    this.inFlight = batch;
    this.inFlightToken = token;
    this.inFlightSince = nowMillis();
    this.inFlightDropped = this.droppedSinceSend;
    this.inFlightFlowsOverflow = this.flowsOverflowSinceSend;
    if (this.inlineResult != NO_RESULT) this.complete(this.inlineResult == INLINE_OK);
  }

  private complete(ok: bool): void {
    const batch = this.inFlight;
    if (batch === null) return;
    this.inFlight = null;
    const n = batch.length;
    if (ok) {
      count(Metric.EventsSent, n);
      const reported = this.inFlightDropped;
      this.droppedSinceSend = this.droppedSinceSend > reported ? this.droppedSinceSend - reported : 0;
      const over = this.inFlightFlowsOverflow;
      this.flowsOverflowSinceSend = this.flowsOverflowSinceSend > over ? this.flowsOverflowSinceSend - over : 0;
      this.waitForTick = false;
      const events = this.events;
      if (events !== null && (this.closing ? this.queue.size > 0 : this.queue.size >= <i32>events.batchSize)) {
        this.flush(this.rootId);
      }
      return;
    }
    count(Metric.EventBatchesFailed);
    this.waitForTick = true;
    if (this.closing) {
      this.dropped(<u64>n);
      this.abandon();
      return;
    }
    const events = this.events;
    const limit = events === null ? 0 : <i32>events.bufferLimit;
    let room = limit - this.queue.size;
    if (room < 0) room = 0;
    const keep = n < room ? n : room;
    // Back at the head, oldest first.
    for (let i = keep - 1; i >= 0; i--) this.queue.pushFront(unchecked(batch[i]));
    bufferedChanged(<i64>keep);
    if (n > keep) this.dropped(<u64>(n - keep));
  }

  /** The flow table had no room for `n` allowed requests (reported as `flowsOverflow`). */
  flowsOverflowed(n: u64): void {
    this.flowsOverflowSinceSend += n;
  }

  private dropped(n: u64): void {
    count(Metric.EventsDropped, <i64>n);
    this.droppedSinceSend += n;
  }

  /** {"schema":1,"workload":{...},"dropped":N,"flowsOverflow":N,"events":[...]} with the first n queued events. */
  private buildBody(n: i32): void {
    const b = this.body;
    b.reset();
    b.ascii("{\"schema\":1,\"workload\":{\"namespace\":");
    writeEscaped(b, changetype<usize>(this.workloadNs), <usize>this.workloadNs.byteLength);
    b.ascii(",\"name\":");
    writeEscaped(b, changetype<usize>(this.workloadName), <usize>this.workloadName.byteLength);
    b.ascii("},\"dropped\":");
    b.decimal(this.droppedSinceSend);
    b.ascii(",\"flowsOverflow\":");
    b.decimal(this.flowsOverflowSinceSend);
    b.ascii(",\"events\":[");
    for (let i = 0; i < n; i++) {
      if (i > 0) b.byte(0x2c);
      b.buffer(this.queue.at(i));
    }
    b.ascii("]}");
  }

  private buildHeaders(events: EventsConfig): void {
    const pairs = this.pairs;
    pairs.reset();
    pairs.add(H_METHOD, V_POST);
    pairs.add(H_PATH, events.path);
    pairs.add(H_AUTHORITY, events.authority);
    pairs.add(H_CONTENT_TYPE, V_JSON);
    const authorization = this.authorization;
    if (authorization !== null) pairs.add(H_AUTHORIZATION, authorization);
    pairs.serialize(this.headerBytes);
  }

  private logEvent(p: usize, len: usize): void {
    const line = this.line;
    line.reset();
    line.ascii("meshward.event ");
    line.bytes(p, len);
    logBytes(LogLevel.Info, line.ptr, line.len);
    line.shrink(65536);
  }
}

function bearer(token: ArrayBuffer): ArrayBuffer {
  const b = new ByteBuffer(token.byteLength + 8);
  b.ascii("Bearer ");
  b.buffer(token);
  return b.toArrayBuffer();
}
