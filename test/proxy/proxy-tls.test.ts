// TLS with client certificates: the URI SAN of the client's certificate is the peer principal
// the policy sees, over HTTP/1.1 and HTTP/2 (ALPN); a certificate from another CA is refused.
import assert from 'node:assert/strict';
import https from 'node:https';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { ordersPolicy, startHarness, type Harness } from '../support/proxy-harness.js';
import { waitUntil } from '../support/wait.js';

const ADMIN = 'spiffe://cluster.local/ns/shop/sa/admin';
const FRONTEND = 'spiffe://cluster.local/ns/shop/sa/frontend';

describe('meshward proxy, mTLS', { timeout: 30_000 }, () => {
  let pki: TestPki;
  let h: Harness;
  let base: string;

  before(async () => {
    pki = makeTestPki();
    h = await startHarness({
      policy: ordersPolicy('protect'),
      tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert },
    });
    base = `https://127.0.0.1:${h.port}`;
  });
  after(async () => {
    await h.close();
    pki.cleanup();
  });

  function call(identity: { cert: string; key: string }, method: string, path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${base}${path}`, {
        method,
        cert: readFileSync(identity.cert),
        key: readFileSync(identity.key),
        ca: readFileSync(pki.caCert),
        agent: false,
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('takes the principal from the client certificate: the admin may delete', async () => {
    assert.equal(await call(pki.client('admin', ADMIN), 'DELETE', '/api/orders/1'), 200);
    assert.ok(h.app.seen.some((s) => s.method === 'DELETE'));
  });

  it('another service account may not, and the event names its principal and mTLS', async () => {
    assert.equal(await call(pki.client('frontend', FRONTEND), 'DELETE', '/api/orders/2'), 403);
    const e = await h.events.waitFor((ev) => ev.kind === 'http.policy' && (ev.http as { path: string }).path === '/api/orders/2');
    const source = e.source as { principal: string; namespace: string };
    assert.equal(source.principal, FRONTEND);
    assert.equal(source.namespace, 'shop');
    assert.equal(await call(pki.client('frontend2', FRONTEND), 'GET', '/api/orders/2'), 200);
  });

  it('works the same over HTTP/2 negotiated by ALPN', async () => {
    const admin = pki.client('admin-h2', ADMIN);
    const session = http2.connect(base, { cert: readFileSync(admin.cert), key: readFileSync(admin.key), ca: readFileSync(pki.caCert) });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const s = session.request({ ':method': 'DELETE', ':path': '/api/orders/3' });
        s.on('response', (hd) => resolve(Number(hd[':status'])));
        s.on('error', reject);
        s.resume();
        s.end();
      });
      assert.equal(status, 200);
    } finally {
      session.close();
    }
  });

  it('refuses a client certificate from an untrusted CA at the handshake', async () => {
    const before = h.proxy.proxy.stats().proxy.tlsHandshakeErrors;
    await assert.rejects(call(pki.rogueClient(ADMIN), 'DELETE', '/api/orders/4'));
    assert.ok(!h.app.seen.some((s) => s.path === '/api/orders/4'));
    // The server counts the failed handshake once it has processed the client's alert.
    await waitUntil(() => h.proxy.proxy.stats().proxy.tlsHandshakeErrors > before, 'the handshake error count');
    assert.equal(h.proxy.proxy.stats().proxy.tlsHandshakeErrors, before + 1);
  });
});
