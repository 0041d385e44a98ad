import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNECTION, RecordingTcpSink, decode, idOf, type Started, withPlugin } from './support.js';

const b = (s: string) => Buffer.from(s);

function tcp(s: Started) {
  const sink = new RecordingTcpSink();
  const stream = s.plugin.createNetworkStream({ connection: CONNECTION }, sink);
  return { stream, sink };
}

describe('TCP (network filter)', () => {
  it('new connection, data both ways (modifiable), close callbacks, then done, log, delete', async () => {
    await withPlugin('tcp', async (s) => {
      s.logs.clear();
      const { stream, sink } = tcp(s);
      stream.onNewConnection();
      const id = idOf(s.logs.matching('create ')[0]);
      assert.equal(decode.str(s.logs.matching('new_connection')[0].split('source=')[1]), '10.1.2.3:51000');
      stream.onDownstreamData(b('hello'), false);
      stream.onDownstreamData(b('prefix me'), false);
      stream.onUpstreamData(b('resp'), false);
      assert.equal(s.logs.get('tcp.prefix'), '0');
      assert.deepEqual(sink.events, [
        { kind: 'upstreamWrite', data: 'hello', endStream: false },
        { kind: 'upstreamWrite', data: '>prefix me', endStream: false },
        { kind: 'downstreamWrite', data: 'resp', endStream: false },
      ]);
      stream.onUpstreamData(b('bye'), true);
      assert.equal(s.logs.messages().at(-1), `upstream_close ${id} peer=0`, 'upstream end of stream reports an UNKNOWN close');
      stream.onDownstreamClose('remote');
      assert.deepEqual(s.logs.messages().slice(-4), [`downstream_close ${id} peer=2`, `done ${id}`, `log ${id}`, `delete ${id}`]);
      assert.equal(s.plugin.stats().activeStreams, 0);
    });
  });

  it('a paused direction keeps its bytes: each callback sees all of them; continue hands them on', async () => {
    await withPlugin('tcp-continue', async (s) => {
      const { stream, sink } = tcp(s);
      stream.onNewConnection();
      stream.onDownstreamData(b('hold-1'), false);
      stream.onDownstreamData(b('-more'), false);
      assert.deepEqual(
        s.logs.matching('downstream_data').map((l) => l.replace(/^downstream_data \d+ /, '')),
        ['size=6 eos=0 data=hold-1', 'size=11 eos=0 data=hold-1-more'],
      );
      assert.deepEqual(sink.events, []);
      const write = await sink.waitFor('upstreamWrite');
      assert.deepEqual(write, { kind: 'upstreamWrite', data: 'hold-1-more', endStream: false });
      assert.match(s.logs.matching('continued')[0], /type=2 effective=0 status=0$/);
    });
  });

  it('continue_stream(UPSTREAM) is Unimplemented; held upstream bytes wait for the next callback', async () => {
    await withPlugin('tcp', async (s) => {
      const { stream, sink } = tcp(s);
      stream.onNewConnection();
      stream.onUpstreamData(b('cont-up'), false);
      assert.equal(s.logs.get('tcp.continue_upstream'), '12');
      stream.onUpstreamData(b('hold'), false);
      stream.onUpstreamData(b(' more'), false);
      assert.deepEqual(sink.events, [{ kind: 'downstreamWrite', data: 'cont-up', endStream: false }]);
      assert.match(s.logs.matching('upstream_data').at(-1)!, /size=9 eos=0 data=hold more$/);
    });
  });

  it('close_stream closes that side after the callback', async () => {
    await withPlugin('tcp', async (s) => {
      const { stream, sink } = tcp(s);
      stream.onNewConnection();
      stream.onDownstreamData(b('close please'), false);
      assert.equal(s.logs.get('tcp.close'), '0');
      assert.deepEqual(sink.events, [
        { kind: 'close', side: 'downstream', reason: 'wasm_downstream_close' },
        { kind: 'upstreamWrite', data: 'close please', endStream: false },
      ]);
      stream.onUpstreamData(b('close-up'), false);
      assert.deepEqual(sink.events.at(-2), { kind: 'close', side: 'upstream', reason: 'wasm_upstream_close' });
    });
  });

  it('data still reaches the filter when it paused the new connection', async () => {
    await withPlugin('tcp-pause-new', async (s) => {
      const { stream, sink } = tcp(s);
      stream.onNewConnection();
      stream.onDownstreamData(b('first'), false);
      assert.equal(s.logs.matching('downstream_data').length, 1);
      assert.deepEqual(sink.events, [{ kind: 'upstreamWrite', data: 'first', endStream: false }]);
    });
  });

  it('a trap fails closed (both sides closed) or open, per the policy', async () => {
    await withPlugin('tcp-trap', async (closed) => {
      const first = tcp(closed);
      first.stream.onNewConnection();
      first.stream.onDownstreamData(b('x'), false);
      assert.deepEqual(first.sink.events, [
        { kind: 'close', side: 'downstream', reason: 'wasm_fail_stream' },
        { kind: 'close', side: 'upstream', reason: 'wasm_fail_stream' },
      ]);
      const later = tcp(closed);
      later.stream.onNewConnection();
      assert.equal(later.sink.events.length, 2, 'a new connection on the failed VM is closed at once');
      assert.equal(closed.plugin.stats().streamsFailedClosed, 2);
    }, { failurePolicy: 'closed' });
    await withPlugin('tcp-trap', async (open) => {
      const first = tcp(open);
      first.stream.onNewConnection();
      first.stream.onDownstreamData(b('x'), false);
      const later = tcp(open);
      later.stream.onNewConnection();
      later.stream.onDownstreamData(b('y'), true);
      assert.deepEqual(first.sink.events, [{ kind: 'upstreamWrite', data: 'x', endStream: false }]);
      assert.deepEqual(later.sink.events, [{ kind: 'upstreamWrite', data: 'y', endStream: true }]);
      assert.equal(open.plugin.stats().streamsFailedOpen, 2);
    }, { failurePolicy: 'open' });
  });
});
