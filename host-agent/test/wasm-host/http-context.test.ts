import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POST, httpStream, withPlugin } from './support.js';

const b = (s: string) => Buffer.from(s);

// How the values a module returns become filter statuses (cpp-host convertVmCallResultTo* and
// Envoy's convertFilter*Status), observed through what reaches the proxy.
describe('status conversion', () => {
  it('request headers: 2 (ContinueAndEndStream) continues; 1, 3, 4 and anything above stop all', async () => {
    const cases: Array<[number, string]> = [
      [0, 'continue'],
      [2, 'continue'],
      [1, 'stop'],
      [3, 'stop'],
      [4, 'stop'],
      [7, 'stop'],
    ];
    for (const [value, expected] of cases) {
      await withPlugin(`ret-headers:${value}`, async (s) => {
        const { stream, sink } = httpStream(s);
        stream.decodeHeaders(POST, false);
        stream.decodeData(b('body'), true);
        const got = sink.events.length === 0 ? 'stop' : 'continue';
        assert.equal(got, expected, `on_request_headers returned ${value}`);
        if (expected === 'stop') assert.equal(s.logs.matching('request_body').length, 0, 'stop all: the body waits too');
      });
    }
  });

  it('"stop all" from 3 buffers to an error, from 1, 4 and above with watermarks', async () => {
    for (const [value, first] of [[3, 'responseHeaders'], [1, 'pauseRequestBody'], [4, 'pauseRequestBody'], [9, 'pauseRequestBody']] as const) {
      await withPlugin(`ret-headers:${value}`, async (s) => {
        const { stream, sink } = httpStream(s);
        stream.decodeHeaders(POST, false);
        stream.decodeData(b('12345'), false);
        assert.equal(sink.events[0]?.[0], first, `on_request_headers returned ${value}`);
      }, { bufferLimitBytes: 2 });
    }
  });

  it('request body: 2 buffers with watermarks, 3 and anything above drop the chunk', async () => {
    for (const [value, forwarded] of [[2, 'aabb'], [3, 'bb'], [8, 'bb']] as const) {
      await withPlugin(`ret-body:${value}`, async (s) => {
        const { stream, sink } = httpStream(s);
        stream.decodeHeaders(POST, false);
        stream.decodeData(b('aa'), false);
        stream.decodeData(b('bb'), true);
        assert.deepEqual(sink.events.at(-1), ['requestData', forwarded, true], `on_request_body returned ${value}`);
      });
    }
  });
});
