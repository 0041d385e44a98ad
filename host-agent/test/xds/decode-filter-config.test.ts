// Reading a TypedExtensionConfig as the proxy's ECDS client does, against resources the control
// plane builds; every refusal names the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFilterConfig, nodeMessageForTest } from './decode-helpers.js';
import { ecdsResources, encodeMessage, packAny, TYPE_URL } from '../../../control-plane/src/xds/index.js';
import { discoveryCodecs } from '../../../control-plane/src/xds/index.js';
import { sidecarNode } from '../../src/xds/index.js';

describe('decodeFilterConfig', () => {
  it('reads name, kind, the policy JSON, fail_open, plugin and VM fields, and the code source', () => {
    const json = '{"schema":1}';
    const [http, net] = ecdsResources({ namespace: 'shop', name: 'orders' }, json, { code: { local: { filename: '/wasm/meshward.wasm' } }, failOpen: true });
    const h = decodeFilterConfig(http.body);
    assert.deepEqual(h, {
      name: 'meshward.http.shop.orders',
      kind: 'http',
      configuration: json,
      failOpen: true,
      pluginName: 'meshward.http',
      rootId: 'meshward',
      vmId: 'meshward',
      runtime: 'envoy.wasm.runtime.v8',
      code: { local: '/wasm/meshward.wasm', remote: undefined },
    });
    assert.equal(decodeFilterConfig(net.body).kind, 'network');
    const [remote] = ecdsResources({ namespace: 'shop', name: 'orders' }, json, { code: { remote: { url: 'https://x/m.wasm', sha256: 'b'.repeat(64), cluster: 'c' } } });
    assert.deepEqual(decodeFilterConfig(remote.body).code, { local: undefined, remote: { url: 'https://x/m.wasm', sha256: 'b'.repeat(64) } });
  });

  it('refuses another filter type, a missing configuration, or a configuration that is not a StringValue', () => {
    const tec = (typed: unknown) => encodeMessage(TYPE_URL.extensionConfig, { name: 'n', typed_config: typed });
    assert.throws(() => decodeFilterConfig(tec(packAny(TYPE_URL.router, {}))), /^Error: typed_config: expected/);
    assert.throws(() => decodeFilterConfig(encodeMessage(TYPE_URL.extensionConfig, { name: 'n' })), /typed_config: missing/);
    const wasm = packAny(TYPE_URL.httpWasm, { config: { name: 'p', configuration: packAny(TYPE_URL.router, {}) } });
    assert.throws(() => decodeFilterConfig(tec(wasm)), /typed_config\.config\.configuration: expected .*StringValue, found .*Router/);
  });

  it("the client's node metadata (Istio-shaped) reaches the server intact", () => {
    const node = sidecarNode({ namespace: 'shop', name: 'orders', pod: 'orders-1', ip: '10.0.0.7', labels: { app: 'orders' } });
    const wire = discoveryCodecs().request.decode(nodeMessageForTest(node));
    assert.equal(wire.node?.id, 'sidecar~10.0.0.7~orders-1.shop~shop.svc.cluster.local');
    const md = wire.node?.metadata?.fields ?? {};
    assert.equal(md.NAMESPACE.stringValue, 'shop');
    assert.equal(md.WORKLOAD_NAME.stringValue, 'orders');
    assert.equal(md.LABELS.structValue?.fields?.app.stringValue, 'orders');
  });
});
