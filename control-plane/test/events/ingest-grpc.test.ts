// The agents' stream: acks in order, RETRY when the queue is full (nothing kept), and the
// per-node authorization.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentEventsServer } from '../../src/events/ingest-grpc.js';
import { EventIngest } from '../../src/events/ingest.js';
import { IngestAuth } from '../../src/events/ingest-auth.js';
import { openSqliteStore, type EventStore } from '../../src/store/index.js';
import { AgentEventsClient } from '../../../test/support/agent-events-client.js';
import { makeEvent } from '../support/event-fixtures.js';

describe('agent event stream', () => {
  let store: EventStore;
  let server: AgentEventsServer;
  let ingest: EventIngest;
  let hold: Promise<void> | undefined;
  let release = () => {};
  const auth = new IngestAuth(Buffer.alloc(32, 2), undefined, false);

  before(async () => {
    store = await openSqliteStore(':memory:');
    const held = Object.create(store) as EventStore;
    held.insertEvents = async (e) => {
      if (hold) await hold;
      return store.insertEvents(e);
    };
    ingest = new EventIngest({ store: held, queueLimit: 3, maxBatchEvents: 3 });
    server = await AgentEventsServer.start({ ingest, auth, host: '127.0.0.1', port: 0, workloadsOnNode: () => new Set(['shop/orders']), nodesOf: () => ['n1'] });
  });
  after(async () => {
    await ingest.close();
    await server.close();
    await store.close();
  });

  it('answers RETRY when the batch does not fit, and STORED when resent', async () => {
    const a = new AgentEventsClient(server.address, 'n1', auth.nodeToken('n1'));
    const b = new AgentEventsClient(server.address, 'n1', auth.nodeToken('n1'));
    hold = new Promise((r) => (release = r));
    const first = a.send([makeEvent(), makeEvent()]);
    while (ingest.stats().queueDepth < 2) await new Promise((r) => setTimeout(r, 5));
    const batch = [makeEvent(), makeEvent()];
    const refused = await b.send(batch);
    assert.equal(refused.status, 'RETRY');
    assert.ok(refused.retry_after_ms > 0);
    assert.match(refused.message, /queue is full/);
    hold = undefined;
    release();
    assert.equal((await first).status, 'STORED');
    const again = await b.send(batch, 0);
    assert.deepEqual([again.status, again.accepted], ['STORED', 2]);
    assert.equal(String(again.sequence), '2');
    a.close();
    b.close();
  });

  it('refuses a stream without a node name', async () => {
    const c = new AgentEventsClient(server.address, '', auth.nodeToken('n1'));
    assert.equal((await c.ended).code, 16);
    c.close();
    assert.ok(server.stats().streamsUnauthenticated >= 1);
  });
});
