// The server holds the connections it serves: kill() drops them at once, as a crash would, and
// close(grace) ends streams, stops listening and drops what is still open after the grace.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { METHOD } from '../../src/xds/index.js';
import { startTestServer } from './support/fixtures.js';

/** An HTTP/2 connection with one open ADS stream that sends nothing (an idle client). */
async function idleClient(port: number): Promise<{ session: http2.ClientHttp2Session; closed: Promise<unknown> }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const closed = once(session, 'close');
  const stream = session.request({ ':method': 'POST', ':path': METHOD.adsDelta, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => {});
  await once(stream, 'response'); // the server sends headers at once
  return { session, closed };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('server connections', { timeout: 30_000 }, () => {
  it('kill() drops every connection at once and stops listening', async () => {
    const t = await startTestServer();
    const a = await idleClient(t.server.port);
    const b = await idleClient(t.server.port);
    t.server.kill();
    await Promise.all([a.closed, b.closed]);
    assert.equal(await refused(t.server.port), true, 'nothing listens any more');
    await t.close();
  });

  it('close(grace) resolves once the connections are gone, dropping those still open after the grace', async () => {
    const t = await startTestServer();
    const a = await idleClient(t.server.port);
    // A client that keeps its connection: the stream ends with UNAVAILABLE, the session stays.
    const started = performance.now();
    await t.server.close(300);
    await a.closed;
    assert.ok(performance.now() - started < 5_000);
    assert.equal(await refused(t.server.port), true);
    await t.close();
  });
});
