// The live stream's subscribers without sockets: a sink that pushes back like a full socket, the
// per-client queue filling to its limit, drops counted and announced first when it drains, the
// filters, and the client limit.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { EventStream, type StreamSink } from '../../src/events/event-stream.js';
import { asIngested, makeEvent } from '../support/event-fixtures.js';

/** Takes `room` writes, then answers false until `drain()`. */
class Sink extends EventEmitter implements StreamSink {
  chunks: string[] = [];
  ended = false;
  constructor(private room = Infinity) {
    super();
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return --this.room > 0;
  }
  end(): void {
    this.ended = true;
  }
  drain(room = Infinity): void {
    this.room = room;
    this.emit('drain');
  }
  messages(type: string): Array<Record<string, unknown>> {
    return this.chunks.filter((c) => c.includes(`event: ${type}\n`)).map((c) => JSON.parse(/data: (.*)\n/.exec(c)![1]) as Record<string, unknown>);
  }
}

const ev = (kind = 'http.policy', over = {}) => asIngested(makeEvent({ kind, severity: 'medium', action: 'alert', mode: 'monitor', ...over }));

describe('event stream', () => {
  it('queues up to clientBuffer while the socket pushes back, drops the rest, and says so first on drain', () => {
    const stream = new EventStream({ clientBuffer: 3, heartbeatMs: 60_000 });
    const sink = new Sink(2); // the hello and one event fit
    stream.subscribe(sink, {});
    const sent = Array.from({ length: 10 }, () => ev());
    stream.stored(sent);
    assert.equal(sink.messages('event').length, 1);
    assert.equal(stream.stats().dropped, 6, '1 written, 3 queued, 6 dropped');
    sink.drain();
    const after = sink.chunks.slice(2);
    assert.match(after[0], /^event: dropped\ndata: \{"dropped":6,"total":6\}/);
    assert.deepEqual(sink.messages('event').map((m) => (m.event as { id: string }).id), [sent[0], ...sent.slice(1, 4)].map((e) => e.event.id));
    stream.stored([ev()]);
    assert.equal(sink.messages('event').length, 5, 'flowing again');
    stream.close();
    assert.equal(sink.ended, true);
  });

  it('passes only what a subscriber asked for; flow records only with flows', () => {
    const stream = new EventStream({ heartbeatMs: 60_000 });
    const all = new Sink();
    const attacks = new Sink();
    const withFlows = new Sink();
    stream.subscribe(all, {});
    stream.subscribe(attacks, { kind: 'http.*', minSeverity: 3 });
    stream.subscribe(withFlows, { flows: true, workload: 'orders', namespace: 'shop' });
    stream.stored([ev('http.policy'), ev('http.attack', { severity: 'high' }), ev('flow.http', { severity: 'info', action: 'allow' }), ev('http.policy', { workload: { namespace: 'shop', name: 'cart' } })]);
    const kinds = (s: Sink) => s.messages('event').map((m) => (m.event as { kind: string }).kind);
    assert.deepEqual(kinds(all), ['http.policy', 'http.attack', 'http.policy']);
    assert.deepEqual(kinds(attacks), ['http.attack']);
    assert.deepEqual(kinds(withFlows), ['http.policy', 'http.attack', 'flow.http']);
    stream.close();
  });

  it('refuses clients beyond maxClients, counted', () => {
    const stream = new EventStream({ maxClients: 1, heartbeatMs: 60_000 });
    assert.ok(stream.subscribe(new Sink(), {}));
    assert.equal(stream.subscribe(new Sink(), {}), undefined);
    assert.equal(stream.stats().refused, 1);
    stream.close();
  });
});
