// What other rooms may use from store/: the interface, its query types, and how to open one.
export * from './store.js';
export { openStore } from './open-store.js';
export { openSqliteStore } from './store-sqlite.js';
export { openPostgresStore, redact } from './store-postgres.js';
export { SCHEMA_VERSION } from './migrations.js';
