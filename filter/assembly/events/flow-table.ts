// Allowed-flow aggregation for one root context. Instead of one event per allowed request (or
// TCP statement), the filter counts them per flow: (peer identity, protocol, method or TCP
// operation, path template or gRPC method, response status class), with first/last seen and
// bytes. The table is bounded by `reporting.maxFlows` records; a request or statement that would
// need one more is counted (meshward.flows_overflow, and `flowsOverflow` in the next batch) and
// not recorded. On every tick the records with counts are written as `flow.http` / `flow.tcp`
// events into the batcher's queue (so delivery, retries and drops are the events' own), counts
// are reset, and entries that saw nothing since the last tick and have no request in flight are
// forgotten.
//
// An HTTP request opens its entry at request headers (while the request facts are at hand) and
// adds to it when the stream ends, with the status class of its response.
import { ByteBuffer, eqBytes } from "../bytes";
import { FilterConfig, ReportingConfig } from "../config/filter-config";
import { Metric, count } from "../metrics";
import { IngressRule } from "../policy/ingress";

/** Status classes: 0 none (no response, or TCP), 1..5 the 1xx..5xx classes. */
export const STATUS_CLASSES = 6;

export function statusClass(status: u32): i32 {
  if (status >= 100 && status < 600) return <i32>(status / 100);
  return 0;
}

/** What a flow is about, and its counters per status class. */
export class FlowEntry {
  pending: i32 = 0;
  /** Counts since the last tick, per status class. */
  readonly counts: StaticArray<u64> = new StaticArray<u64>(STATUS_CLASSES);
  readonly first: StaticArray<u64> = new StaticArray<u64>(STATUS_CLASSES);
  readonly last: StaticArray<u64> = new StaticArray<u64>(STATUS_CLASSES);
  readonly requestBytes: StaticArray<u64> = new StaticArray<u64>(STATUS_CLASSES);
  readonly responseBytes: StaticArray<u64> = new StaticArray<u64>(STATUS_CLASSES);
  /** Some count moved since the last tick. */
  active: bool = false;
  // What the record says (copied once, when the entry is made).
  tcp: bool = false;
  protocol: string = "http";
  srcIp: ArrayBuffer = new ArrayBuffer(0);
  srcPrincipal: ArrayBuffer = new ArrayBuffer(0);
  srcNamespace: ArrayBuffer = new ArrayBuffer(0);
  srcWorkload: ArrayBuffer = new ArrayBuffer(0);
  dstPort: u32 = 0;
  /** HTTP method, or the TCP operation (a statement kind, a Redis command, `connect`). */
  method: ArrayBuffer = new ArrayBuffer(0);
  /** Path template (`/orders/{id}`), the gRPC path, or empty for TCP. */
  path: ArrayBuffer = new ArrayBuffer(0);
  host: ArrayBuffer = new ArrayBuffer(0);
  grpcService: ArrayBuffer | null = null;
  grpcMethod: ArrayBuffer | null = null;
  rule: IngressRule | null = null;

  constructor(readonly key: ArrayBuffer, readonly hash: u32) {}
}

export class FlowTable {
  private entries: Array<FlowEntry> = new Array<FlowEntry>();
  /** Open addressing over `entries` (index + 1; 0 = empty); rebuilt on growth and each tick. */
  private index: StaticArray<i32> = new StaticArray<i32>(64);
  /** (entry, class) pairs with a count since the last tick. */
  records: i32 = 0;
  private maxFlows: i32 = 1024;
  enabled: bool = true;
  /** Requests and statements not recorded for want of room, since the last take. */
  overflow: u64 = 0;
  /** The key of the next lookup, written by the caller. */
  readonly key: ByteBuffer = new ByteBuffer(256);

  configure(config: FilterConfig): void {
    const r: ReportingConfig = config.reporting;
    this.enabled = r.flows;
    this.maxFlows = <i32>r.maxFlows;
  }

  get size(): i32 {
    return this.entries.length;
  }

