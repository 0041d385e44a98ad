import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedQueues } from '../../src/wasm-host/shared-queue.js';
import { WasmResult } from '../../src/wasm-host/status.js';
import { start, withPlugin } from './support.js';

describe('shared queues', () => {
  it('register, resolve, enqueue, dequeue (unit)', async () => {
    const q = new SharedQueues();
    const ready: Array<[number, number]> = [];
    const owner = { closed: false, queueReady: (ctx: number, token: number) => ready.push([ctx, token]) };
    const token = q.register('vm', 'q', owner, 7);
    assert.ok(token > 0);
    assert.equal(q.register('vm', 'q', owner, 9), token, 'registering again reuses the queue');
    assert.equal(q.resolve('vm', 'q'), token);
    assert.equal(q.resolve('vm', 'other'), 0);
    assert.equal(q.dequeue(token).result, WasmResult.Empty);
    assert.equal(q.enqueue(token, Buffer.from('a')), WasmResult.Ok);
    assert.deepEqual(ready, [], 'proxy_on_queue_ready is posted, not called inline');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ready, [[9, token]], 'to the context that registered last');
    assert.equal(Buffer.from(q.dequeue(token).value!).toString(), 'a');
    assert.equal(q.dequeue(12345).result, WasmResult.NotFound);
    assert.equal(q.enqueue(12345, Buffer.from('x')), WasmResult.NotFound);
  });

  it('carries items between two VMs and wakes the registering root context', async () => {
    await withPlugin('queue-register:events', async (consumer) => {
      const registered = consumer.logs.matching('queue_register').at(-1)!;
      const token = registered.split('token=')[1];
      const producer = await start('queue-enqueue:q-consumer,events,one,two', {}, { vmId: 'q-producer' });
      try {
        assert.equal(producer.logs.matching('queue_resolve').at(-1), `queue_resolve status=0 token=${token}`);
        assert.equal(producer.logs.get('q.resolve_missing'), String(WasmResult.NotFound));
        assert.equal(producer.logs.get('q.enqueue_unknown'), String(WasmResult.NotFound));
        assert.equal(producer.logs.get('q.dequeue_unknown'), String(WasmResult.NotFound));
        assert.equal(consumer.logs.matching('queue_ready').length, 0, 'delivered on a later turn');
        const line = await consumer.logs.waitFor('queue_ready');
        // The canary and the live producer each enqueued two items.
        assert.equal(line, `queue_ready root=1 token=${token} items=one,two,one,two last=${WasmResult.Empty}`);
      } finally {
        await producer.close();
      }
    }, {}, { vmId: 'q-consumer' });
  });
});
