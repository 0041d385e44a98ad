// TCP reassembly for passive inspection: per connection, each direction's bytes in order, once,
// whatever the capture saw (retransmissions trimmed, segments ahead of a gap held up to a
// limit). The connection's client is the side that sent the SYN; a connection first seen
// mid-stream takes as server the side whose port `isServerPort` says, else the lower port.
// Bounded: at most `maxFlows` connections (the idlest leave first) and `maxHeldBytes` held per
// direction; a gap that does not fill within the limit ends inspection of that connection
// (counted), as it cannot be parsed past the hole.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './packets.js';

export interface FlowEndpoints {
  client: { ip: string; port: number };
  server: { ip: string; port: number };
}

/** What consumes one connection's streams (the passive inspector). */
export interface FlowConsumer {
  clientData(data: Uint8Array): void;
  serverData(data: Uint8Array): void;
  /** Both sides finished, one reset, a gap, or eviction. */
  end(reason: 'fin' | 'rst' | 'gap' | 'evicted' | 'idle'): void;
}

export interface ReassemblyOptions {
  maxFlows?: number;
  maxHeldBytes?: number;
  idleMs?: number;
  isServerPort?(port: number): boolean;
  /** A new connection: return its consumer, or undefined to ignore it. */
  open(endpoints: FlowEndpoints): FlowConsumer | undefined;
}

export interface ReassemblyStats {
  flows: number;
  opened: number;
  ignored: number;
  bytes: number;
  retransmitted: number;
  outOfOrder: number;
  gaps: number;
  evicted: number;
}

const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqDiff = (a: number, b: number): number => (a - b) | 0;

class Direction {
  next: number | undefined;
  finished = false;
  held: Array<{ seq: number; data: Uint8Array }> = [];
  heldBytes = 0;
}

class Flow {
  readonly c2s = new Direction();
  readonly s2c = new Direction();
  lastSeen = Date.now();
  ended = false;
  constructor(
    readonly key: string,
    readonly clientKey: string,
    readonly consumer: FlowConsumer | undefined,
    readonly ends: FlowEndpoints,
  ) {}

  /** 1: the segment is the client's, -1: the server's, 0: another connection's. */
  side(s: TcpSegment): number {
    const c = this.ends.client;
    const v = this.ends.server;
    if (s.sport === c.port && s.dport === v.port && s.src === c.ip && s.dst === v.ip) return 1;
    if (s.sport === v.port && s.dport === c.port && s.src === v.ip && s.dst === c.ip) return -1;
    return 0;
  }
}

export class TcpReassembler {
  private readonly flows = new Map<string, Flow>();
  readonly stats: ReassemblyStats = { flows: 0, opened: 0, ignored: 0, bytes: 0, retransmitted: 0, outOfOrder: 0, gaps: 0, evicted: 0 };
  private readonly maxFlows: number;
  private readonly maxHeld: number;
  private readonly idleMs: number;
  private last: Flow | undefined;

  constructor(private readonly options: ReassemblyOptions) {
    this.maxFlows = options.maxFlows ?? 16384;
    this.maxHeld = options.maxHeldBytes ?? 256 * 1024;
    this.idleMs = options.idleMs ?? 120_000;
  }

