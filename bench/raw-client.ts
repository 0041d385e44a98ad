// One HTTP/1.1 request written as raw bytes on its own connection, so that the benchmark can
// send what clients send (odd methods, repeated headers, raw UTF-8) without Node's client
// rewriting it. Resolves with the response status, or 0 when the connection failed or closed.
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: string;
}

export function rawRequest(port: number, r: RawRequest, extra: Array<[string, string]> = [], timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    const body = r.body !== undefined ? Buffer.from(r.body, 'utf8') : undefined;
    const lines = [`${r.method} ${r.path} HTTP/1.1`, `host: shop.example`];
    let hasLength = false;
    for (const [n, v] of [...r.headers, ...extra]) {
      if (n.toLowerCase() === 'content-length' || n.toLowerCase() === 'transfer-encoding') hasLength = true;
      lines.push(`${n}: ${v}`);
    }
    if (body && !hasLength) lines.push(`content-length: ${body.byteLength}`);
    lines.push('connection: close', '', '');
    const head = Buffer.from(lines.join('\r\n'), 'utf8');
    const s = connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    s.on('connect', () => {
      s.write(body ? Buffer.concat([head, body]) : head);
    });
    s.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      if (m) finish(Number(m[1]));
      else if (data.length > 64) finish(0);
    });
    s.on('error', () => finish(0));
    s.on('close', () => finish(0));
  });
}
