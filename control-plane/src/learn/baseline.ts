// A workload's baseline: what was observed while it was learning: its callers and what each
// called (protocol, method, path template, gRPC method), SQL statement kinds and tables, Redis
// commands, egress destinations, processes and listening ports. Each collection is bounded;
// what did not fit is counted in `overflow`, so a proposal made from a full baseline says so.
import type { MeshwardEvent } from '../events/event-types.js';
import { operationOf } from '../events/event-types.js';
import { isParameter, templatePath } from './path-template.js';

export interface BaselineLimits {
  callers: number;
  operationsPerCaller: number;
  /** Entries of each other collection (SQL, Redis, egress, processes, ports). */
  entries: number;
  /** Distinct literal values at one path position before it becomes `{name}`. */
  literalsPerPosition: number;
}

export const DEFAULT_BASELINE_LIMITS: BaselineLimits = { callers: 256, operationsPerCaller: 512, entries: 512, literalsPerPosition: 16 };

export interface Caller {
  principal?: string;
  namespace?: string;
  workload?: string;
  /** Only when nothing else identifies the caller. */
  ip?: string;
  count: number;
  firstMs: number;
  lastMs: number;
  /** `METHOD template` (HTTP) or `GRPC /service/method` → count. */
  operations: Record<string, number>;
}

export interface Baseline {
  namespace: string;
  workload: string;
  events: number;
  firstMs: number;
  lastMs: number;
  /** When something new (not just another count) was last learned: the quiet clock of promotion. */
  lastChangeMs: number;
  callers: Record<string, Caller>;
  protocols: Record<string, number>;
  sql: Record<string, number>;
  redis: Record<string, number>;
  egress: Record<string, number>;
  processes: Record<string, number>;
  ports: Record<string, number>;
  /** Entries not kept because a limit was reached. */
  overflow: number;
}

export function emptyBaseline(namespace: string, workload: string, now: number): Baseline {
  return { namespace, workload, events: 0, firstMs: now, lastMs: now, lastChangeMs: now, callers: {}, protocols: {}, sql: {}, redis: {}, egress: {}, processes: {}, ports: {}, overflow: 0 };
}

/** Events that say what normal traffic looks like: not attacks, leaks or anomalies, and not
 * blocked (a blocked request is not behaviour to learn). */
export function isLearnable(e: MeshwardEvent): boolean {
  if (e.action === 'block' || e.action === 'kill') return false;
  if (e.kind === 'http.attack' || e.kind === 'dlp.leak' || e.kind.startsWith('anomaly.')) return false;
  return e.severity !== 'high' && e.severity !== 'critical';
}

export function callerKey(e: MeshwardEvent): { key: string; caller: Omit<Caller, 'count' | 'firstMs' | 'lastMs' | 'operations'> } | undefined {
  const s = e.source ?? {};
  if (s.principal) return { key: `principal:${s.principal}`, caller: { principal: s.principal } };
  if (s.workload && s.namespace) return { key: `workload:${s.namespace}/${s.workload}`, caller: { namespace: s.namespace, workload: s.workload } };
  if (s.ip) return { key: `ip:${s.ip}`, caller: { ip: s.ip } };
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class BaselineBuilder {
  constructor(readonly baseline: Baseline, private readonly limits: BaselineLimits = DEFAULT_BASELINE_LIMITS) {}

  /** Adds one event; true when something new was learned. */
  observe(e: MeshwardEvent, timeMs: number): boolean {
    const b = this.baseline;
    b.events++;
    b.lastMs = Math.max(b.lastMs, timeMs);
    let changed = false;
    if (e.protocol) changed = this.bump(b.protocols, e.protocol) || changed;
    const op = operationOf(e);
    if (op.method && e.kind.startsWith('http.')) changed = this.observeCall(e, op, timeMs) || changed;
    const sql = (e.sql ?? (e.tcp as { sql?: unknown } | undefined)?.sql) as { kind?: unknown; statement?: unknown; tables?: unknown } | undefined;
    if (sql && typeof sql === 'object') {
      const kind = str(sql.kind) ?? str(sql.statement);
      const tables = Array.isArray(sql.tables) ? sql.tables.filter((t): t is string => typeof t === 'string') : [];
      if (kind) for (const t of tables.length ? tables : ['']) changed = this.bump(b.sql, t ? `${kind.toUpperCase()} ${t}` : kind.toUpperCase()) || changed;
    }
    const redis = e.redis as { command?: unknown } | undefined;
    if (redis && str(redis.command)) changed = this.bump(b.redis, str(redis.command)!.toUpperCase()) || changed;
    if (isEgress(e)) {
      const d = e.destination ?? {};
      const dest = d.fqdn || (d.ip ? `${d.ip}${d.port ? `:${d.port}` : ''}` : undefined);
      if (dest) changed = this.bump(b.egress, dest) || changed;
    }
    if (e.kind === 'process.exec') {
      const exe = str((e.process as { exe?: unknown } | undefined)?.exe);
      if (exe) changed = this.bump(b.processes, exe) || changed;
    }
    if (e.kind === 'port.listen') {
      const port = (e.port as { port?: unknown } | undefined)?.port ?? e.destination?.port;
      if (typeof port === 'number') changed = this.bump(b.ports, String(port)) || changed;
    }
    if (changed) b.lastChangeMs = Math.max(b.lastChangeMs, timeMs);
    return changed;
  }

  private observeCall(e: MeshwardEvent, op: { method: string; path: string }, timeMs: number): boolean {
    const who = callerKey(e);
    if (!who) return false;
    const b = this.baseline;
    let changed = false;
    let caller = b.callers[who.key];
    if (!caller) {
      if (Object.keys(b.callers).length >= this.limits.callers) {
        b.overflow++;
        return false;
      }
      caller = b.callers[who.key] = { ...who.caller, count: 0, firstMs: timeMs, lastMs: timeMs, operations: {} };
      changed = true;
    }
    caller.count++;
    caller.firstMs = Math.min(caller.firstMs, timeMs);
    caller.lastMs = Math.max(caller.lastMs, timeMs);
    const key = op.method === 'GRPC' ? `GRPC ${op.path}` : `${op.method} ${this.fold(caller, op.method, templatePath(op.path))}`;
    if (caller.operations[key] !== undefined) caller.operations[key]++;
    else if (Object.keys(caller.operations).length >= this.limits.operationsPerCaller) b.overflow++;
    else {
      caller.operations[key] = 1;
      changed = true;
    }
    return changed;
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
      map[key]++;
      return false;
    }
    if (Object.keys(map).length >= this.limits.entries) {
      this.baseline.overflow++;
      return false;
    }
    map[key] = 1;
    return true;
  }
}

/** A connection the workload made (not one it received). */
export function isEgress(e: MeshwardEvent): boolean {
  return e.direction === 'egress' || e.kind.startsWith('net.egress') || e.kind === 'net.connect' || e.kind.endsWith('.egress');
}
