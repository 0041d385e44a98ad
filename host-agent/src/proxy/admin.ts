// The proxy's admin endpoint (Envoy's admin interface, reduced): readiness, stats as JSON or
// Prometheus text, and the plugin configuration, which can be replaced the way an ECDS push
// replaces it (a configuration the filter rejects answers 400 and changes nothing).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningProxy } from './proxy-server.js';

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

function prometheusName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function prometheus(proxy: RunningProxy): string {
  const s = proxy.stats();
  const lines: string[] = [];
  for (const [k, v] of Object.entries(s.proxy)) lines.push(`meshward_proxy_${prometheusName(k)} ${v}`);
  if (s.host) {
    for (const [k, v] of Object.entries(s.host)) {
      if (typeof v === 'number') lines.push(`meshward_host_${prometheusName(k)} ${v}`);
      else if (typeof v === 'boolean') lines.push(`meshward_host_${prometheusName(k)} ${v ? 1 : 0}`);
    }
  }
  for (const [k, v] of Object.entries(s.filter)) lines.push(`${prometheusName(k)} ${v}`);
  return lines.join('\n') + '\n';
}

export interface AdminServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startAdmin(proxy: RunningProxy, host: string, port: number): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, body: unknown, type = 'application/json') => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2) + '\n';
      res.writeHead(status, { 'content-type': type }).end(text);
    };
    if (req.method === 'GET' && url.pathname === '/ready') return send(200, 'LIVE\n', 'text/plain');
    if (req.method === 'GET' && url.pathname === '/stats') return send(200, proxy.stats());
    if (req.method === 'GET' && url.pathname === '/stats/prometheus') return send(200, prometheus(proxy), 'text/plain; version=0.0.4');
    if (req.method === 'GET' && url.pathname === '/config') {
      const c = proxy.configuration();
      return c === undefined ? send(404, { error: 'no filter configuration' }) : send(200, c, 'application/json');
    }
    if (req.method === 'PUT' && url.pathname === '/config') {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_CONFIG_BYTES) {
          send(413, { ok: false, reason: `configuration larger than ${MAX_CONFIG_BYTES} bytes` });
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        const result = proxy.reconfigure(Buffer.concat(chunks).toString('utf8'));
        send(result.ok ? 200 : 400, result);
      });
      return;
    }
    send(404, { error: `no such admin endpoint: ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
