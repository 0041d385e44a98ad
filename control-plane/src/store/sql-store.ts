// EventStore on any SqlDriver: the queries, written once. Pages are keyset cursors over
// (time, id), so a page costs the same at any depth and events arriving meanwhile do not shift it.
import { FLOW_KINDS, operationOf, requestCountOf, responseStatusOf, type IngestedEvent } from '../events/event-types.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from './migrations.js';
import type { SqlDriver, SqlStatement, SqlValue } from './sql-driver.js';
import {
  StoreError,
  type EventQuery, type EventRow, type EventStore, type FlowQuery, type FlowResult, type FlowRow,
  type IncidentQuery, type IncidentRow, type Page, type RetentionOptions, type RetentionResult,
  type PositionedEvent, type StoreLease, type StoreStats, type WorkloadDoc,
} from './store.js';

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
/** Events per INSERT (PostgreSQL allows 65,535 parameters; 25 columns × 1000 fits). */
const INSERT_CHUNK = 1000;
const ACTION_ORDER = ['allow', 'alert', 'block', 'kill'];
/** Traffic: per-request events (discover, violations) and the filters' flow records. */
export const DEFAULT_FLOW_KINDS: readonly string[] = ['http.flow', 'http.policy', ...FLOW_KINDS];

export function eventRow(e: IngestedEvent): SqlValue[] {
  const ev = e.event;
  const op = operationOf(ev);
  const s = ev.source ?? {};
  const d = ev.destination ?? {};
  return [
    ev.id, e.timeMs, e.receivedMs, ev.kind, e.severityRank, ev.action, ev.mode, ev.workload.namespace, ev.workload.name,
    s.ip ?? '', s.principal ?? '', s.namespace ?? '', s.workload ?? '', d.ip ?? '', d.port ?? 0, ev.protocol ?? '',
    op.method, op.path, op.host, ev.rule?.id ?? '', ev.attack?.tactic ?? '', e.doc.length, e.doc,
    requestCountOf(ev), responseStatusOf(ev),
  ];
}

