// Hooks (optional, synchronous, a throw ends the stream) and the server's metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TYPE_URL, type StreamInfo, type XdsHooks } from '../../src/xds/index.js';
import { ORDERS_HTTP, ORDERS_KEY, withServer, workloadSnapshot } from './support/fixtures.js';
import { nodeFor, RawStream } from './support/raw-client.js';

const ECDS = TYPE_URL.extensionConfig;
const NODE = nodeFor('shop', 'orders');

describe('hooks', { timeout: 30_000 }, () => {
  it('are called in protocol order with the stream (node, key) and the event', async () => {
    const calls: string[] = [];
    let info: StreamInfo | undefined;
    const hooks: XdsHooks = {
      onStreamOpen: (s) => calls.push(`open ${s.protocol} ${s.service}`),
      onRequest: (s, r) => {
        info = s;
        calls.push(`request ${r.nonce || '-'}${r.errorDetail ? ' nack' : ''}`);
      },
      onResponse: (_s, r) => calls.push(`response ${r.nonce} ${r.cause} ${r.resources.map((x) => x.name).join(',')}`),
      onAck: (_s, a) => calls.push(`ack ${a.nonce}`),
      onNack: (_s, n) => calls.push(`nack ${n.nonce} ${n.message}`),
      onStreamClose: () => calls.push('close'),
    };
    await withServer(
      async (t, track) => {
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
        const s = track(RawStream.delta(t.address));
        s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
        const r1 = await s.next();
        s.send({ type_url: ECDS, response_nonce: r1.nonce });
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
        const r2 = await s.next();
        s.send({ type_url: ECDS, response_nonce: r2.nonce, error_detail: { code: 3, message: 'no' } });
        await s.expectNothing();
        s.close();
        await t.server.close(100);
        assert.equal(info?.key, ORDERS_KEY);
        assert.equal(info?.node?.metadata.WORKLOAD_NAME, 'orders');
        assert.deepEqual(calls.slice(0, 7), [
          'open delta ads',
          'request -',
          `response 1 request ${ORDERS_HTTP}`,
          'request 1',
          'ack 1',
          `response 2 push ${ORDERS_HTTP}`,
          'request 2 nack',
        ]);
        assert.equal(calls[7], 'nack 2 no');
        assert.equal(calls.at(-1), 'close');
      },
      { hooks },
    );
  });

  it('a hook that throws ends the stream with INTERNAL and is counted; a throwing onStreamClose is only counted', async () => {
    await withServer(
      async (t, track) => {
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
        const s = track(RawStream.sotw(t.address));
        s.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
        const status = await s.ended;
        assert.equal(status.code, 13);
        assert.equal(status.details, 'hook onRequest failed: audit log is full');
        assert.equal(t.server.metrics().hookErrors, 2, 'onRequest, then onStreamClose');
        assert.equal(t.server.metrics().streamsActive, 0);
      },
      {
        hooks: {
          onRequest: () => {
            throw new Error('audit log is full');
          },
          onStreamClose: () => {
            throw new Error('ignored');
          },
        },
      },
    );
  });
});

describe('metrics', { timeout: 30_000 }, () => {
  it('count streams (and the active gauge), pushes, ACKs, and observe push latency up to the ACK', async () => {
    let streamClosed!: () => void;
    const closed = new Promise<void>((r) => (streamClosed = r));
    await withServer(async (t, track) => {
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 1));
      const a = track(RawStream.sotw(t.address));
      const b = track(RawStream.delta(t.address));
      a.send({ node: NODE, type_url: ECDS, resource_names: [ORDERS_HTTP] });
      b.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
      const ra = await a.next();
      const rb = await b.next();
      a.send({ type_url: ECDS, version_info: ra.version_info, response_nonce: ra.nonce, resource_names: [ORDERS_HTTP] });
      b.send({ type_url: ECDS, response_nonce: rb.nonce });
      t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 2));
      const pa = await a.next();
      const pb = await b.next();
      a.send({ type_url: ECDS, version_info: pa.version_info, response_nonce: pa.nonce, resource_names: [ORDERS_HTTP] });
      b.send({ type_url: ECDS, response_nonce: pb.nonce });
      await a.expectNothing();
      await b.expectNothing();
      const m = t.server.metrics();
      assert.equal(m.streamsOpened, 2);
      assert.equal(m.streamsActive, 2);
      assert.equal(m.pushes, 2);
      assert.equal(m.acks, 4);
      assert.equal(m.pushLatencyMs.count, 2, 'one observation per ACKed push');
      assert.equal(m.pushLatencyMs.counts.reduce((x, y) => x + y, 0), 2);
      assert.equal(m.pushLatencyMs.counts.length, m.pushLatencyMs.buckets.length + 1);
      a.close();
      await closed;
      assert.equal(t.server.metrics().streamsClosed, 1);
      assert.equal(t.server.metrics().streamsActive, 1);
    }, { hooks: { onStreamClose: () => streamClosed() } });
  });

  it('the NACK log is bounded, and what it drops is counted', async () => {
    await withServer(
      async (t, track) => {
        t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', 0));
        const s = track(RawStream.delta(t.address));
        s.send({ node: NODE, type_url: ECDS, resource_names_subscribe: [ORDERS_HTTP] });
        let r = await s.next();
        for (let i = 1; i <= 3; i++) {
          s.send({ type_url: ECDS, response_nonce: r.nonce, error_detail: { code: 3, message: `bad ${i}` } });
          t.cache.setSnapshot(ORDERS_KEY, workloadSnapshot('shop', 'orders', i));
          r = await s.next();
        }
        s.send({ type_url: ECDS, response_nonce: r.nonce });
        await s.expectNothing();
        assert.deepEqual(t.server.nacks().map((n) => n.message), ['bad 2', 'bad 3']);
        assert.equal(t.server.metrics().nackLogOverflow, 1);
        assert.equal(t.server.metrics().nacks, 3);
      },
      { nackLogSize: 2 },
    );
  });
});
