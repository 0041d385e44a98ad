// The demo's payments service: takes charges from the storefront. The card number stays here:
// the answer carries only a charge id and the last four digits.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startPaymentsApp(host = '127.0.0.1', port = 0): Promise<{ url: string; close(): Promise<void> }> {
  let next = 1;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://payments');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    if (req.method === 'GET' && url.pathname === '/healthz') return json(200, { ok: true });
    if (req.method === 'POST' && url.pathname === '/api/charges') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        try {
          const input = JSON.parse(body || '{}') as { amount?: number; card?: string };
          json(201, { id: `ch_${next++}`, amount: Number(input.amount ?? 0), last4: String(input.card ?? '').slice(-4) });
        } catch {
          json(400, { error: 'body must be JSON' });
        }
      });
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
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