interface Cursor {
  t: number;
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.t}:${c.id}`).toString('base64url');
}

function decodeCursor(s: string): Cursor {
  const text = Buffer.from(s, 'base64url').toString('utf8');
  const i = text.indexOf(':');
  const t = Number(text.slice(0, i));
  if (i <= 0 || !Number.isFinite(t)) throw new StoreError('STORE_CURSOR_INVALID', `cursor ${JSON.stringify(s)} is not one this server gave out`);
  return { t, id: text.slice(i + 1) };
}

const limitOf = (n: number | undefined) => Math.max(1, Math.min(MAX_PAGE, Math.trunc(n ?? DEFAULT_PAGE)));

export class SqlEventStore implements EventStore {
  readonly backend: 'sqlite' | 'postgres';

  private constructor(private readonly db: SqlDriver) {
    this.backend = db.backend;
  }

  static async open(db: SqlDriver): Promise<SqlEventStore> {
    try {
      await db.migrate(async (tx) => {
        await tx.run(MIGRATIONS_TABLE);
        const done = new Set((await tx.all<{ version: number }>('SELECT version FROM meshward_migrations')).map((r) => Number(r.version)));
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          await tx.batch([
            ...m.statements.flatMap((s) => {
              const sql = typeof s === 'string' ? s : s[db.backend];
              return sql ? [{ sql, params: [] }] : [];
            }),
            { sql: 'INSERT INTO meshward_migrations (version, name, applied_ms) VALUES (?, ?, ?)', params: [m.version, m.name, Date.now()] },
          ]);
        }
      });
    } catch (err) {
      await db.close().catch(() => {});
      throw new StoreError('STORE_MIGRATION_FAILED', `migrating the ${db.backend} store failed: ${(err as Error).message}`);
    }
    return new SqlEventStore(db);
  }

  async insertEvents(events: readonly IngestedEvent[]): Promise<string[]> {
    const inserted: string[] = [];
    for (let i = 0; i < events.length; i += INSERT_CHUNK) {
      const chunk = events.slice(i, i + INSERT_CHUNK);
      const ids = await this.db.insertEvents(chunk.map(eventRow));
      for (const e of chunk) if (ids.has(e.event.id)) inserted.push(e.event.id);
    }
    return inserted;
  }

  async queryEvents(q: EventQuery): Promise<Page<EventRow>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (sql: string, ...values: SqlValue[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.sinceMs !== undefined) add('time_ms >= ?', q.sinceMs);
    if (q.untilMs !== undefined) add('time_ms < ?', q.untilMs);
    if (q.namespace !== undefined) add('namespace = ?', q.namespace);
    if (q.workload !== undefined) add('workload = ?', q.workload);
    if (q.kind !== undefined) {
      if (q.kind.endsWith('.*')) add('kind >= ? AND kind < ?', q.kind.slice(0, -1), `${q.kind.slice(0, -2)}/`);
      else add('kind = ?', q.kind);
    }
    if (q.minSeverity !== undefined && q.minSeverity > 0) add('severity >= ?', q.minSeverity);
    if (q.action !== undefined) add('action = ?', q.action);
    if (q.incident !== undefined) add('incident_id = ?', q.incident);
    if (q.peer !== undefined) add('(src_ip = ? OR src_principal = ?)', q.peer, q.peer);
    const desc = !q.ascending;
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      add(desc ? '(time_ms < ? OR (time_ms = ? AND id < ?))' : '(time_ms > ? OR (time_ms = ? AND id > ?))', c.t, c.t, c.id);
    }
    const limit = limitOf(q.limit);
    const dir = desc ? 'DESC' : 'ASC';
    const rows = await this.db.all<{ id: string; time_ms: number; received_ms: number; kind: string; severity: number; incident_id: string | null; doc: string }>(
      `SELECT id, time_ms, received_ms, kind, severity, incident_id, doc FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms ${dir}, id ${dir} LIMIT ?`,
      [...params, limit + 1],
    );
    const items = rows.slice(0, limit).map((r) => ({ id: r.id, timeMs: Number(r.time_ms), receivedMs: Number(r.received_ms), kind: r.kind, severity: Number(r.severity), incidentId: r.incident_id, doc: r.doc }));
    const last = items[items.length - 1];
    return rows.length > limit ? { items, next: encodeCursor({ t: last.timeMs, id: last.id }) } : { items };
  }

  async getEvent(id: string): Promise<EventRow | undefined> {
    const [r] = await this.db.all<{ id: string; time_ms: number; received_ms: number; kind: string; severity: number; incident_id: string | null; doc: string }>(
      'SELECT id, time_ms, received_ms, kind, severity, incident_id, doc FROM events WHERE id = ?', [id]);
    return r && { id: r.id, timeMs: Number(r.time_ms), receivedMs: Number(r.received_ms), kind: r.kind, severity: Number(r.severity), incidentId: r.incident_id, doc: r.doc };
  }

  async linkEvents(incidentId: string, eventIds: readonly string[]): Promise<void> {
    const statements: SqlStatement[] = [];
    for (let i = 0; i < eventIds.length; i += 500) {
      const ids = eventIds.slice(i, i + 500);
      statements.push({ sql: `UPDATE events SET incident_id = ? WHERE id IN (${ids.map(() => '?').join(', ')})`, params: [incidentId, ...ids] });
    }
    if (statements.length) await this.db.batch(statements);
  }

  async saveIncidents(incidents: readonly IncidentRow[]): Promise<void> {
    if (incidents.length === 0) return;
    await this.db.batch(incidents.map((i) => ({
      sql: `INSERT INTO incidents (id, status, severity, namespace, workload, first_ms, last_ms, updated_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, severity = excluded.severity, namespace = excluded.namespace, workload = excluded.workload,
        first_ms = excluded.first_ms, last_ms = excluded.last_ms, updated_ms = excluded.updated_ms, doc = excluded.doc`,
      params: [i.id, i.status, i.severity, i.namespace, i.workload, i.firstMs, i.lastMs, i.updatedMs, i.doc],
    })));
  }

  async queryIncidents(q: IncidentQuery): Promise<Page<IncidentRow>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (sql: string, ...values: SqlValue[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.sinceMs !== undefined) add('last_ms >= ?', q.sinceMs);
    if (q.status !== undefined) add('status = ?', q.status);
    if (q.minSeverity !== undefined && q.minSeverity > 0) add('severity >= ?', q.minSeverity);
    if (q.namespace !== undefined) add('namespace = ?', q.namespace);
    if (q.workload !== undefined) add('workload = ?', q.workload);
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      add('(last_ms < ? OR (last_ms = ? AND id < ?))', c.t, c.t, c.id);
    }
    const limit = limitOf(q.limit);
    const rows = await this.incidentRows(`${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY last_ms DESC, id DESC LIMIT ?`, [...params, limit + 1]);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return rows.length > limit ? { items, next: encodeCursor({ t: last.lastMs, id: last.id }) } : { items };
  }

  async getIncident(id: string): Promise<IncidentRow | undefined> {
    return (await this.incidentRows(' WHERE id = ?', [id]))[0];
  }

  openIncidents(sinceMs: number): Promise<IncidentRow[]> {
    return this.incidentRows(" WHERE status = 'open' AND last_ms >= ? ORDER BY last_ms", [sinceMs]);
  }

  private async incidentRows(rest: string, params: SqlValue[]): Promise<IncidentRow[]> {
    const rows = await this.db.all<{ id: string; status: 'open' | 'resolved'; severity: number; namespace: string; workload: string; first_ms: number; last_ms: number; updated_ms: number; doc: string }>(
      `SELECT id, status, severity, namespace, workload, first_ms, last_ms, updated_ms, doc FROM incidents${rest}`, params);
    return rows.map((r) => ({ id: r.id, status: r.status, severity: Number(r.severity), namespace: r.namespace, workload: r.workload, firstMs: Number(r.first_ms), lastMs: Number(r.last_ms), updatedMs: Number(r.updated_ms), doc: r.doc }));
  }

  async saveBaselines(docs: readonly WorkloadDoc[]): Promise<void> {
    if (docs.length) await this.db.batch(docs.map((d) => this.upsertDoc('baselines', d)));
  }

  listBaselines(): Promise<WorkloadDoc[]> {
    return this.docs('baselines');
  }

  async saveWorkloadState(doc: WorkloadDoc): Promise<void> {
    await this.db.batch([this.upsertDoc('workload_states', doc)]);
  }

  listWorkloadStates(): Promise<WorkloadDoc[]> {
    return this.docs('workload_states');
  }

  private upsertDoc(table: string, d: WorkloadDoc): SqlStatement {
    return {
      sql: `INSERT INTO ${table} (namespace, workload, updated_ms, doc) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, workload) DO UPDATE SET updated_ms = excluded.updated_ms, doc = excluded.doc`,
      params: [d.namespace, d.workload, d.updatedMs, d.doc],
    };
  }

  private async docs(table: string): Promise<WorkloadDoc[]> {
    const rows = await this.db.all<{ namespace: string; workload: string; updated_ms: number; doc: string }>(`SELECT namespace, workload, updated_ms, doc FROM ${table} ORDER BY namespace, workload`);
    return rows.map((r) => ({ namespace: r.namespace, workload: r.workload, updatedMs: Number(r.updated_ms), doc: r.doc }));
  }

  async flows(q: FlowQuery): Promise<FlowResult> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const kinds = q.kinds ?? DEFAULT_FLOW_KINDS;
    where.push(`kind IN (${kinds.map(() => '?').join(', ')})`);
    params.push(...kinds);
    // Discover already reports every request as http.flow: its flow records would count twice.
    where.push(`NOT (kind IN (${FLOW_KINDS.map(() => '?').join(', ')}) AND mode = 'discover')`);
    params.push(...FLOW_KINDS);
    if (q.namespace !== undefined) {
      where.push('namespace = ?');
      params.push(q.namespace);
    }
    if (q.workload !== undefined) {
      where.push('workload = ?');
      params.push(q.workload);
    }
    if (q.sinceMs !== undefined) {
      where.push('time_ms >= ?');
      params.push(q.sinceMs);
    }
    if (q.untilMs !== undefined) {
      where.push('time_ms < ?');
      params.push(q.untilMs);
    }
    const limit = Math.max(1, Math.trunc(q.limit ?? 10_000));
    const groups = 'namespace, workload, src_ip, src_principal, src_namespace, src_workload, protocol, method, path, host';
    const rows = await this.db.all<{ namespace: string; workload: string; src_ip: string; src_principal: string; src_namespace: string; src_workload: string; protocol: string; method: string; path: string; host: string; action: string; n: number; first_ms: number; last_ms: number; sample: string; status: number }>(
      `SELECT ${groups}, action, SUM(flow_count) AS n, MAX(status) AS status, MIN(time_ms) AS first_ms, MAX(time_ms) AS last_ms, MIN(id) AS sample FROM events WHERE ${where.join(' AND ')}
       GROUP BY ${groups}, action ORDER BY ${groups}, action LIMIT ?`,
      [...params, limit * ACTION_ORDER.length + 1],
    );
    const byKey = new Map<string, FlowRow>();
    for (const r of rows) {
      const key = [r.namespace, r.workload, r.src_ip, r.src_principal, r.src_namespace, r.src_workload, r.protocol, r.method, r.path, r.host].join('\u0000');
      const f = byKey.get(key);
      if (f) {
        f.actions.push(r.action);
        f.count += Number(r.n);
        f.firstMs = Math.min(f.firstMs, Number(r.first_ms));
        f.lastMs = Math.max(f.lastMs, Number(r.last_ms));
        f.maxStatus = Math.max(f.maxStatus, Number(r.status));
        continue;
      }
      byKey.set(key, {
        namespace: r.namespace, workload: r.workload, srcIp: r.src_ip, srcPrincipal: r.src_principal, srcNamespace: r.src_namespace, srcWorkload: r.src_workload,
        protocol: r.protocol, method: r.method, path: r.path, host: r.host, actions: [r.action], count: Number(r.n), firstMs: Number(r.first_ms), lastMs: Number(r.last_ms), sampleId: r.sample,
        maxStatus: Number(r.status),
      });
    }
    const flows = [...byKey.values()];
    const truncated = flows.length > limit || rows.length > limit * ACTION_ORDER.length;
    return { flows: flows.slice(0, limit), truncated };
  }

  async applyRetention(o: RetentionOptions, nowMs = Date.now()): Promise<RetentionResult> {
    const cutoff = nowMs - o.maxAgeMs;
    const [deletedByAge, incidentsByAge] = await this.db.batch([
      { sql: 'DELETE FROM events WHERE time_ms < ?', params: [cutoff] },
      { sql: "DELETE FROM incidents WHERE last_ms < ? AND status = 'resolved'", params: [cutoff] },
    ]);
    let deletedBySize = 0;
    for (;;) {
      const [{ n, bytes }] = await this.db.all<{ n: number; bytes: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM events');
      const overCount = Number(n) - o.maxEvents;
      const overBytes = Number(bytes) - o.maxBytes;
      if (overCount <= 0 && overBytes <= 0) break;
      // The oldest rows, up to what is over either limit (pages of 5000), then one delete up to
      // the last of them.
      const rows = await this.db.all<{ time_ms: number; id: string; size: number }>('SELECT time_ms, id, size FROM events ORDER BY time_ms, id LIMIT 5000');
      let count = 0;
      let freed = 0;
      let last = rows[0];
      for (const r of rows) {
        last = r;
        count++;
        freed += Number(r.size);
        if (count >= overCount && freed >= overBytes) break;
      }
      deletedBySize += await this.db.run('DELETE FROM events WHERE time_ms < ? OR (time_ms = ? AND id <= ?)', [Number(last.time_ms), Number(last.time_ms), last.id]);
    }
    let incidentsDeleted = incidentsByAge;
    const [{ n: incidents }] = await this.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM incidents');
    const overIncidents = Number(incidents) - o.maxIncidents;
    if (overIncidents > 0) {
      const rows = await this.db.all<{ last_ms: number; id: string }>('SELECT last_ms, id FROM incidents ORDER BY last_ms, id LIMIT ?', [overIncidents]);
      const last = rows[rows.length - 1];
      incidentsDeleted += await this.db.run('DELETE FROM incidents WHERE last_ms < ? OR (last_ms = ? AND id <= ?)', [Number(last.last_ms), Number(last.last_ms), last.id]);
    }
    return { deletedByAge, deletedBySize, incidentsDeleted };
  }

  async eventsAfter(position: number, limit: number): Promise<PositionedEvent[]> {
    const col = this.db.positionColumn;
    const rows = await this.db.all<{ position: number; time_ms: number; received_ms: number; severity: number; doc: string }>(
      `SELECT ${col} AS position, time_ms, received_ms, severity, doc FROM events WHERE ${col} > ? ORDER BY ${col} LIMIT ?`,
      [position, limit],
    );
    return rows.map((r) => ({
      position: Number(r.position),
      // Read back from the store: where it first came from is not kept; processors do not ask.
      event: { event: JSON.parse(r.doc) as IngestedEvent['event'], doc: r.doc, timeMs: Number(r.time_ms), receivedMs: Number(r.received_ms), severityRank: Number(r.severity), origin: 'http' },
    }));
  }

  async lastPosition(): Promise<number> {
    const [r] = await this.db.all<{ p: number | null }>(`SELECT MAX(${this.db.positionColumn}) AS p FROM events`);
    return Number(r?.p ?? 0);
  }

  async loadPosition(name: string): Promise<number | undefined> {
    const [r] = await this.db.all<{ position: number }>('SELECT position FROM processing_positions WHERE name = ?', [name]);
    return r === undefined ? undefined : Number(r.position);
  }

  async savePosition(name: string, position: number): Promise<void> {
    await this.db.run(
      'INSERT INTO processing_positions (name, position, updated_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms',
      [name, position, Date.now()],
    );
  }

  tryLease(name: string): Promise<StoreLease | undefined> {
    return this.db.tryLease(name);
  }

  async stats(): Promise<StoreStats> {
    const [{ n, bytes }] = await this.db.all<{ n: number; bytes: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM events');
    const [{ m }] = await this.db.all<{ m: number }>('SELECT COUNT(*) AS m FROM incidents');
    return { backend: this.backend, events: Number(n), eventBytes: Number(bytes), incidents: Number(m), schemaVersion: SCHEMA_VERSION };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
