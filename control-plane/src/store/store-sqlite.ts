// The embedded store: one SQLite file through better-sqlite3, in WAL mode (readers never wait for
// the writer) with synchronous=NORMAL (a committed batch survives a process crash; the last
// transactions before a power loss may not). Calls are synchronous underneath; a batch of 1000
// events is one transaction of prepared statements, a few milliseconds.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EVENT_COLUMNS, type SqlDriver, type SqlStatement, type SqlValue } from './sql-driver.js';
import { SqlEventStore } from './sql-store.js';
import { StoreError, type StoreLease } from './store.js';

class SqliteDriver implements SqlDriver {
  readonly backend = 'sqlite' as const;
  readonly positionColumn = 'rowid' as const;
  private readonly statements = new Map<string, Database.Statement>();
  /** Prepared on first use: the table exists only once migrations ran. */
  private insertMany: ((rows: readonly SqlValue[][]) => Set<string>) | undefined;
  private readonly runBatch: (statements: readonly SqlStatement[]) => number[];

  constructor(private readonly db: Database.Database) {
    this.runBatch = db.transaction((statements: readonly SqlStatement[]) => statements.map((s) => this.prepare(s.sql).run(s.params).changes));
  }

  private prepare(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (this.statements.size < 256) this.statements.set(sql, s); // queries with IN lists vary; keep the cache bounded
    }
    return s;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.prepare(sql).all(params) as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.prepare(sql).run(params).changes;
  }

  async batch(statements: readonly SqlStatement[]): Promise<number[]> {
    return this.runBatch(statements);
  }

  async insertEvents(rows: readonly SqlValue[][]): Promise<Set<string>> {
    if (!this.insertMany) {
      const insert = this.db.prepare(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`);
      this.insertMany = this.db.transaction((batch: readonly SqlValue[][]) => {
        const ids = new Set<string>();
        for (const row of batch) if (insert.run(row).changes === 1) ids.add(row[0] as string);
        return ids;
      });
    }
    return this.insertMany(rows);
  }

  /** One process owns an SQLite file: the lease is always its own. */
  async tryLease(): Promise<StoreLease> {
    return { lost: new Promise<string>(() => undefined), release: async () => undefined };
  }

  async migrate(run: (driver: SqlDriver) => Promise<void>): Promise<void> {
    // A second process opening the same file waits on SQLite's lock (busy_timeout) for each
    // statement, and migrations are recorded in their table, so this needs no lock of its own.
    await run(this);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating it and its folder) and migrates the SQLite store at `path` (`:memory:` too). */
export async function openSqliteStore(path: string): Promise<SqlEventStore> {
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Five indexes are updated per event: a 64 MiB page cache keeps their hot pages in memory
    // (the default 2 MiB makes every insert read index pages back), and checkpointing every
    // ~40 MiB of WAL instead of 4 MiB spends fewer writes per event.
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 10000');
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot open SQLite store ${path}: ${(err as Error).message}`);
  }
  return SqlEventStore.open(new SqliteDriver(db));
}
