import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionInfo, HeaderList } from '../../src/wasm-host/index.js';
import { HeaderMap } from '../../src/wasm-host/header-map.js';
import { getProperty, type PropertyEnv, type StreamInfoState } from '../../src/wasm-host/properties.js';
import { WasmResult } from '../../src/wasm-host/status.js';
import { RecordingSink, decode, start } from './support.js';

const path = (...parts: string[]) => Buffer.from(parts.join('\0'));

function stream(connection: ConnectionInfo, extra: StreamInfoState['extra'] = {}): StreamInfoState {
  return {
    connection,
    protocol: 'HTTP/2',
    startTimeMs: 1_700_000_000_123,
    startMonotonicNs: 0n,
    bytesReceived: 10,
    bytesSent: 0,
    extra,
    filterState: new Map(),
  };
}

const TLS_CONNECTION: ConnectionInfo = {
  id: 99,
  sourceAddress: '2001:db8::1',
  sourcePort: 40000,
  destinationAddress: '10.0.0.2',
  destinationPort: 443,
  tls: { version: 'TLSv1.3', sni: 'orders.svc', mtls: true, peerUriSan: 'spiffe://cluster.local/ns/shop/sa/web', peerSubject: 'CN=web', peerSha256: 'ab12' },
};

describe('property encodings (unit)', () => {
  const env: PropertyEnv = {
    vmId: 'vm',
    plugin: { name: 'p', rootId: 'r', vmId: 'vm', nodeId: 'node-1', nodeMetadata: { NAME: { type: 'string', value: 'web-0' } } },
    stream: stream(TLS_CONNECTION),
    requestHeaders: HeaderMap.from([[':path', '/a?b=1'], ['content-length', '12']], 'request-headers'),
  };
  const get = (...p: string[]) => getProperty(env, path(...p));

  it('formats IPv6 addresses with brackets', () => {
    assert.equal(Buffer.from(get('source', 'address').value!).toString(), '[2001:db8::1]:40000');
  });

  it('request.size prefers content-length, total_size adds header bytes', () => {
    assert.equal(Buffer.from(get('request', 'size').value!).readBigInt64LE(), 12n);
    const headerBytes = ':path'.length + '/a?b=1'.length + 'content-length'.length + 2;
    assert.equal(Buffer.from(get('request', 'total_size').value!).readBigInt64LE(), BigInt(10 + headerBytes));
  });

  it('a TLS connection without a peer DNS SAN is a SerializationFailure (a null value)', () => {
    assert.equal(get('connection', 'dns_san_peer_certificate').result, WasmResult.SerializationFailure);
  });

  it('whole request/connection maps cannot be serialized; an empty path neither', () => {
    assert.equal(get('request').result, WasmResult.SerializationFailure);
    assert.equal(get('connection').result, WasmResult.SerializationFailure);
    assert.equal(getProperty(env, new Uint8Array(0)).result, WasmResult.SerializationFailure);
  });

  it('the node is a protobuf message: whole it serializes, its fields resolve', () => {
    const node = get('node').value!;
    // field 1 (id), length 6, "node-1", then field 3 (metadata struct)
    assert.deepEqual([...node.subarray(0, 8)], [0x0a, 6, ...Buffer.from('node-1')]);
    assert.equal(node[8], 0x1a);
    assert.equal(Buffer.from(get('xds', 'node', 'metadata', 'NAME').value!).toString(), 'web-0');
  });
});

