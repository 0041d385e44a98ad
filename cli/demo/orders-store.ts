// Where the demo's orders service keeps its orders: PostgreSQL when it answers on 127.0.0.1:5432
// (schema `meshward_demo`), with Redis (127.0.0.1:6379) caching the order list; each part that
// cannot be reached is replaced by memory, and `notes` says what was left out, so the demo runs
// on any machine and is honest about what it used.
import pg from 'pg';

export interface Order {
  id: number;
  item: string;
  quantity: number;
  /** The card the order was paid with: the sensitive data the demo's leak exposes. */
  card: string;
}

export interface OrdersStore {
  /** `postgresql`, `memory`; with `+redis` when the list is cached there. */
  readonly kind: string;
  list(): Promise<Order[]>;
  get(id: number): Promise<Order | undefined>;
  add(o: Omit<Order, 'id'>): Promise<Order>;
  remove(id: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface OrdersStoreOptions {
  postgres?: string | false;
  redis?: string | false;
}

export const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

// Test card numbers (Luhn-valid, as payment processors publish them): what a DLP sensor finds.
const SEED: Array<Omit<Order, 'id'>> = [
  { item: 'espresso beans', quantity: 2, card: '4111 1111 1111 1111' },
  { item: 'milk frother', quantity: 1, card: '5555 5555 5555 4444' },
];

class MemoryOrders implements OrdersStore {
  readonly kind = 'memory';
  private readonly orders = new Map<number, Order>();
  private nextId = 1;
  constructor() {
    for (const o of SEED) void this.add(o);
  }
  async list() {
    return [...this.orders.values()];
  }
  async get(id: number) {
    return this.orders.get(id);
  }
  async add(o: Omit<Order, 'id'>) {
    const order = { id: this.nextId++, ...o };
    this.orders.set(order.id, order);
    return order;
  }
  async remove(id: number) {
    return this.orders.delete(id);
  }
  async close() {}
}

class PostgresOrders implements OrdersStore {
  readonly kind = 'postgresql';
  constructor(private readonly pool: pg.Pool) {}
  static async open(url: string): Promise<PostgresOrders> {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1500 });
    // A failed first connection must not leave an unhandled 'error' on the pool.
    pool.on('error', () => {});
    try {
      await pool.query('CREATE SCHEMA IF NOT EXISTS meshward_demo');
      await pool.query('CREATE TABLE IF NOT EXISTS meshward_demo.orders (id serial PRIMARY KEY, item text NOT NULL, quantity int NOT NULL, card text NOT NULL)');
      const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM meshward_demo.orders');
      if (Number(rows[0].n) === 0) {
        for (const o of SEED) await pool.query('INSERT INTO meshward_demo.orders (item, quantity, card) VALUES ($1, $2, $3)', [o.item, o.quantity, o.card]);
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresOrders(pool);
  }
  async list() {
    return (await this.pool.query<Order>('SELECT id, item, quantity, card FROM meshward_demo.orders ORDER BY id')).rows;
  }
  async get(id: number) {
    return (await this.pool.query<Order>('SELECT id, item, quantity, card FROM meshward_demo.orders WHERE id = $1', [id])).rows[0];
  }
  async add(o: Omit<Order, 'id'>) {
    return (await this.pool.query<Order>('INSERT INTO meshward_demo.orders (item, quantity, card) VALUES ($1, $2, $3) RETURNING id, item, quantity, card', [o.item, o.quantity, o.card])).rows[0];
  }
  async remove(id: number) {
    return ((await this.pool.query('DELETE FROM meshward_demo.orders WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
  async close() {
    await this.pool.end();
  }
}

/** The subset of ioredis the cache uses (ioredis is a development dependency, loaded lazily). */
interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ex: 'EX', seconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
  ping(): Promise<string>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

const CACHE_KEY = 'meshward-demo:orders';

class RedisCachedOrders implements OrdersStore {
  readonly kind: string;
  constructor(private readonly inner: OrdersStore, private readonly redis: RedisLike) {
    this.kind = `${inner.kind}+redis`;
  }
  async list() {
    const hit = await this.redis.get(CACHE_KEY).catch(() => null);
    if (hit) return JSON.parse(hit) as Order[];
    const orders = await this.inner.list();
    await this.redis.set(CACHE_KEY, JSON.stringify(orders), 'EX', 30).catch(() => {});
    return orders;
  }
  get(id: number) {
    return this.inner.get(id);
  }
  async add(o: Omit<Order, 'id'>) {
    const order = await this.inner.add(o);
    await this.redis.del(CACHE_KEY).catch(() => 0);
    return order;
  }
  async remove(id: number) {
    const removed = await this.inner.remove(id);
    await this.redis.del(CACHE_KEY).catch(() => 0);
    return removed;
  }
  async close() {
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.inner.close();
  }
}

async function connectRedis(url: string): Promise<RedisLike> {
  const { Redis } = (await import('ioredis')) as unknown as { Redis: new (url: string, o: Record<string, unknown>) => RedisLike };
  const redis = new Redis(url, { lazyConnect: false, connectTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/** Opens the best store this machine offers, and says what it left out. */
export async function openOrdersStore(o: OrdersStoreOptions = {}): Promise<{ store: OrdersStore; notes: string[] }> {
  const notes: string[] = [];
  let store: OrdersStore = new MemoryOrders();
  const pgUrl = o.postgres === undefined ? DEFAULT_POSTGRES : o.postgres;
  if (pgUrl) {
    try {
      store = await PostgresOrders.open(pgUrl);
    } catch (err) {
      notes.push(`PostgreSQL not reachable at ${new URL(pgUrl).host} (${(err as Error).message}): orders are kept in memory`);
    }
  } else notes.push('PostgreSQL not used (--no-postgres): orders are kept in memory');
  const redisUrl = o.redis === undefined ? DEFAULT_REDIS : o.redis;
  if (redisUrl) {
    try {
      store = new RedisCachedOrders(store, await connectRedis(redisUrl));
    } catch (err) {
      notes.push(`Redis not reachable at ${new URL(redisUrl).host} (${(err as Error).message}): the order list is not cached`);
    }
  } else notes.push('Redis not used (--no-redis): the order list is not cached');
  return { store, notes };
}

export function memoryOrdersStore(): OrdersStore {
  return new MemoryOrders();
}
