// The network (TCP) filter of one connection: one small state and the session it feeds.
//   Identifying  the first bytes (either direction) are held until the protocol is known or the
//                identification limit (tcp.maxIdentifyBytes) is reached; then the connection
//                is judged (ingress rules for this peer, port and protocol; egress rules
//                against the TLS SNI on outbound listeners) and closed in protect mode when no
//                rule admits it
//   Following    a conversation parser (PostgreSQL, MySQL, Redis) judges each statement
//   Passing      any other protocol (or an opaque one): bytes go through untouched
//   Closed       the filter closed the connection; nothing more is passed
// Envoy keeps the bytes of a direction the filter paused (StopIteration) and offers all of them
// again with the next data; the filter remembers how far it parsed (`downHeld`, `upHeld`).
// Edits are applied with one proxy_set_buffer_bytes when the bytes are let through.
import { BufferType, getBufferBytes, valueSize } from "../abi/host";
import * as imports from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";
import { FilterConfig } from "../config/filter-config";
import { PluginRoot } from "../plugin-root";
import { Conversation } from "../protocols/conversation";
import { MysqlConversation } from "../protocols/mysql";
import { PgConversation } from "../protocols/postgres";
import { RedisConversation } from "../protocols/redis";
import { Identification, Proto } from "./identify";
import { BUFFER_DOWNSTREAM, BUFFER_UPSTREAM, Session } from "./session";
import { TcpMetric, countTcp, defineTcpMetrics } from "./tcp-metrics";
import { nowMillis } from "../events/clock";

export const enum ConnectionState {
  Identifying = 0,
  Following = 1,
  Passing = 2,
  Closed = 3,
}

const CONTINUE: u32 = 0;
const STOP: u32 = 1;

const ident = new Identification();

export class NetworkFilter {
  state: ConnectionState = ConnectionState.Identifying;
  readonly session: Session;
  private conv: Conversation | null = null;
  private downHeld: usize = 0;
  private upHeld: usize = 0;
  /** Downstream bytes held while identifying from the upstream side. */
  private downPending: bool = false;

  constructor(id: u32, root: PluginRoot, config: FilterConfig | null) {
    this.session = new Session(id, root, config);
  }

  private get maxIdentify(): usize {
    const c = this.session.config;
    return c !== null ? <usize>c.tcp.maxIdentifyBytes : 16384;
  }

  onNewConnection(): u32 {
    defineTcpMetrics();
    countTcp(TcpMetric.Connections);
    if (this.session.config === null) this.state = ConnectionState.Passing;
    return CONTINUE;
  }

  onDownstreamData(size: usize, eos: bool): u32 {
    // One clock read per data callback, not per statement: flow records count by the millisecond.
    this.session.clockMs = nowMillis();
    const state = this.state;
    if (state == ConnectionState.Closed) return STOP;
    if (state == ConnectionState.Passing) return CONTINUE;
    if (size == 0) return CONTINUE;
    const buf = getBufferBytes(<BufferType>BUFFER_DOWNSTREAM, 0, <u32>size);
    if (buf === null) return CONTINUE;
    const p = changetype<usize>(buf);
    const n = valueSize;
    if (state == ConnectionState.Identifying) {
      ident.identify(p, n, false);
      if (ident.needMore && n < this.maxIdentify && !eos) {
        this.downPending = true;
        return STOP;
      }
      this.downPending = false;
      if (ident.needMore) countTcp(TcpMetric.IdentifyOverflow);
      if (!this.identified()) return STOP;
      if (this.state != ConnectionState.Following) return CONTINUE;
    }
    return this.follow(true, p, n, eos);
  }

  onUpstreamData(size: usize, eos: bool): u32 {
    const state = this.state;
    if (state == ConnectionState.Closed) return STOP;
    if (state == ConnectionState.Passing) return CONTINUE;
    if (size == 0) return CONTINUE;
    const buf = getBufferBytes(<BufferType>BUFFER_UPSTREAM, 0, <u32>size);
    if (buf === null) return CONTINUE;
    const p = changetype<usize>(buf);
    const n = valueSize;
    if (state == ConnectionState.Identifying) {
      ident.identify(p, n, true);
      if (ident.needMore && n < this.maxIdentify && !eos) return STOP;
      if (ident.needMore) countTcp(TcpMetric.IdentifyOverflow);
      if (!this.identified()) return STOP;
      if (this.downPending) {
        // Client bytes held while the server spoke first go on now, unparsed.
        this.downPending = false;
        imports.proxy_continue_stream(2);
      }
      if (this.state != ConnectionState.Following) return CONTINUE;
    }
    return this.follow(false, p, n, eos);
  }

  /** The protocol is known: judge the connection, pick the parser. False when closed. */
  private identified(): bool {
    const s = this.session;
    if (!s.decide(ident)) {
      s.closeConnection();
      this.state = ConnectionState.Closed;
      return false;
    }
    const proto = ident.proto;
    let conv: Conversation | null = null;
    if (!s.outbound && s.config !== null) {
      if (proto == Proto.Postgres) conv = new PgConversation(s);
      else if (proto == Proto.Mysql) conv = new MysqlConversation(s);
      else if (proto == Proto.Redis) conv = new RedisConversation(s);
    }
    this.conv = conv;
    this.state = conv !== null ? ConnectionState.Following : ConnectionState.Passing;
    return true;
  }

  private follow(client: bool, p: usize, size: usize, eos: bool): u32 {
    const conv = this.conv!;
    const s = this.session;
    let from = client ? this.downHeld : this.upHeld;
    if (from > size) from = 0;
    let stop = client ? conv.client(p, size, from) : conv.server(p, size, from);
    if (s.closed) {
      this.state = ConnectionState.Closed;
      return STOP;
    }
    if (stop > size) stop = size;
    if (conv.hold && stop < size && !eos) {
      if (client) this.downHeld = stop;
      else this.upHeld = stop;
      return STOP;
    }
    if (client) {
      this.downHeld = 0;
      s.down.apply(BUFFER_DOWNSTREAM, p, size);
    } else {
      this.upHeld = 0;
      s.up.apply(BUFFER_UPSTREAM, p, size);
    }
    return CONTINUE;
  }
}

// ---- the connections of this VM, by context id ----

const connections = new Map<u32, NetworkFilter>();

export function newConnection(id: u32, root: PluginRoot, config: FilterConfig | null): u32 {
  let f: NetworkFilter;
  if (connections.has(id)) f = connections.get(id);
  else {
    f = new NetworkFilter(id, root, config);
    connections.set(id, f);
  }
  return f.onNewConnection();
}

export function downstreamData(id: u32, size: usize, eos: bool): u32 {
  if (!connections.has(id)) return CONTINUE;
  return connections.get(id).onDownstreamData(size, eos);
}

export function upstreamData(id: u32, size: usize, eos: bool): u32 {
  if (!connections.has(id)) return CONTINUE;
  return connections.get(id).onUpstreamData(size, eos);
}

/** proxy_on_delete for a connection; false when `id` is not one. */
export function deleteConnection(id: u32): bool {
  if (!connections.has(id)) return false;
  connections.delete(id);
  return true;
}
