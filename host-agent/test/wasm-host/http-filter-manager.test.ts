import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeaderList } from '../../src/wasm-host/index.js';
import { GET, OK_RESPONSE, POST, RecordingSink, httpStream, idOf, withPlugin } from './support.js';

const b = (s: string) => Buffer.from(s);
const GRPC_REQUEST: HeaderList = [
  [':authority', 'orders.test'],
  [':path', '/shop.v1.Orders/Get'],
  [':method', 'POST'],
  ['content-type', 'application/grpc'],
];

describe('HTTP stream lifecycle', () => {
  it('creates the context lazily at the first request headers and ends with log, done, delete', async () => {
    await withPlugin('observe', async (s) => {
      s.logs.clear();
      const { stream, sink } = httpStream(s);
      assert.equal(s.logs.matching('create').length, 0, 'no context before request headers');
      stream.decodeHeaders(POST, false);
      const created = s.logs.matching('create ')[0];
      const id = idOf(created);
      assert.equal(created, `create ${id} 1`, 'a stream context whose parent is the root context');
      stream.decodeData(b('ab'), false);
      stream.decodeData(b('cd'), false);
      stream.decodeTrailers([['x-t', '1']]);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('resp'), false);
      stream.encodeTrailers([['grpc-status', '0']]);
      const mine = s.logs.messages().filter((m) => m.split(' ')[1] === String(id));
      assert.deepEqual(mine.map((m) => m.split(' ')[0]), [
        'create', 'request_headers', 'request_body', 'request_body', 'request_trailers',
        'response_headers', 'response_body', 'response_trailers', 'log', 'done', 'delete',
      ]);
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['requestData', 'ab', false],
        ['requestData', 'cd', false],
        ['requestTrailers', [['x-t', '1']]],
        ['responseHeaders', OK_RESPONSE, false],
        ['responseData', 'resp', false],
        ['responseTrailers', [['grpc-status', '0']]],
      ]);
      // The response's end ended the stream; the proxy's complete() is then a no-op.
      stream.complete();
      assert.equal(s.logs.matching('log ').length, 1);
      assert.equal(s.plugin.stats().activeStreams, 0);
    });
  });

  it('runs the end-of-life callbacks when the proxy resets the stream', async () => {
    await withPlugin('observe', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.onReset('downstream_remote_disconnect');
      assert.deepEqual(s.logs.messages().slice(-3).map((m) => m.split(' ')[0]), ['log', 'done', 'delete']);
      stream.decodeData(b('late'), true);
      assert.deepEqual(sink.kinds(), ['requestHeaders']);
    });
  });

  it('header StopIteration holds body and trailers, delivered to the filter after continue', async () => {
    await withPlugin('pause-headers', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('one'), false);
      stream.decodeData(b('two'), false);
      stream.decodeTrailers([['x-t', '1']]);
      assert.deepEqual(sink.events, [], 'nothing passes while the headers are held');
      assert.equal(s.logs.matching('request_body').length, 0, 'the filter is not called while stopped');
      await sink.waitFor('requestTrailers');
      const id = idOf(s.logs.matching('request_headers')[0]);
      assert.equal(s.logs.matching('continued')[0], `continued ${id} type=0 effective=0 status=0`);
      assert.equal(s.logs.matching('request_body')[0], `request_body ${id} size=6 eos=0 data=onetwo`);
      assert.equal(s.logs.matching('request_trailers')[0], `request_trailers ${id} n=1 x-t=1`);
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['requestData', 'onetwo', false],
        ['requestTrailers', [['x-t', '1']]],
      ]);
    });
  });

  it('response header StopIteration holds the response the same way', async () => {
    await withPlugin('pause-response', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('r1'), false);
      stream.encodeTrailers([['x-rt', '2']]);
      assert.deepEqual(sink.kinds(), ['requestHeaders']);
      await sink.waitFor('responseTrailers');
      assert.deepEqual(sink.kinds(), ['requestHeaders', 'responseHeaders', 'responseData', 'responseTrailers']);
      assert.match(s.logs.matching('response_body')[0], /size=2 eos=0 data=r1$/);
    });
  });

  it('continue_stream in the callback that pauses passes the headers but strands the body, as in Envoy', async () => {
    await withPlugin('continue-same', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('body'), true);
      assert.equal(s.logs.get('cs.continue'), '0');
      assert.deepEqual(sink.events, [['requestHeaders', POST, false]]);
      assert.equal(s.logs.matching('request_body').length, 0);
    });
  });
});

