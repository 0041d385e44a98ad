import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WasmResult } from '../../src/wasm-host/status.js';
import { GET, httpStream, start, withPlugin } from './support.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: Seen[] = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

describe('proxy_http_call', () => {
  it('sends the request to the cluster and answers on the root context; the stream resumes', async () => {
    const up = await server((_req, res) => {
      res.writeHead(201, { 'x-test': 'yes', trailer: 'x-trailer' });
      res.addTrailers({ 'x-trailer': 'tv' });
      res.end('pong');
    });
    const s = await start('http-call:auth,/check', { clusters: { auth: { url: up.url } } });
    try {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.match(s.logs.matching('http_call ')[0], /status=0 token=4$/, 'tokens are 4, 8, 12...');
      assert.deepEqual(sink.events, [], 'the stream waits for the answer');
      const headers = (await sink.waitFor('requestHeaders'))[1];
      assert.deepEqual(headers.at(-1), ['x-call-status', '201']);

      assert.equal(up.seen.length, 1);
      const req = up.seen[0];
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/check');
      assert.equal(req.headers.host, 'upstream.test', ':authority becomes the host');
      assert.equal(req.headers['x-from'], 'wasm');
      assert.equal(req.headers['content-length'], '4');
      assert.equal(req.body, 'ping');

      const line = s.logs.matching('http_call_response')[0];
      assert.match(line, /^http_call_response root=1 token=4 nh=\d+ body_size=4 nt=1 status=0: :status=201 x-test=yes body=pong trailers=x-trailer=tv$/);
      assert.ok(Number(/nh=(\d+)/.exec(line)![1]) >= 2);
      assert.equal(s.logs.get('hcr.body_in_stream'), 'pong', 'readable from the stream made effective');
      assert.equal(s.logs.matching('continued')[0].endsWith('effective=0 status=0'), true);
      assert.equal(s.plugin.stats().httpCallsStarted, 1);
      assert.equal(s.plugin.stats().httpCallsFailed, 0);
    } finally {
      await s.close();
      await up.close();
    }
  });

  it('refuses an unknown cluster and headers without :path (BadArgument)', async () => {
    await withPlugin('http-call:nowhere,/x', async (unknown) => {
      const { stream, sink } = httpStream(unknown);
      stream.decodeHeaders(GET, true);
      assert.match(unknown.logs.matching('http_call ')[0], new RegExp(`status=${WasmResult.BadArgument} token=0$`));
      assert.deepEqual(sink.kinds(), ['requestHeaders']);
    });
    await withPlugin('http-call-nopath:auth', async (noPath) => {
      const { stream } = httpStream(noPath);
      stream.decodeHeaders(GET, true);
      assert.equal(noPath.logs.get('hc.nopath'), String(WasmResult.BadArgument));
      assert.equal(noPath.plugin.stats().httpCallsStarted, 0);
    }, { clusters: { auth: { url: 'http://127.0.0.1:9' } } });
  });

  it('a timeout is answered as Envoy\'s router answers it: 504 "upstream request timeout"', async () => {
    const up = await server(() => undefined);
    const s = await start('http-call:auth,/slow,50', { clusters: { auth: { url: up.url } } });
    try {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      await sink.waitFor('requestHeaders');
      assert.match(s.logs.matching('http_call_response')[0], /nh=3 body_size=24 nt=0 status=0: :status=504 x-test=<1> body=upstream request timeout trailers=$/);
      assert.equal(s.plugin.stats().httpCallsFailed, 1);
    } finally {
      await s.close();
      await up.close();
    }
  });

  it('a refused connection is a 503 from the router', async () => {
    const gone = await server(() => undefined);
    const url = gone.url;
    await gone.close();
    await withPlugin('http-call:auth,/x', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      await sink.waitFor('requestHeaders');
      assert.match(
        s.logs.matching('http_call_response')[0],
        /:status=503 x-test=<1> body=upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/,
      );
      assert.equal(s.plugin.stats().httpCallsFailed, 1);
    }, { clusters: { auth: { url } } });
  });

  it('a reset after the response started is (0, 0, 0) with status BrokenConnection "reset"', async () => {
    const up = await server((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    });
    const s = await start('http-call:auth,/x', { clusters: { auth: { url: up.url } } });
    try {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      await sink.waitFor('requestHeaders');
      assert.match(
        s.logs.matching('http_call_response')[0],
        new RegExp(`nh=0 body_size=0 nt=0 status=${WasmResult.BrokenConnection}:reset :status=<${WasmResult.BadArgument}>`),
      );
      assert.equal(s.plugin.stats().httpCallsFailed, 1);
    } finally {
      await s.close();
      await up.close();
    }
  });
});
