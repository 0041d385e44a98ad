// A workload's baseline: what was observed while it was learning, from the events the sensors
// really send (event-shapes.ts): its callers and what each called (HTTP method and path
// template, gRPC method, SQL statement kinds and tables, Redis commands and key patterns, the
// TCP protocols of its connections), its outbound TLS connections by server name, and from the
// host agent its executables, file writers and secret readers, listening ports and control-
// channel users. Each collection is bounded; what did not fit is counted in `overflow`, so a
// proposal made from a full baseline says so. Events whose shape the learner does not read, or
// whose facts no policy field can hold, are counted in `skipped` by kind and reason.
import type { MeshwardEvent } from '../events/event-types.js';
import { FLOW_HTTP, FLOW_TCP, isFlowRecord, operationOf, requestCountOf } from '../events/event-types.js';
import { checkTable } from '../policy/match-tcp.js';
import { STATEMENT_KINDS } from '../policy/types.js';
import { readChannel, readFile, readPort, readProcess, readTcp, type TcpFacts } from './event-shapes.js';
import { isParameter, redisKeyPattern, templatePath } from './path-template.js';
import { COMMAND } from './propose-tcp.js';
import type { Baseline, Caller } from './baseline-shape.js';

export interface BaselineLimits {
  callers: number;
  operationsPerCaller: number;
  /** Entries of each other collection (SQL, Redis, egress, processes, ports...). */
  entries: number;
  /** Distinct literal values at one path position (or Redis key patterns of one command)
   * before they fold into `{name}` (`*`). */
  literalsPerPosition: number;
}

export const DEFAULT_BASELINE_LIMITS: BaselineLimits = { callers: 256, operationsPerCaller: 512, entries: 512, literalsPerPosition: 16 };

export type { Baseline, Caller } from './baseline-shape.js';

const MAPS = ['protocols', 'sql', 'redis', 'egress', 'egressByAddress', 'processes', 'files', 'ports', 'channels', 'skipped'] as const;

export function emptyBaseline(namespace: string, workload: string, now: number): Baseline {
  return {
    namespace, workload, events: 0, firstMs: now, lastMs: now, lastChangeMs: now, callers: {},
    protocols: {}, sql: {}, redis: {}, egress: {}, egressByAddress: {}, processes: {}, files: {}, ports: {}, channels: {}, skipped: {}, overflow: 0,
  };
}

/** Fills what a baseline saved by an earlier version lacks. */
export function normaliseBaseline(b: Baseline): Baseline {
  for (const k of MAPS) b[k] ??= {};
  b.callers ??= {};
  b.overflow ??= 0;
  return b;
}

/** Events that say what normal traffic looks like: not attacks, leaks or anomalies, not
 * classified as an attack by their sensor, and not blocked or killed (a refused request is not
 * behaviour to learn). */
export function isLearnable(e: MeshwardEvent): boolean {
  if (e.action === 'block' || e.action === 'kill') return false;
  // Discover reports every request as http.flow already; its flow records would count twice.
  if (isFlowRecord(e) && e.mode === 'discover') return false;
  if (e.kind.endsWith('.attack') || e.kind === 'dlp.leak' || e.kind.startsWith('anomaly.')) return false;
  if (e.attack) return false;
  return e.severity !== 'high' && e.severity !== 'critical';
}

export function callerKey(e: MeshwardEvent): { key: string; caller: Omit<Caller, 'count' | 'firstMs' | 'lastMs' | 'operations'> } | undefined {
  const s = e.source ?? {};
  if (s.principal) return { key: `principal:${s.principal}`, caller: { principal: s.principal } };
  if (s.workload && s.namespace) return { key: `workload:${s.namespace}/${s.workload}`, caller: { namespace: s.namespace, workload: s.workload } };
  if (s.ip) return { key: `ip:${s.ip}`, caller: { ip: s.ip } };
  return undefined;
}

