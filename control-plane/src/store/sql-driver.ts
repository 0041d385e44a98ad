// What sql-store.ts needs of a database: parameterised statements written with `?`, a
// transaction of several statements, and the bulk insert of events that skips ids already
// stored. store-sqlite.ts and store-postgres.ts implement it; nothing else differs.

import type { StoreLease } from './store.js';

export type SqlValue = string | number | null;

export interface SqlStatement {
  sql: string;
  params: readonly SqlValue[];
}

export interface SqlDriver {
  readonly backend: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** All statements in one transaction; rows changed per statement. */
  batch(statements: readonly SqlStatement[]): Promise<number[]>;
  /** Inserts rows of EVENT_COLUMNS, skipping ids present; the ids inserted. */
  insertEvents(rows: readonly SqlValue[][]): Promise<Set<string>>;
  /** The column numbering events in insertion order (SQLite's rowid, PostgreSQL's seq). */
  readonly positionColumn: 'rowid' | 'seq';
  /** Takes the named lease if no one holds it (see EventStore.tryLease). */
  tryLease(name: string): Promise<StoreLease | undefined>;
  /** Applies migrations not yet recorded (exclusively across processes where it matters). */
  migrate(run: (driver: SqlDriver) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_COLUMNS = [
  'id', 'time_ms', 'received_ms', 'kind', 'severity', 'action', 'mode', 'namespace', 'workload',
  'src_ip', 'src_principal', 'src_namespace', 'src_workload', 'dst_ip', 'dst_port', 'protocol',
  'method', 'path', 'host', 'rule_id', 'tactic', 'size', 'doc', 'flow_count', 'status',
] as const;
