// The shared store: PostgreSQL through a `pg` pool, for several control-plane replicas. Statements
// are written with `?` (as for SQLite) and numbered here. BIGINT columns hold milliseconds, well
// inside 2^53, so they are read as numbers. Migrations take an advisory lock, so replicas starting
// together migrate once.
import pg from 'pg';
import { EVENT_COLUMNS, type SqlDriver, type SqlStatement, type SqlValue } from './sql-driver.js';
import { SqlEventStore } from './sql-store.js';
import { StoreError, type StoreLease } from './store.js';

/** Arbitrary, fixed: the advisory lock key of Meshward migrations. */
const MIGRATION_LOCK = 7_300_611;
/** The first key of the two-key advisory locks of leases (the second: the lease's name). */
const LEASE_SPACE = 7_300_612;
const INT8 = 20;
const NUMERIC = 1700;

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

type Queryable = pg.Pool | pg.PoolClient;

class PostgresDriver implements SqlDriver {
  readonly backend = 'postgres' as const;
  readonly positionColumn = 'seq' as const;

  constructor(private readonly pool: pg.Pool, private readonly url: string) {}

  /** A session-level advisory lock on a connection of its own (not the pool's): held while the
   * connection lives, released by PostgreSQL when it ends, so a crashed holder frees it. */
  async tryLease(name: string): Promise<StoreLease | undefined> {
    const client = new pg.Client({ connectionString: this.url, types });
    let lost: (why: string) => void = () => undefined;
    const lostP = new Promise<string>((resolve) => (lost = resolve));
    client.on('error', (err) => lost(`lease connection failed: ${err.message}`));
    client.on('end', () => lost('lease connection closed'));
    try {
      await client.connect();
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LEASE_SPACE, name]);
      if (rows[0]?.ok === true) return { lost: lostP, release: () => client.end().catch(() => undefined) };
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    await client.end().catch(() => undefined);
    return undefined;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = [], on: Queryable = this.pool): Promise<T[]> {
    return (await on.query(numbered(sql), params as SqlValue[])).rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = [], on: Queryable = this.pool): Promise<number> {
    return (await on.query(numbered(sql), params as SqlValue[])).rowCount ?? 0;
  }

  async batch(statements: readonly SqlStatement[]): Promise<number[]> {
    return this.inTransaction(async (c) => {
      const out: number[] = [];
      for (const s of statements) out.push(await this.run(s.sql, s.params, c));
      return out;
    });
  }

  async insertEvents(rows: readonly SqlValue[][]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const width = EVENT_COLUMNS.length;
    const values = rows.map((_, r) => `(${EVENT_COLUMNS.map((__, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
    const result = await this.pool.query(
      `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${values} ON CONFLICT (id) DO NOTHING RETURNING id`,
      rows.flat() as SqlValue[],
    );
    return new Set(result.rows.map((r: { id: string }) => r.id));
  }

  async migrate(run: (driver: SqlDriver) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await run(this);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  }

  private async inTransaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Connects to `url` (postgres://user@host:port/db), checks the connection, and migrates. */
export async function openPostgresStore(url: string, options: { poolSize?: number } = {}): Promise<SqlEventStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 8, types });
  // An idle client's error (the server restarted) must not crash the process; the next query
  // gets a fresh connection and reports its own error.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreError('STORE_OPEN_FAILED', `cannot connect to PostgreSQL ${redact(url)}: ${(err as Error).message}`);
  }
  return SqlEventStore.open(new PostgresDriver(pool, url));
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
