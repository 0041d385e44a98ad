// Events and stores for tests: a valid event with overrides, and a PostgreSQL database made for
// one test run and dropped after it.
import pg from 'pg';
import type { IngestedEvent, MeshwardEvent } from '../../src/events/event-types.js';
import { ingested } from '../../src/events/event-types.js';

let seq = 0;

export function makeEvent(over: Partial<MeshwardEvent> & { at?: number } = {}): MeshwardEvent {
  const { at, ...rest } = over;
  seq++;
  return {
    id: `evt-test-${process.pid}-${seq.toString(16).padStart(6, '0')}`,
    time: new Date(at ?? Date.now()).toISOString(),
    kind: 'http.flow',
    severity: 'info',
    action: 'allow',
    mode: 'discover',
    workload: { namespace: 'shop', name: 'orders', pod: 'orders-1', container: '' },
    source: { ip: '10.0.0.2', port: 40000, principal: 'spiffe://cluster.local/ns/shop/sa/storefront', namespace: 'shop', workload: 'storefront' },
    destination: { ip: '10.0.0.3', port: 8080, principal: '', workload: 'orders' },
    protocol: 'http',
    http: { method: 'GET', path: '/api/orders/1', host: 'orders.shop', version: 'HTTP/1.1' },
    rule: null,
    attack: null,
    policy: { version: 'sha256:0' },
    evidence: { reason: 'discover' },
    ...rest,
  };
}

export const asIngested = (e: MeshwardEvent, origin: IngestedEvent['origin'] = 'http'): IngestedEvent => ingested(e, origin);

export const PG_ADMIN_URL = process.env.MESHWARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database; `drop()` removes it (connections closed first). */
export async function makePgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `meshward_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
