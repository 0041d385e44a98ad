// The one migration set, in SQL both SQLite and PostgreSQL take as written (types, indexes,
// `ON CONFLICT`). Append new migrations; never edit one that has shipped. Each runs in a
// transaction and is recorded in meshward_migrations; PostgreSQL replicas take an advisory lock
// first so two starting at once do not both migrate.

/** A statement both databases take, or one per database where they differ. */
export type MigrationStatement = string | { sqlite?: string; postgres?: string };

export interface Migration {
  version: number;
  name: string;
  statements: MigrationStatement[];
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS meshward_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_ms BIGINT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, incidents, baselines, workload states',
    statements: [
      `CREATE TABLE events (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        received_ms BIGINT NOT NULL,
        kind TEXT NOT NULL,
        severity SMALLINT NOT NULL,
        action TEXT NOT NULL,
        mode TEXT NOT NULL,
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        src_ip TEXT NOT NULL,
        src_principal TEXT NOT NULL,
        src_namespace TEXT NOT NULL,
        src_workload TEXT NOT NULL,
        dst_ip TEXT NOT NULL,
        dst_port INTEGER NOT NULL,
        protocol TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        host TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        tactic TEXT NOT NULL,
        incident_id TEXT,
        size INTEGER NOT NULL,
        doc TEXT NOT NULL
      )`,
      'CREATE INDEX events_time ON events (time_ms)',
      'CREATE INDEX events_workload_time ON events (namespace, workload, time_ms)',
      'CREATE INDEX events_kind_time ON events (kind, time_ms)',
      'CREATE INDEX events_severity_time ON events (severity, time_ms)',
      'CREATE INDEX events_incident ON events (incident_id)',
      `CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        severity SMALLINT NOT NULL,
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        first_ms BIGINT NOT NULL,
        last_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        doc TEXT NOT NULL
      )`,
      'CREATE INDEX incidents_last ON incidents (last_ms)',
      'CREATE INDEX incidents_workload_last ON incidents (namespace, workload, last_ms)',
      'CREATE INDEX incidents_status_last ON incidents (status, last_ms)',
      `CREATE TABLE baselines (
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        updated_ms BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (namespace, workload)
      )`,
      `CREATE TABLE workload_states (
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        updated_ms BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (namespace, workload)
      )`,
    ],
  },
  {
    version: 2,
    name: 'insertion order of events, processing positions',
    statements: [
      // SQLite's rowid already numbers rows in insertion order; PostgreSQL gets a sequence.
      { postgres: 'ALTER TABLE events ADD COLUMN seq BIGSERIAL' },
      { postgres: 'CREATE INDEX events_seq ON events (seq)' },
      `CREATE TABLE processing_positions (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'flow records: request count and response status per row',
    statements: [
      // A flow record (`flow.http`, `flow.tcp`) stands for `flow.count` requests; any other
      // event for one. `status`: the HTTP status an event carries, or a record's class × 100.
      'ALTER TABLE events ADD COLUMN flow_count BIGINT NOT NULL DEFAULT 1',
      'ALTER TABLE events ADD COLUMN status INTEGER NOT NULL DEFAULT 0',
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
