// `--store sqlite:PATH` or `--store postgres://...`: which store, from one string.
import { openPostgresStore } from './store-postgres.js';
import { openSqliteStore } from './store-sqlite.js';
import { StoreError, type EventStore } from './store.js';

export async function openStore(spec: string): Promise<EventStore> {
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (!path) throw new StoreError('STORE_URL_INVALID', '--store sqlite:PATH needs a path (or sqlite::memory:)');
    return openSqliteStore(path);
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) return openPostgresStore(spec);
  throw new StoreError('STORE_URL_INVALID', `--store must be sqlite:PATH or postgres://USER@HOST:PORT/DB (got "${spec}")`);
}
