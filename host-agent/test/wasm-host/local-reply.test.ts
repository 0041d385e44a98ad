import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../src/wasm-host/header-map.js';
import { httpToGrpcStatus, isGrpcRequest, percentEncode, prepareLocalReply } from '../../src/wasm-host/local-reply.js';

const body = (s: string) => Buffer.from(s, 'latin1');

describe('local reply (Envoy Utility::prepareLocalReply)', () => {
  it('plain reply: status, additional headers, content-length and text/plain', () => {
    const r = prepareLocalReply({ code: 403, body: body('denied'), additionalHeaders: [['x-reason', 'policy']], isGrpc: false, isHead: false });
    assert.deepEqual(r.headers.toList(), [
      [':status', '403'],
      ['x-reason', 'policy'],
      ['content-length', '6'],
      ['content-type', 'text/plain'],
    ]);
    assert.equal(Buffer.from(r.body).toString(), 'denied');
    assert.equal(r.endStreamOnHeaders, false);
  });

  it('keeps a content-type the filter set, and drops content headers for an empty body', () => {
    const withType = prepareLocalReply({ code: 400, body: body('{}'), additionalHeaders: [['content-type', 'application/json']], isGrpc: false, isHead: false });
    assert.equal(withType.headers.get('content-type'), 'application/json');
    const empty = prepareLocalReply({ code: 204, body: body(''), additionalHeaders: [['content-length', '99'], ['content-type', 'x/y']], isGrpc: false, isHead: false });
    assert.deepEqual(empty.headers.toList(), [[':status', '204']]);
    assert.equal(empty.endStreamOnHeaders, true);
  });

  it('a HEAD request gets headers only (with the length of the body it would have had)', () => {
    const r = prepareLocalReply({ code: 403, body: body('denied'), additionalHeaders: [], isGrpc: false, isHead: true });
    assert.equal(r.endStreamOnHeaders, true);
    assert.equal(r.body.byteLength, 0);
    assert.equal(r.headers.get('content-length'), '6');
  });

  it('gRPC request: trailers-only 200, grpc-status mapped from the HTTP code, percent-encoded grpc-message', () => {
    const r = prepareLocalReply({ code: 403, body: body('no way 100%\n\u00e9'), additionalHeaders: [], isGrpc: true, isHead: false });
    assert.deepEqual(r.headers.toList(), [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '7'],
      ['grpc-message', 'no way 100%25%0A%E9'],
    ]);
    assert.equal(r.endStreamOnHeaders, true);
    assert.equal(r.body.byteLength, 0);
  });

  it('gRPC: an explicit status wins, and so does a grpc-status header from the filter', () => {
    const explicit = prepareLocalReply({ code: 403, body: body(''), additionalHeaders: [], grpcStatus: 16, isGrpc: true, isHead: false });
    assert.equal(explicit.headers.get('grpc-status'), '16');
    const fromHeader = prepareLocalReply({ code: 403, body: body(''), additionalHeaders: [['grpc-status', '5']], grpcStatus: 16, isGrpc: true, isHead: false });
    assert.equal(fromHeader.headers.get('grpc-status'), '5');
  });

  it('maps HTTP codes to gRPC statuses as Grpc::Utility::httpToGrpcStatus', () => {
    assert.deepEqual(
      [400, 401, 403, 404, 429, 500, 502, 503, 504].map(httpToGrpcStatus),
      [13, 16, 7, 12, 14, 2, 14, 14, 14],
    );
  });

  it('recognizes gRPC requests by content-type, not grpc-web', () => {
    const h = (ct: string) => HeaderMap.from([[':path', '/s/M'], ['content-type', ct]], 'request-headers');
    assert.equal(isGrpcRequest(h('application/grpc')), true);
    assert.equal(isGrpcRequest(h('application/grpc+proto')), true);
    assert.equal(isGrpcRequest(h('application/grpc-web')), false);
    assert.equal(percentEncode(body('a~b')), 'a%7Eb');
  });
});