describe('HTTP bodies', () => {
  it('StopIterationAndBuffer accumulates: each callback sees the whole body so far', async () => {
    await withPlugin('body-buffer', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('ab'), false);
      stream.decodeData(b('cd'), false);
      stream.decodeData(b('ef'), true);
      assert.deepEqual(
        s.logs.matching('request_body').map((l) => l.replace(/^request_body \d+ /, '')),
        ['size=2 eos=0 data=ab', 'size=4 eos=0 data=abcd', 'size=6 eos=1 data=abcdef'],
      );
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['requestData', '[abcdef]', true],
      ]);
    });
  });

  it('past the buffer limit a buffering request is answered 413 (through the filter) and ends', async () => {
    await withPlugin('body-buffer', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('abc'), false);
      stream.decodeData(b('def'), false);
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['responseHeaders', [[':status', '413'], ['content-length', '17'], ['content-type', 'text/plain']], false],
        ['responseData', 'Payload Too Large', true],
      ]);
      assert.equal(s.logs.matching('request_body').length, 1, 'the chunk that overflowed never reached the module');
      assert.match(s.logs.matching('response_headers')[0], /status=413/);
      assert.deepEqual(s.logs.messages().slice(-3).map((m) => m.split(' ')[0]), ['log', 'done', 'delete']);
      assert.equal(s.plugin.stats().bufferOverflows, 1);
    }, { bufferLimitBytes: 5 });
  });

  it('a request held by "stop all and buffer" overflows into a 413 as well', async () => {
    await withPlugin('req-stopall-buffer', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('12345'), false);
      assert.equal((await sink.waitFor('responseHeaders'))[1][0][1], '413');
    }, { bufferLimitBytes: 4 });
  });

  it('past the limit on the response side: 500 while headers are held, a reset once they went out', async () => {
    await withPlugin('resp-stopall-buffer', async (held) => {
      const { stream, sink } = httpStream(held);
      stream.decodeHeaders(GET, true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('12345'), false);
      assert.deepEqual(sink.events.slice(1), [
        ['responseHeaders', [[':status', '500'], ['content-length', '21'], ['content-type', 'text/plain']], false],
        ['responseData', 'Internal Server Error', true],
      ]);
      assert.equal(held.logs.matching('response_headers').length, 1, 'sent directly, not through the filter');
    }, { bufferLimitBytes: 4 });
    await withPlugin('resp-body-buffer', async (sent) => {
      const { stream, sink } = httpStream(sent);
      stream.decodeHeaders(GET, true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('abc'), false);
      stream.encodeData(b('def'), false);
      assert.deepEqual(sink.kinds(), ['requestHeaders', 'responseHeaders', 'reset']);
      assert.equal(sink.first('reset')?.[1], 'response_payload_too_large');
      assert.equal(sent.plugin.stats().bufferOverflows, 1);
    }, { bufferLimitBytes: 4 });
  });

  it('StopIterationAndWatermark pauses the proxy instead of failing, and resumes when drained', async () => {
    await withPlugin('body-watermark', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('aaaaa'), false);
      stream.decodeData(b('bbbbb'), false);
      stream.decodeData(b('ccccc'), true);
      // Without buffering mode the module sees only the current chunk each time.
      assert.deepEqual(s.logs.matching('request_body').map((l) => l.split(' ')[2]), ['size=5', 'size=5', 'size=5']);
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['pauseRequestBody'],
        ['requestData', 'aaaaabbbbbccccc', true],
        ['resumeRequestBody'],
      ]);
      assert.equal(s.plugin.stats().bufferOverflows, 0);
    }, { bufferLimitBytes: 8 });
  });

  it('held headers buffer the body with watermarks (pause, then resume after continue)', async () => {
    await withPlugin('pause-headers', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('0123456789'), true);
      assert.deepEqual(sink.events, [['pauseRequestBody']]);
      await sink.waitFor('resumeRequestBody');
      assert.deepEqual(sink.kinds(), ['pauseRequestBody', 'requestHeaders', 'requestData', 'resumeRequestBody']);
    }, { bufferLimitBytes: 8 });
  });

  it('StopIterationNoBuffer drops the chunk', async () => {
    await withPlugin('body-nobuffer', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('ab'), false);
      stream.decodeData(b('cd'), false);
      stream.decodeData(b('ef'), true);
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['requestData', 'ef', true],
      ]);
    });
  });

  it('the response body can be buffered and rewritten too', async () => {
    await withPlugin('resp-body-buffer', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('ab'), false);
      stream.encodeData(b('cd'), true);
      assert.deepEqual(sink.events.slice(2), [['responseData', '{abcd}', true]]);
    });
  });

  it('trailers added in the last body callback follow the body', async () => {
    await withPlugin('add-trailers', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('x'), true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('y'), true);
      assert.equal(s.logs.get('at.add'), '0');
      assert.equal(s.logs.get('at.resp_add'), '0');
      assert.deepEqual(sink.events, [
        ['requestHeaders', POST, false],
        ['requestData', 'x', false],
        ['requestTrailers', [['x-trailer', 't1']]],
        ['responseHeaders', OK_RESPONSE, false],
        ['responseData', 'y', false],
        ['responseTrailers', [['x-resp-trailer', 'r1']]],
      ]);
    });
  });
});