  /** The entry for the key in `key`, or null when there is none. */
  find(hash: u32): FlowEntry | null {
    const idx = this.index;
    const mask = <u32>idx.length - 1;
    let i = hash & mask;
    const k = this.key;
    while (true) {
      const slot = unchecked(idx[i]);
      if (slot == 0) return null;
      const e = unchecked(this.entries[slot - 1]);
      if (e.hash == hash && eqBytes(changetype<usize>(e.key), <usize>e.key.byteLength, k.ptr, k.len)) return e;
      i = (i + 1) & mask;
    }
  }

  /** A new entry for the key in `key`; null (and counted) when the table is full. */
  insert(hash: u32): FlowEntry | null {
    // Entries kept from the last interval give way to new ones when they saw nothing since.
    if (this.entries.length >= this.maxFlows && this.records < this.maxFlows) this.compact(false);
    if (this.entries.length >= this.maxFlows || this.records >= this.maxFlows) {
      this.overflowed();
      return null;
    }
    const e = new FlowEntry(this.key.toArrayBuffer(), hash);
    this.entries.push(e);
    if (<i32>this.entries.length * 2 > this.index.length) this.rebuild(this.index.length * 2);
    else this.place(e, this.entries.length);
    return e;
  }

  /** One more request or statement on `e`. False (and counted) when it needs a record the table
   * has no room for. */
  add(e: FlowEntry, cls: i32, ms: u64, requestBytes: u64, responseBytes: u64): bool {
    if (unchecked(e.counts[cls]) == 0) {
      if (this.records >= this.maxFlows) {
        this.overflowed();
        return false;
      }
      this.records++;
      unchecked(e.first[cls] = ms);
      unchecked(e.requestBytes[cls] = 0);
      unchecked(e.responseBytes[cls] = 0);
    }
    unchecked(e.counts[cls] += 1);
    unchecked(e.last[cls] = ms);
    unchecked(e.requestBytes[cls] += requestBytes);
    unchecked(e.responseBytes[cls] += responseBytes);
    e.active = true;
    return true;
  }

  private overflowed(): void {
    count(Metric.FlowsOverflow);
    this.overflow++;
  }

  /** Entries (with counts or not) in insertion order, for the tick's records. */
  at(i: i32): FlowEntry {
    return unchecked(this.entries[i]);
  }

  /** After the records were written: counts reset; entries idle for a whole interval are
   * forgotten (the ones active in it are kept, so a steady flow is not allocated again). */
  reset(): void {
    this.compact(true);
  }

  /** Drop entries with nothing counted and no request in flight; `tick`: also reset counts. */
  private compact(tick: bool): void {
    const kept = new Array<FlowEntry>();
    for (let i = 0; i < this.entries.length; i++) {
      const e = unchecked(this.entries[i]);
      const keep = e.active || e.pending > 0;
      if (tick) {
        for (let c = 0; c < STATUS_CLASSES; c++) unchecked(e.counts[c] = 0);
        e.active = false;
      }
      if (keep) kept.push(e);
    }
    if (tick) this.records = 0;
    this.entries = kept;
    let cap = 64;
    while (cap < kept.length * 2) cap <<= 1;
    this.rebuild(cap);
  }

  private rebuild(cap: i32): void {
    this.index = new StaticArray<i32>(cap);
    for (let i = 0; i < this.entries.length; i++) this.place(unchecked(this.entries[i]), i + 1);
  }

  private place(e: FlowEntry, slot: i32): void {
    const idx = this.index;
    const mask = <u32>idx.length - 1;
    let i = e.hash & mask;
    while (unchecked(idx[i]) != 0) i = (i + 1) & mask;
    unchecked(idx[i] = slot);
  }
}

/** FNV-1a over the key buffer. */
export function keyHash(k: ByteBuffer): u32 {
  let h: u32 = 2166136261;
  for (let i: usize = 0; i < k.len; i++) h = (h ^ load<u8>(k.ptr + i)) * 16777619;
  return h;
}
