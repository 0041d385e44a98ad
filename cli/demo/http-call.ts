// An HTTP call from one demo service to another's sidecar, from a chosen loopback source address:
// the plaintext stand-in for mTLS (the sidecars map source addresses to identities, `--peers`).
import http from 'node:http';

export interface CallResult {
  status: number;
  body: string;
}

export function httpCall(url: string, o: { method?: string; from?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', localAddress: o.from, headers: { ...(o.body ? { 'content-type': 'application/json' } : {}), ...o.headers }, agent: false, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${url}: no answer within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