const hostPort = (ip: string, port: number) => `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
const dirname = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf('/')));

export class BaselineBuilder {
  /** Events skipped since this builder was made (not saved; the learner's statistics). */
  skippedEvents = 0;
  /** Requests the event being learned stands for (a flow record's count, else 1). */
  private weight = 1;

  constructor(readonly baseline: Baseline, private readonly limits: BaselineLimits = DEFAULT_BASELINE_LIMITS) {
    normaliseBaseline(baseline);
  }

  /** Adds one event; true when something new was learned. */
  observe(e: MeshwardEvent, timeMs: number): boolean {
    const b = this.baseline;
    b.events++;
    b.lastMs = Math.max(b.lastMs, timeMs);
    const changed = this.learn(e, timeMs);
    if (changed) b.lastChangeMs = Math.max(b.lastChangeMs, timeMs);
    return changed;
  }

  private learn(e: MeshwardEvent, timeMs: number): boolean {
    this.weight = requestCountOf(e);
    try {
      return this.learnOne(e, timeMs);
    } finally {
      this.weight = 1;
    }
  }

  private learnOne(e: MeshwardEvent, timeMs: number): boolean {
    const b = this.baseline;
    const kind = e.kind;
    if (kind === FLOW_TCP) {
      // A record names the operation only: no tables or keys a policy entry could hold.
      const op = operationOf(e).method;
      if (op !== 'connect') return this.skip(e, 'statements in flow records carry no tables or keys (learned from tcp.flow in discover)');
      const c = this.callerOf(e, timeMs);
      if (!c) return false;
      const changed = this.addOperation(c.caller, `TCP ${e.protocol ?? 'tcp'}`) || c.created;
      return this.bump(b.protocols, e.protocol ?? 'tcp') || changed;
    }
    if (kind === 'http.flow' || kind === 'http.policy' || kind === FLOW_HTTP) {
      const op = operationOf(e);
      if (!op.method) return this.skip(e, 'no http.method or grpc.service');
      const changed = this.observeCall(e, op, timeMs);
      return this.bump(b.protocols, e.protocol || 'http') || changed;
    }
    if (kind === 'tcp.flow' || kind === 'tcp.policy') {
      const t = readTcp(e);
      if (typeof t === 'string') return this.skip(e, t);
      const changed = t.direction === 'outbound' ? this.observeOutbound(e, t) : this.observeTcpCall(e, t, timeMs);
      return this.bump(b.protocols, t.protocol) || changed;
    }
    if (kind === 'process.exec' || kind === 'process.violation') {
      const p = readProcess(e);
      return typeof p === 'string' ? this.skip(e, p) : this.bump(b.processes, p.exe);
    }
    if (kind === 'file.write' || kind === 'file.read') {
      const f = readFile(e);
      if (typeof f === 'string') return this.skip(e, f);
      if (f.exe === '') return this.skip(e, 'the acting executable is unknown');
      if (/[\u0000-\u001f]/.test(f.path + f.exe)) return this.skip(e, 'a path a policy cannot hold');
      return this.bump(b.files, `${f.op}\t${f.op === 'write' ? `${dirname(f.path).replace(/\/$/, '')}/*` : f.path}\t${f.exe}`);
    }
    if (kind === 'port.listen') {
      const p = readPort(e);
      return typeof p === 'string' ? this.skip(e, p) : this.bump(b.ports, `${p.protocol}/${p.port}${p.exe ? ` ${p.exe}` : ''}`);
    }
    if (kind === 'channel.connect' || kind === 'channel.violation') {
      const c = readChannel(e);
      return typeof c === 'string' ? this.skip(e, c) : this.bump(b.channels, `${c.channel}${c.exe ? ` ${c.exe}` : ''}`);
    }
    if (kind === 'net.connection') return this.skip(e, 'connections the agent sees by address: no policy field holds them');
    return this.skip(e, 'not a kind the learner reads');
  }

  private skip(e: MeshwardEvent, reason: string): false {
    this.skippedEvents++;
    this.bump(this.baseline.skipped, `${e.kind}: ${reason}`);
    return false;
  }

  private observeOutbound(e: MeshwardEvent, t: TcpFacts): boolean {
    if (t.sni) return this.bump(this.baseline.egress, `${t.sni}:${t.destinationPort}`);
    if (!t.destinationIp) return this.skip(e, 'an outbound connection without a server name or destination address');
    return this.bump(this.baseline.egressByAddress, `${t.protocol} ${hostPort(t.destinationIp, t.destinationPort)}`);
  }

  /** A connection (`TCP protocol`), a SQL statement shape or a Redis command of a caller. */
  private observeTcpCall(e: MeshwardEvent, t: TcpFacts, timeMs: number): boolean {
    const b = this.baseline;
    if (t.redis && !COMMAND.test(t.redis.command)) return this.skip(e, 'a command name a policy cannot hold');
    const c = this.callerOf(e, timeMs);
    if (!c) return false;
    let changed = c.created;
    const caller = c.caller;
    if (t.sql) {
      const s = t.sql;
      const kinds = STATEMENT_KINDS.filter((k) => s.kinds.includes(k));
      const tables = [...new Set(s.tables)].sort();
      // The filter compares tables lower-cased (unquoted names are lower-cased in events, quoted
      // ones kept): a name with capitals could never match, so the shape gets any table.
      const writable = s.complete && tables.every((x) => x !== '*' && checkTable(x) === undefined && x === x.toLowerCase());
      const tablePart = !writable ? ' *' : tables.length ? ` ${tables.join(',')}` : '';
      changed = this.addOperation(caller, `${t.protocol.toUpperCase()} ${kinds.join(',')}${tablePart}`) || changed;
      for (const k of kinds) for (const x of tables.length ? tables : ['']) changed = this.bump(b.sql, x ? `${k} ${x}` : k) || changed;
    } else if (t.redis) {
      const r = t.redis;
      const command = r.command.toUpperCase();
      const patterns = r.complete ? [...new Set(r.keys.map(redisKeyPattern))] : ['*'];
      if (patterns.length === 0) changed = this.addOperation(caller, `REDIS ${command}`) || changed;
      for (const p of patterns) changed = this.addRedisKey(caller, command, p) || changed;
      changed = this.bump(b.redis, command) || changed;
    } else {
      changed = this.addOperation(caller, `TCP ${t.protocol}`) || changed;
    }
    return changed;
  }

  /** A key pattern of a command; past `literalsPerPosition` patterns the command's keys fold
   * into `*`. */
  private addRedisKey(caller: Caller, command: string, pattern: string): boolean {
    const prefix = `REDIS ${command} `;
    const any = `${prefix}*`;
    if (caller.operations[any] !== undefined) return this.addOperation(caller, any);
    if (caller.operations[prefix + pattern] !== undefined) return this.addOperation(caller, prefix + pattern);
    const siblings = Object.keys(caller.operations).filter((k) => k.startsWith(prefix));
    if (pattern !== '*' && siblings.length < this.limits.literalsPerPosition) return this.addOperation(caller, prefix + pattern);
    if (siblings.length === 0) return this.addOperation(caller, any);
    let total = 1;
    for (const k of siblings) {
      total += caller.operations[k];
      delete caller.operations[k];
    }
    caller.operations[any] = total;
    return true;
  }

  private callerOf(e: MeshwardEvent, timeMs: number): { caller: Caller; created: boolean } | undefined {
    const who = callerKey(e);
    if (!who) {
      this.skip(e, 'no source identity or address');
      return undefined;
    }
    const b = this.baseline;
    let caller = b.callers[who.key];
    let created = false;
    if (!caller) {
      if (Object.keys(b.callers).length >= this.limits.callers) {
        b.overflow++;
        return undefined;
      }
      caller = b.callers[who.key] = { ...who.caller, count: 0, firstMs: timeMs, lastMs: timeMs, operations: {} };
      created = true;
    }
    caller.count += this.weight;
    caller.firstMs = Math.min(caller.firstMs, timeMs);
    caller.lastMs = Math.max(caller.lastMs, timeMs);
    return { caller, created };
  }

  private addOperation(caller: Caller, key: string): boolean {
    if (caller.operations[key] !== undefined) {
      caller.operations[key] += this.weight;
      return false;
    }
    if (Object.keys(caller.operations).length >= this.limits.operationsPerCaller) {
      this.baseline.overflow++;
      return false;
    }
    caller.operations[key] = this.weight;
    return true;
  }

  private observeCall(e: MeshwardEvent, op: { method: string; path: string }, timeMs: number): boolean {
    const c = this.callerOf(e, timeMs);
    if (!c) return false;
    const key = op.method === 'GRPC' ? `GRPC ${op.path}` : `${op.method} ${this.fold(c.caller, op.method, templatePath(op.path))}`;
    return this.addOperation(c.caller, key) || c.created;
  }

  /** Folds a literal last segment into `{name}` once its parent has many distinct literal
   * children for this method (the operations of that parent are merged). */
  private fold(caller: Caller, method: string, template: string): string {
    const cut = template.lastIndexOf('/');
    const parent = template.slice(0, cut);
    const last = template.slice(cut + 1);
    if (cut <= 0 || last === '' || isParameter(last)) return template;
    const folded = `${parent}/{name}`;
    if (caller.operations[`${method} ${folded}`] !== undefined) return folded;
    const siblings = Object.keys(caller.operations).filter((k) => {
      if (!k.startsWith(`${method} ${parent}/`)) return false;
      const rest = k.slice(method.length + parent.length + 2);
      return rest !== '' && !rest.includes('/') && !isParameter(rest);
    });
    if (siblings.length < this.limits.literalsPerPosition || siblings.includes(`${method} ${template}`)) return template;
    let total = 0;
    for (const k of siblings) {
      total += caller.operations[k];
      delete caller.operations[k];
    }
    caller.operations[`${method} ${folded}`] = total;
    return folded;
  }

  private bump(map: Record<string, number>, key: string): boolean {
    if (map[key] !== undefined) {
      map[key] += this.weight;
      return false;
    }
    if (Object.keys(map).length >= this.limits.entries) {
      this.baseline.overflow++;
      return false;
    }
    map[key] = this.weight;
    return true;
  }
}

/** A connection the workload made (not one it received), for the correlator's egress
 * classification. */
export function isEgress(e: MeshwardEvent): boolean {
  return e.direction === 'egress' || e.kind.startsWith('net.egress') || e.kind === 'net.connect' || e.kind.endsWith('.egress');
}
