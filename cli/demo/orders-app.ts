// A tiny orders service for the demo: the application `meshward proxy` guards.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Order {
  id: number;
  item: string;
  quantity: number;
}

export async function startOrdersApp(host = '127.0.0.1', port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const orders = new Map<number, Order>([
    [1, { id: 1, item: 'espresso beans', quantity: 2 }],
    [2, { id: 2, item: 'milk frother', quantity: 1 }],
  ]);
  let nextId = 3;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://orders');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    const m = /^\/api\/orders(?:\/(\d+))?$/.exec(url.pathname);
    if (url.pathname === '/healthz') return json(200, { ok: true });
    if (!m) return json(404, { error: 'not found' });
    const id = m[1] ? Number(m[1]) : undefined;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (id === undefined) return json(200, [...orders.values()]);
      const o = orders.get(id);
      return o ? json(200, o) : json(404, { error: 'no such order' });
    }
    if (req.method === 'POST' && id === undefined) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        try {
          const input = JSON.parse(body || '{}') as Partial<Order>;
          const order: Order = { id: nextId++, item: String(input.item ?? 'unknown'), quantity: Number(input.quantity ?? 1) };
          orders.set(order.id, order);
          json(201, order);
        } catch {
          json(400, { error: 'body must be JSON' });
        }
      });
      return;
    }
    if (req.method === 'DELETE' && id !== undefined) {
      return orders.delete(id) ? json(200, { deleted: id }) : json(404, { error: 'no such order' });
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