  segment(s: TcpSegment): void {
    // Segments come in runs of one connection: the last one is tried before any key is built.
    const last = this.last;
    const side = last ? last.side(s) : 0;
    if (side !== 0) return this.onSegment(last!, s, side > 0);
    const a = `${s.src}|${s.sport}`;
    const b = `${s.dst}|${s.dport}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let flow = this.flows.get(key);
    if (!flow) {
      if (s.flags & TCP_RST) return;
      const syn = (s.flags & TCP_SYN) !== 0 && (s.flags & TCP_ACK) === 0;
      const synAck = (s.flags & TCP_SYN) !== 0 && (s.flags & TCP_ACK) !== 0;
      // A bare ACK or FIN of a connection already gone (or never seen) opens nothing.
      if (!syn && !synAck && s.payload.length === 0) return;
      let clientIsSrc: boolean;
      if (syn) clientIsSrc = true;
      else if (synAck) clientIsSrc = false;
      else {
        const srcServer = this.options.isServerPort?.(s.sport) ?? false;
        const dstServer = this.options.isServerPort?.(s.dport) ?? false;
        clientIsSrc = dstServer && !srcServer ? true : srcServer && !dstServer ? false : s.sport > s.dport;
      }
      const endpoints: FlowEndpoints = clientIsSrc
        ? { client: { ip: s.src, port: s.sport }, server: { ip: s.dst, port: s.dport } }
        : { client: { ip: s.dst, port: s.dport }, server: { ip: s.src, port: s.sport } };
      const consumer = this.options.open(endpoints);
      if (consumer) this.stats.opened++;
      else this.stats.ignored++;
      if (this.flows.size >= this.maxFlows) this.evictOne();
      flow = new Flow(key, clientIsSrc ? a : b, consumer, endpoints);
      this.flows.set(key, flow);
      this.stats.flows = this.flows.size;
    }
    this.last = flow;
    this.onSegment(flow, s, a === flow.clientKey);
  }

  private onSegment(flow: Flow, s: TcpSegment, fromClient: boolean): void {
    flow.lastSeen = Date.now();
    if (!flow.consumer || flow.ended) {
      if (s.flags & (TCP_RST | TCP_FIN)) this.drop(flow);
      return;
    }
    const dir = fromClient ? flow.c2s : flow.s2c;
    if (s.flags & TCP_SYN) {
      dir.next = (s.seq + 1) >>> 0;
      return;
    }
    if (s.flags & TCP_RST) return this.finish(flow, 'rst');
    if (dir.next === undefined) dir.next = s.seq; // joined mid-stream
    if (s.payload.length > 0) this.data(flow, dir, fromClient, s.seq, s.payload);
    if (s.flags & TCP_FIN) {
      const finSeq = (s.seq + s.payload.length) >>> 0;
      if (dir.next === finSeq) {
        dir.finished = true;
        dir.next = (finSeq + 1) >>> 0;
      }
      if (flow.c2s.finished && flow.s2c.finished) this.finish(flow, 'fin');
    }
  }

  /** Ends connections idle for longer than idleMs; call on a timer. */
  sweep(now = Date.now()): void {
    for (const f of this.flows.values()) if (now - f.lastSeen > this.idleMs) this.finish(f, 'idle');
  }

  /** Ends every connection (capture stopped). */
  close(): void {
    for (const f of [...this.flows.values()]) this.finish(f, 'evicted');
  }

  private data(flow: Flow, dir: Direction, fromClient: boolean, seq: number, payload: Uint8Array): void {
    const next = dir.next!;
    let data = payload;
    let at = seq;
    if (seqLt(at, next)) {
      const skip = seqDiff(next, at);
      if (skip >= data.length) {
        this.stats.retransmitted++;
        return;
      }
      data = data.subarray(skip);
      at = next;
    }
    if (at !== next) {
      // Ahead of a gap: hold a copy (the block it points into is reused).
      this.stats.outOfOrder++;
      if (dir.heldBytes + data.length > this.maxHeld) {
        this.stats.gaps++;
        return this.finish(flow, 'gap');
      }
      dir.held.push({ seq: at, data: Uint8Array.prototype.slice.call(data) });
      dir.heldBytes += data.length;
      return;
    }
    this.deliver(flow, fromClient, data);
    dir.next = (next + data.length) >>> 0;
    if (dir.held.length > 0) this.drainHeld(flow, dir, fromClient);
  }

  private drainHeld(flow: Flow, dir: Direction, fromClient: boolean): void {
    let progressed = true;
    while (progressed && dir.held.length > 0 && !flow.ended) {
      progressed = false;
      for (let i = 0; i < dir.held.length; i++) {
        const h = dir.held[i];
        const next = dir.next!;
        if (seqLt(next, h.seq)) continue;
        dir.held.splice(i, 1);
        dir.heldBytes -= h.data.length;
        const skip = seqDiff(next, h.seq);
        if (skip < h.data.length) {
          const rest = h.data.subarray(skip);
          this.deliver(flow, fromClient, rest);
          dir.next = (next + rest.length) >>> 0;
        }
        progressed = true;
        break;
      }
    }
  }

  private deliver(flow: Flow, fromClient: boolean, data: Uint8Array): void {
    this.stats.bytes += data.length;
    if (fromClient) flow.consumer!.clientData(data);
    else flow.consumer!.serverData(data);
  }

  private finish(flow: Flow, reason: 'fin' | 'rst' | 'gap' | 'evicted' | 'idle'): void {
    if (!flow.ended) {
      flow.ended = true;
      flow.consumer?.end(reason);
    }
    this.drop(flow);
  }

  private drop(flow: Flow): void {
    if (this.last === flow) this.last = undefined;
    this.flows.delete(flow.key);
    this.stats.flows = this.flows.size;
  }

  private evictOne(): void {
    let oldest: Flow | undefined;
    for (const f of this.flows.values()) if (!oldest || f.lastSeen < oldest.lastSeen) oldest = f;
    if (oldest) {
      this.stats.evicted++;
      this.finish(oldest, 'evicted');
    }
  }
}