describe('properties seen by the module', () => {
  const headers: HeaderList = [
    [':authority', 'orders.test'],
    [':path', '/api/orders?id=7#frag'],
    [':method', 'POST'],
    [':scheme', 'https'],
    ['content-length', '4'],
    ['user-agent', 'curl/8'],
    ['referer', 'https://shop.test/'],
    ['x-request-id', 'req-1'],
    ['x-multi', 'a'],
    ['x-multi', 'b'],
  ];

  it('resolve in each phase as Envoy serves them, encoded as Envoy encodes them', async () => {
    const s = await start('properties', {
      nodeId: 'sidecar~10.0.0.1~web-0',
      nodeMetadata: {
        NAME: { type: 'string', value: 'web-0' },
        NUM: { type: 'int', value: 3 },
        nested: { type: 'struct', value: { inner: { type: 'string', value: 'deep' } } },
      },
    });
    try {
      const sink = new RecordingSink();
      const st = s.plugin.createHttpStream(
        {
          connection: TLS_CONNECTION,
          protocol: 'HTTP/2',
          startTime: 1_700_000_000_123,
          properties: {
            'downstream_peer.workload': { type: 'string', value: 'checkout' },
            'downstream_peer.namespace': { type: 'string', value: 'shop' },
          },
        },
        sink,
      );
      st.decodeHeaders(headers, false);
      const l = s.logs;
      const p = (name: string) => l.get(`prop.${name}`);
      const NF = `<${WasmResult.NotFound}>`;
      assert.equal(decode.str(p('source.address')), '[2001:db8::1]:40000');
      assert.equal(decode.i64(p('source.port')), 40000n);
      assert.equal(decode.str(p('destination.address')), '10.0.0.2:443');
      assert.equal(decode.i64(p('destination.port')), 443n);
      assert.equal(decode.u64(p('connection.id')), 99n);
      assert.equal(decode.u64(p('connection_id')), 99n);
      assert.equal(p('connection.mtls'), '01');
      assert.equal(decode.str(p('connection.tls_version')), 'TLSv1.3');
      assert.equal(decode.str(p('connection.requested_server_name')), 'orders.svc');
      assert.equal(decode.str(p('connection.uri_san_peer_certificate')), 'spiffe://cluster.local/ns/shop/sa/web');
      assert.equal(p('connection.uri_san_local_certificate'), `<${WasmResult.SerializationFailure}>`);
      assert.equal(p('connection.dns_san_peer_certificate'), `<${WasmResult.SerializationFailure}>`);
      assert.equal(decode.str(p('connection.subject_peer_certificate')), 'CN=web');
      assert.equal(decode.str(p('connection.sha256_peer_certificate_digest')), 'ab12');
      assert.equal(decode.str(p('request.path')), '/api/orders?id=7#frag');
      assert.equal(decode.str(p('request.url_path')), '/api/orders');
      assert.equal(decode.str(p('request.host')), 'orders.test');
      assert.equal(decode.str(p('request.scheme')), 'https');
      assert.equal(decode.str(p('request.method')), 'POST');
      assert.equal(decode.str(p('request.headers.x-multi')), 'a,b', 'repeated headers joined with a comma');
      assert.equal(decode.str(p('request.referer')), 'https://shop.test/');
      assert.equal(decode.str(p('request.useragent')), 'curl/8');
      assert.equal(decode.str(p('request.id')), 'req-1');
      assert.equal(decode.str(p('request.protocol')), 'HTTP/2');
      assert.equal(decode.str(p('request.query')), 'id=7');
      assert.equal(decode.i64(p('request.time')), 1_700_000_000_123_000_000n, 'a timestamp is int64 nanoseconds');
      assert.equal(decode.i64(p('request.size')), 4n);
      assert.ok(decode.i64(p('request.total_size')) > 4n);
      assert.equal(p('request.duration'), NF, 'only once the request completed');
      assert.equal(p('response.code'), NF);
      assert.equal(decode.str(p('node.id')), 'sidecar~10.0.0.1~web-0');
      assert.equal(decode.str(p('xds.node.id')), 'sidecar~10.0.0.1~web-0');
      assert.equal(decode.str(p('node.metadata.NAME')), 'web-0');
      assert.equal(decode.str(p('node.metadata.nested.inner')), 'deep');
      assert.equal(decode.f64(p('node.metadata.NUM')), 3, 'protobuf Struct numbers are doubles');
      assert.equal(decode.str(p('plugin_name')), 'test-plugin');
      assert.equal(decode.str(p('plugin_root_id')), 'test-root');
      assert.match(decode.str(p('plugin_vm_id')), /^vm-/);
      assert.equal(decode.str(p('downstream_peer.workload')), 'checkout');
      assert.deepEqual(decode.pairs(p('downstream_peer')), [['workload', 'checkout'], ['namespace', 'shop']]);
      assert.equal(p('unknown.thing'), NF);
      assert.equal(p('request'), `<${WasmResult.SerializationFailure}>`);
      assert.equal(p('empty'), `<${WasmResult.SerializationFailure}>`, 'an empty path names no value (null)');
      assert.equal(l.get('prop.set'), '0');
      assert.equal(decode.str(l.get('prop.my_prop')), 'hello', 'set_property reads back');
      assert.equal(l.get('prop.set_nested'), '0');
      assert.equal(l.get('prop.nested'), NF, 'a multi-part path is stored but not readable back, as in Envoy');

      st.decodeData(Buffer.from('body'), true);
      st.encodeHeaders([[':status', '201'], ['content-type', 'application/json']], false);
      assert.equal(l.get('rprop.request.path'), NF, 'request headers are gone once the filter continued');
      assert.equal(decode.i64(l.get('rprop.response.code')), 201n);
      assert.equal(decode.str(l.get('rprop.response.code_details')), 'via_upstream');
      assert.equal(decode.str(l.get('rprop.response.headers.content-type')), 'application/json');
      assert.equal(decode.i64(l.get('rprop.response.grpc_status')), 2n, 'mapped from the HTTP code when absent');
      assert.equal(decode.str(l.get('rprop.my_prop')), 'hello', 'filter state lives for the stream');

      st.encodeData(Buffer.from('{"ok":1}'), true);
      assert.equal(decode.str(l.get('log.request.path')), '/api/orders?id=7#frag', 'readable again in on_log');
      assert.ok(decode.i64(l.get('log.request.duration')) >= 0n);
      assert.equal(decode.i64(l.get('log.response.code')), 201n);
      assert.equal(decode.i64(l.get('log.response.size')), 8n);
      assert.equal(decode.i64(l.get('log.request.size')), 4n);
      assert.equal(decode.str(l.get('log.my_prop')), 'hello');
    } finally {
      await s.close();
    }
  });
});
