// A control plane for the client tests (the real server and cache from control-plane/), and a
// recorder of client events that tests wait on instead of sleeping.
import {
  ecdsResources,
  meshwardNodeKey,
  meshwardRules,
  Snapshot,
  SnapshotCache,
  workloadKey,
  XdsServer,
  type XdsServerOptions,
} from '../../../control-plane/src/xds/index.js';

export const WASM = { code: { local: { filename: '/etc/meshward/meshward.wasm' } } };
export const HTTP_NAME = 'meshward.http.shop.orders';

/** A compiled-looking policy document; `schema` other than 1 is what the test filter refuses. */
export function policy(revision: number, schema = 1): string {
  return JSON.stringify({ schema, workload: { namespace: 'shop', name: 'orders' }, mode: 'protect', revision });
}

export function ordersSnapshot(json: string): Snapshot {
  return Snapshot.from(ecdsResources({ namespace: 'shop', name: 'orders' }, json, WASM));
}

export type ServerEvent = { type: 'ack'; version: string } | { type: 'nack'; message: string };

export interface ControlPlane {
  cache: SnapshotCache;
  server: XdsServer;
  address: string;
  /** ACKs and NACKs as the server processed them. */
  events: Events<ServerEvent>;
  publish(json: string): void;
  close(): Promise<void>;
}

export async function startControlPlane(json: string | undefined, options: Partial<XdsServerOptions> = {}): Promise<ControlPlane> {
  const cache = new SnapshotCache({ rules: meshwardRules });
  if (json !== undefined) cache.setSnapshot(workloadKey('shop', 'orders'), ordersSnapshot(json));
  const events = new Events<ServerEvent>();
  const server = await XdsServer.start({
    watcher: cache,
    nodeKey: meshwardNodeKey(),
    hooks: { onAck: (_s, a) => events.push({ type: 'ack', version: a.version }), onNack: (_s, n) => events.push({ type: 'nack', message: n.message }) },
    ...options,
  });
  return {
    cache,
    server,
    address: server.address,
    events,
    publish: (j) => cache.setSnapshot(workloadKey('shop', 'orders'), ordersSnapshot(j)),
    close: async () => {
      cache.close();
      await server.close(100);
    },
  };
}

/** The filter's stand-in: accepts schema 1 documents, refuses others, records what it applied. */
export class FakeProxy {
  readonly applied: { json: string; version: string }[] = [];
  current: string | undefined;
  private waiters: { n: number; resolve: () => void }[] = [];

  apply = (json: string, version: string): { ok: boolean; reason?: string } => {
    const doc = JSON.parse(json) as { schema?: number };
    if (doc.schema !== 1) return { ok: false, reason: `schema ${doc.schema} is not supported` };
    this.current = json;
    this.applied.push({ json, version });
    this.waiters = this.waiters.filter((w) => (this.applied.length >= w.n ? (w.resolve(), false) : true));
    return { ok: true };
  };

  /** Resolves once `n` configurations have been applied in all. */
  appliedCount(n: number): Promise<void> {
    if (this.applied.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** Collects events of type T; next(type) resolves on the next one of that type (or a queued one). */
export class Events<E extends { type: string }> {
  readonly all: E[] = [];
  private seen = new Map<string, number>();
  private waiters: { type: string; resolve: (e: E) => void }[] = [];

  push = (e: E): void => {
    this.all.push(e);
    const w = this.waiters.find((x) => x.type === e.type);
    if (w) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      this.seen.set(e.type, (this.seen.get(e.type) ?? 0) + 1);
      w.resolve(e);
    }
  };

  /** The next event of `type` not yet returned by next(). */
  next<T extends E['type']>(type: T): Promise<Extract<E, { type: T }>> {
    const used = this.seen.get(type) ?? 0;
    const ofType = this.all.filter((e) => e.type === type);
    if (ofType.length > used) {
      this.seen.set(type, used + 1);
      return Promise.resolve(ofType[used] as Extract<E, { type: T }>);
    }
    return new Promise((resolve) => this.waiters.push({ type, resolve: resolve as (e: E) => void }));
  }
}
