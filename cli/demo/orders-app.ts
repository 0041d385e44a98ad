// The demo's orders service: the application `meshward proxy` guards. Orders live in the store it
// is given (PostgreSQL with a Redis cache under `meshward up`, memory otherwise). Card numbers are
// masked everywhere but `/api/orders/export`, a reporting endpoint left reachable: the data leak
// the scripted attack finds.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryOrdersStore, type Order, type OrdersStore } from './orders-store.js';

const masked = (o: Order) => ({ id: o.id, item: o.item, quantity: o.quantity, card: `**** ${o.card.slice(-4)}` });

export async function startOrdersApp(host = '127.0.0.1', port = 0, store: OrdersStore = memoryOrdersStore()): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://orders');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    const fail = (err: Error) => json(500, { error: `store: ${err.message}` });
    if (url.pathname === '/healthz') return json(200, { ok: true, store: store.kind });
    if (url.pathname === '/api/orders/export' && req.method === 'GET') {
      void store.list().then((orders) => {
        res.writeHead(200, { 'content-type': 'text/csv' }).end(['id,item,quantity,card', ...orders.map((o) => `${o.id},${o.item},${o.quantity},${o.card}`)].join('\n') + '\n');
      }, fail);
      return;
    }
    const m = /^\/api\/orders(?:\/(\d+))?$/.exec(url.pathname);
    if (!m) return json(404, { error: 'not found' });
    const id = m[1] ? Number(m[1]) : undefined;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (id === undefined) return void store.list().then((list) => json(200, list.map(masked)), fail);
      return void store.get(id).then((o) => (o ? json(200, masked(o)) : json(404, { error: 'no such order' })), fail);
    }
    if (req.method === 'POST' && id === undefined) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        let input: Partial<Order>;
        try {
          input = JSON.parse(body || '{}') as Partial<Order>;
        } catch {
          return json(400, { error: 'body must be JSON' });
        }
        void store.add({ item: String(input.item ?? 'unknown'), quantity: Number(input.quantity ?? 1), card: String(input.card ?? '4000 0000 0000 0002') }).then((o) => json(201, masked(o)), fail);
      });
      return;
    }
    if (req.method === 'DELETE' && id !== undefined) {
      return void store.remove(id).then((ok) => (ok ? json(200, { deleted: id }) : json(404, { error: 'no such order' })), fail);
    }
    json(405, { error: 'method not allowed' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
