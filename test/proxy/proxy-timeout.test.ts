// Envoy's route timeout in `meshward proxy`: from the end of the request to the end of the
// upstream response. An upstream that has not answered gets a 504 local reply (through the
// filter, as Envoy's local replies are) and its request is abandoned; one whose response has
// started is reset. Counted as upstreamTimeouts.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ordersPolicy, startHarness, type Harness } from '../support/proxy-harness.js';
import { waitUntil } from '../support/wait.js';

describe('meshward proxy, route timeout', { timeout: 30_000 }, () => {
  let hanging: http.Server;
  let upstreamClosed = 0;
  let h: Harness;

  before(async () => {
    // An upstream that takes requests and never answers.
    hanging = http.createServer((req) => req.on('close', () => upstreamClosed++));
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    h = await startHarness({ policy: ordersPolicy('monitor'), routeTimeoutMs: 300 });
  });
  after(async () => {
    await h.close();
    hanging.closeAllConnections();
    await new Promise((r) => hanging.close(r));
  });

  it('answers 504 "upstream request timeout" when the upstream does not answer in time, and abandons it', async () => {
    const slow = await startHarness({ policy: ordersPolicy('monitor'), routeTimeoutMs: 300, upstream: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` });
    try {
      const r = await fetch(`${slow.url}/api/orders/1`);
      assert.equal(r.status, 504);
      assert.equal(await r.text(), 'upstream request timeout');
      const s = slow.proxy.proxy.stats().proxy;
      assert.equal(s.upstreamTimeouts, 1);
      await waitUntil(() => upstreamClosed === 1, 'the upstream request abandoned');
      assert.equal((await fetch(`${slow.url}/api/orders/2`)).status, 504, 'and the next one too');
    } finally {
      await slow.close();
    }
  });

  it('passes a response that completes in time', async () => {
    const r = await fetch(`${h.url}/api/orders/1`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.equal(h.proxy.proxy.stats().proxy.upstreamTimeouts, 0);
  });

  it('resets a response that started but did not finish in time', async () => {
    const r = await fetch(`${h.url}/download?size=262144&gate=never`);
    assert.equal(r.status, 200, 'the headers went downstream before the timeout');
    await assert.rejects(r.arrayBuffer(), 'the body ends in a reset, not a short success');
    assert.equal(h.proxy.proxy.stats().proxy.upstreamTimeouts, 1);
    assert.ok(h.proxy.proxy.stats().proxy.streamsReset >= 1);
  });
});