describe('local replies', () => {
  it('from a request callback: applied after the callback, passed through the filter, then the stream ends', async () => {
    await withPlugin('local-reply:403,denied', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.equal(s.logs.get('lr.status'), '0');
      assert.deepEqual(sink.events, [
        ['responseHeaders', [[':status', '403'], ['x-reason', 'test'], ['content-length', '6'], ['content-type', 'text/plain']], false],
        ['responseData', 'denied', true],
      ]);
      const id = idOf(s.logs.matching('request_headers')[0]);
      const order = s.logs.messages().filter((m) => /^(request_headers|lr\.status|response_headers)/.test(m)).map((m) => m.split(/[ =]/)[0]);
      assert.deepEqual(order, ['request_headers', 'lr.status', 'response_headers'], 'the reply goes out after the callback returned');
      // Envoy runs the filter's own response callbacks on its local reply.
      assert.match(s.logs.matching('response_headers')[0], new RegExp(`^response_headers ${id} n=4 eos=0 status=403`));
      assert.match(s.logs.matching('response_body')[0], /size=6 eos=1 data=denied$/);
      assert.equal(Buffer.from(s.logs.get('log.response.code_details'), 'hex').toString(), 'denied_by_policy');
      assert.equal(Buffer.from(s.logs.get('log.response.code'), 'hex').readBigInt64LE(), 403n);
      // The upstream's answer, should one come, is ignored.
      stream.encodeHeaders(OK_RESPONSE, true);
      assert.equal(sink.events.length, 2);
    });
  });

  it('to a gRPC request: a trailers-only reply with the mapped or given grpc-status', async () => {
    await withPlugin('local-reply:403,denied', async (mapped) => {
      const { stream, sink } = httpStream(mapped);
      stream.decodeHeaders(GRPC_REQUEST, true);
      assert.deepEqual(sink.events, [
        ['responseHeaders', [[':status', '200'], ['x-reason', 'test'], ['content-type', 'application/grpc'], ['grpc-status', '7'], ['grpc-message', 'denied']], true],
      ]);
    });
    await withPlugin('local-reply:429,slow down,8', async (given) => {
      const { stream, sink } = httpStream(given);
      stream.decodeHeaders(GRPC_REQUEST, true);
      const headers = new Map(sink.first('responseHeaders')![1]);
      assert.equal(headers.get('grpc-status'), '8');
      assert.equal(headers.get('grpc-message'), 'slow down');
    });
  });

  it('from a request body callback, with the request still open', async () => {
    await withPlugin('local-reply-body', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('x'), false);
      stream.decodeData(b('more'), true);
      assert.deepEqual(sink.kinds(), ['requestHeaders', 'responseHeaders', 'responseData']);
      assert.equal(sink.first('responseHeaders')![1][0][1], '401');
      assert.equal(s.logs.matching('request_body').length, 1, 'request data after the reply is dropped');
    });
  });

  it('from the response headers callback: sent directly, the upstream response is dropped', async () => {
    await withPlugin('local-reply-response', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('upstream body'), true);
      assert.deepEqual(sink.events.slice(1), [
        ['responseHeaders', [[':status', '500'], ['content-length', '7'], ['content-type', 'text/plain']], false],
        ['responseData', 'blocked', true],
      ]);
      assert.equal(s.logs.matching('response_headers').length, 1);
    });
  });

  it('after the response headers went downstream: the stream is reset', async () => {
    await withPlugin('local-reply-late', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      stream.encodeHeaders(OK_RESPONSE, false);
      stream.encodeData(b('x'), false);
      assert.deepEqual(sink.kinds(), ['requestHeaders', 'responseHeaders', 'reset']);
      assert.equal(sink.first('reset')![1], 'too_late');
      assert.deepEqual(s.logs.messages().slice(-3).map((m) => m.split(' ')[0]), ['log', 'done', 'delete']);
    });
  });

  it('close_stream resets the stream after the callback returns', async () => {
    await withPlugin('close-stream', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.equal(s.logs.get('close.status'), '0');
      assert.deepEqual(sink.events, [['reset', 'wasm_close_stream']]);
      assert.deepEqual(s.logs.messages().slice(-3).map((m) => m.split(' ')[0]), ['log', 'done', 'delete']);
    });
  });
});

