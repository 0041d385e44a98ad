// The demo's storefront: the service customers call. It serves a small shop page and an API that
// calls the orders and payments services through their sidecars, from its own source address
// (its identity in the demo's peers file).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpCall } from './http-call.js';

export interface StorefrontOptions {
  host?: string;
  port?: number;
  /** The orders and payments sidecars. */
  orders: string;
  payments: string;
  /** The source address the storefront calls from (its identity). */
  callFrom?: string;
}

const PRODUCTS = [
  { sku: 'beans', name: 'espresso beans', price: 14.5 },
  { sku: 'frother', name: 'milk frother', price: 39 },
  { sku: 'grinder', name: 'burr grinder', price: 129 },
];

const PAGE = `<!doctype html><meta charset="utf-8"><title>Meshward demo shop</title>
<h1>Demo shop</h1><p>A storefront calling an orders and a payments service, each behind meshward proxy.</p>
<ul>${PRODUCTS.map((p) => `<li>${p.name}: ${p.price}</li>`).join('')}</ul>`;

export async function startStorefrontApp(o: StorefrontOptions): Promise<{ url: string; close(): Promise<void> }> {
  const from = o.callFrom;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://storefront');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    const relay = (p: Promise<{ status: number; body: string }>) =>
      void p.then(
        (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body),
        (err: Error) => json(502, { error: `upstream: ${err.message}` }),
      );
    if (req.method === 'GET' && url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    if (req.method === 'GET' && url.pathname === '/healthz') return json(200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/api/products') return json(200, PRODUCTS);
    if (req.method === 'GET' && url.pathname === '/api/orders') return relay(httpCall(`${o.orders}/api/orders`, { from }));
    if (req.method === 'POST' && url.pathname === '/api/checkout') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        let input: { sku?: string; quantity?: number };
        try {
          input = JSON.parse(body || '{}') as typeof input;
        } catch {
          return json(400, { error: 'body must be JSON' });
        }
        const product = PRODUCTS.find((p) => p.sku === input.sku) ?? PRODUCTS[0];
        const quantity = Number(input.quantity ?? 1);
        void (async () => {
          const charge = await httpCall(`${o.payments}/api/charges`, { method: 'POST', from, body: JSON.stringify({ amount: product.price * quantity, card: '4000 0000 0000 0002' }) });
          if (charge.status !== 201) return json(402, { error: 'payment refused', status: charge.status });
          const order = await httpCall(`${o.orders}/api/orders`, { method: 'POST', from, body: JSON.stringify({ item: product.name, quantity }) });
          res.writeHead(order.status, { 'content-type': 'application/json' }).end(order.body);
        })().catch((err: Error) => json(502, { error: `upstream: ${err.message}` }));
      });
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
