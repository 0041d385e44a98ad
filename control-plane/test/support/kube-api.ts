// A minimal Kubernetes API server for the Kubernetes source's tests (no real cluster can run
// here): list and watch for the collections the source reads, with resourceVersions, as the
// API server's watch protocol has them (one JSON event per line on a chunked response).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = { metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

export class FakeKubeApi {
  private server!: http.Server;
  private rv = 1;
  private readonly collections = new Map<string, Map<string, Obj>>();
  private readonly watchers = new Map<string, Set<http.ServerResponse>>();
  /** Every change, so a watch from a list's resourceVersion gets what happened between the list
   * and the watch, as the real API server's watch cache gives it. */
  private readonly history: Array<{ path: string; rv: number; line: string }> = [];
  url = '';

  constructor(private readonly kinds: Record<string, string>) {
    for (const path of Object.keys(kinds)) {
      this.collections.set(path, new Map());
      this.watchers.set(path, new Set());
    }
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://kube');
      const items = this.collections.get(url.pathname);
      if (!items) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
        return;
      }
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders(); // a watch is open once its headers arrive, before any event
        const from = Number(url.searchParams.get('resourceVersion') ?? '');
        if (Number.isFinite(from) && from > 0) for (const h of this.history) if (h.path === url.pathname && h.rv > from) res.write(h.line);
        const set = this.watchers.get(url.pathname)!;
        set.add(res);
        res.on('close', () => set.delete(res));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: `${this.kinds[url.pathname]}List`,
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.rv) },
          items: [...items.values()],
        }),
      );
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Adds or replaces an object and tells every watcher. */
  put(path: string, obj: Obj): void {
    const items = this.collections.get(path)!;
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const type = items.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    items.set(key, stored);
    this.notify(path, type, stored);
  }

  remove(path: string, namespace: string, name: string): void {
    const items = this.collections.get(path)!;
    const obj = items.get(`${namespace}/${name}`);
    if (!obj) return;
    items.delete(`${namespace}/${name}`);
    this.notify(path, 'DELETED', { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
  }

  private notify(path: string, type: string, object: Obj): void {
    const line = JSON.stringify({ type, object }) + '\n';
    this.history.push({ path, rv: Number(object.metadata.resourceVersion), line });
    for (const res of this.watchers.get(path)!) res.write(line);
  }

  close(): Promise<void> {
    for (const set of this.watchers.values()) for (const res of set) res.end();
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