describe('a trapping module', () => {
  it('fails closed: the trapping stream and every later one get 503 (wasm_fail_stream), counted', async () => {
    await withPlugin('trap', async (s) => {
      const first = httpStream(s);
      first.stream.decodeHeaders(GET, true);
      assert.deepEqual(first.sink.events, [['responseHeaders', [[':status', '503']], true]]);
      const stats = s.plugin.stats();
      assert.equal(stats.vmFailed, true);
      assert.match(stats.failReason ?? '', /proxy_on_request_headers failed: RuntimeError: unreachable/);
      const failure = s.logs.lines.find((l) => l.level === 'error' && l.message.startsWith('Wasm VM failed'));
      assert.ok(failure, 'the failure is logged');
      assert.match(String(failure.fields?.stack), /RuntimeError/, 'with the stack');

      const later = httpStream(s);
      later.stream.decodeHeaders(POST, false);
      later.stream.decodeData(b('x'), true);
      assert.deepEqual(later.sink.events, [['responseHeaders', [[':status', '503']], true]]);
      const grpc = httpStream(s);
      grpc.stream.decodeHeaders(GRPC_REQUEST, true);
      assert.equal(new Map(grpc.sink.first('responseHeaders')![1]).get('grpc-status'), '14');
      assert.equal(s.plugin.stats().streamsFailedClosed, 3);
    }, { failurePolicy: 'closed' });
  });

  it('fails open: the trapping stream continues and later streams pass unfiltered, counted', async () => {
    await withPlugin('trap', async (s) => {
      const first = httpStream(s);
      first.stream.decodeHeaders(GET, true);
      first.stream.encodeHeaders(OK_RESPONSE, true);
      assert.deepEqual(first.sink.kinds(), ['requestHeaders', 'responseHeaders']);
      const later = httpStream(s);
      later.stream.decodeHeaders(GET, true);
      later.stream.encodeHeaders(OK_RESPONSE, true);
      later.stream.complete();
      assert.deepEqual(later.sink.kinds(), ['requestHeaders', 'responseHeaders']);
      assert.equal(s.plugin.stats().streamsFailedOpen, 2);
      assert.equal(s.plugin.stats().vmFailed, true);
    }, { failurePolicy: 'open' });
  });

  it('a trap in a body callback fails that stream per the policy too', async () => {
    await withPlugin('trap-body', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(b('x'), true);
      assert.deepEqual(sink.kinds(), ['requestHeaders', 'responseHeaders']);
      assert.equal(sink.first('responseHeaders')![1][0][1], '503');
    });
  });
});

describe('stream API misuse', () => {
  it('refuses request headers twice, and streams on a closed plugin', async () => {
    await withPlugin('observe', async (s) => {
      const { stream } = httpStream(s);
      stream.decodeHeaders(GET, false);
      assert.throws(() => stream.decodeHeaders(GET, false), /decodeHeaders called twice/);
      stream.onReset('test');
      await s.plugin.close();
      assert.throws(() => s.plugin.createHttpStream({ connection: { id: 1, sourceAddress: '1.1.1.1', sourcePort: 1, destinationAddress: '2.2.2.2', destinationPort: 2 }, protocol: 'HTTP/1.1' }, new RecordingSink()), /closed/);
    });
  });
});
