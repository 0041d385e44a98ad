// Resources as they go on the wire: every type the server sends decodes back with its fields
// (a type missing from the proto root would encode empty without an error), encoding refuses
// what does not fit, and versions are content hashes: deterministic, order-independent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  agentResource,
  contentVersion,
  decodeMessage,
  discoveryCodecs,
  ecdsResourceNames,
  ecdsResources,
  encodeMessage,
  packAny,
  setVersion,
  Snapshot,
  TYPE_URL,
  XdsError,
  type AgentWorkload,
} from '../../src/xds/index.js';
import { encodeTrusted } from '../../src/xds/proto-root.js';
import { envoyResources, policyJson, WASM } from './support/fixtures.js';

type Obj = Record<string, unknown>;
type AnyV = { type_url: string; value: Uint8Array };

describe('ECDS resources (TypedExtensionConfig with the Meshward Wasm filters)', () => {
  const json = policyJson(7);

  it('are named per workload and carry the HTTP and network Wasm filters', () => {
    const names = ecdsResourceNames('shop', 'orders');
    assert.deepEqual(names, { http: 'meshward.http.shop.orders', network: 'meshward.network.shop.orders' });
    const [http, net] = ecdsResources({ namespace: 'shop', name: 'orders' }, json, WASM);
    assert.equal(http.name, names.http);
    assert.equal(net.name, names.network);
    assert.equal((decodeMessage(TYPE_URL.extensionConfig, http.body).typed_config as AnyV).type_url, TYPE_URL.httpWasm);
    assert.equal((decodeMessage(TYPE_URL.extensionConfig, net.body).typed_config as AnyV).type_url, TYPE_URL.networkWasm);
  });

  it('round-trip with every field: plugin, VM (v8, local code), fail_open, and the policy as a StringValue', () => {
    const [http] = ecdsResources({ namespace: 'shop', name: 'orders' }, json, { ...WASM, failOpen: true });
    const tec = decodeMessage(TYPE_URL.extensionConfig, http.body);
    assert.equal(tec.name, 'meshward.http.shop.orders');
    const typed = tec.typed_config as AnyV;
    const plugin = decodeMessage(typed.type_url, typed.value).config as Obj;
    assert.equal(plugin.name, 'meshward.http');
    assert.equal(plugin.root_id, 'meshward');
    assert.equal(plugin.fail_open, true);
    const vm = plugin.vm_config as Obj;
    assert.equal(vm.vm_id, 'meshward');
    assert.equal(vm.runtime, 'envoy.wasm.runtime.v8');
    assert.equal(((vm.code as Obj).local as Obj).filename, '/etc/meshward/meshward.wasm');
    const conf = plugin.configuration as AnyV;
    assert.equal(conf.type_url, TYPE_URL.stringValue);
    assert.equal(decodeMessage(conf.type_url, conf.value).value, json);
  });

  it('remote code: URL, cluster, timeout and SHA-256', () => {
    const sha = 'a'.repeat(64);
    const [http] = ecdsResources({ namespace: 'shop', name: 'orders' }, json, {
      code: { remote: { url: 'https://wasm.example/meshward.wasm', sha256: sha, cluster: 'meshward-wasm', timeoutMs: 2500 } },
    });
    const typed = decodeMessage(TYPE_URL.extensionConfig, http.body).typed_config as AnyV;
    const vm = (decodeMessage(typed.type_url, typed.value).config as Obj).vm_config as Obj;
    const remote = (vm.code as Obj).remote as Obj;
    assert.equal(remote.sha256, sha);
    const uri = remote.http_uri as Obj;
    assert.equal(uri.uri, 'https://wasm.example/meshward.wasm');
    assert.equal(uri.cluster, 'meshward-wasm');
    assert.deepEqual(uri.timeout, { seconds: '2', nanos: 500_000_000 });
  });

  it('fail_open defaults to false (fail closed)', () => {
    const [http] = ecdsResources({ namespace: 'shop', name: 'orders' }, json, { code: WASM.code });
    const typed = decodeMessage(TYPE_URL.extensionConfig, http.body).typed_config as AnyV;
    assert.equal((decodeMessage(typed.type_url, typed.value).config as Obj).fail_open, false);
  });

  it("bytes are protobufjs's own encoding of the whole message", () => {
    const remote = { code: { remote: { url: 'https://wasm.example/meshward.wasm', sha256: 'b'.repeat(64), cluster: 'wasm', timeoutMs: 1500 } }, failOpen: true, vmId: 'vm', rootId: 'root', runtime: 'envoy.wasm.runtime.null' };
    const vms = new Map<object, Obj>([
      [WASM, { vm_id: 'meshward', runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: '/etc/meshward/meshward.wasm' } } }],
      [remote, { vm_id: 'vm', runtime: 'envoy.wasm.runtime.null', code: { remote: { http_uri: { uri: remote.code.remote.url, cluster: 'wasm', timeout: { seconds: 1, nanos: 500_000_000 } }, sha256: 'b'.repeat(64) } } }],
    ]);
    const failClosed = { ...WASM, failOpen: false };
    vms.set(failClosed, vms.get(WASM)!);
    // Empty, ASCII, non-ASCII, and long enough for 2- and 3-byte lengths at every level.
    const texts = ['', json, '{"é":"ü€𝄞"}', `{"p":"${'x'.repeat(200)}"}`, `{"p":"${'y'.repeat(20_000)}"}`];
    for (const options of [WASM, failClosed, remote] as { rootId?: string; failOpen?: boolean; code: typeof WASM.code }[]) {
      for (const text of texts) {
        const resources = ecdsResources({ namespace: 'shop', name: 'orders' }, text, options);
        for (const [r, wasmType, pluginName] of [[resources[0], TYPE_URL.httpWasm, 'meshward.http'], [resources[1], TYPE_URL.networkWasm, 'meshward.network']] as const) {
          const expected = encodeTrusted(TYPE_URL.extensionConfig, {
            name: r.name,
            typed_config: {
              type_url: wasmType,
              value: encodeTrusted(wasmType, {
                config: {
                  name: pluginName,
                  root_id: options.rootId ?? 'meshward',
                  vm_config: vms.get(options)!,
                  configuration: { type_url: TYPE_URL.stringValue, value: encodeTrusted(TYPE_URL.stringValue, { value: text }) },
                  fail_open: options.failOpen ?? false,
                },
              }),
            },
          });
          assert.deepEqual(Buffer.from(r.body), Buffer.from(expected), `${r.name} with ${text.length} bytes of configuration`);
          assert.equal(r.version, contentVersion(expected));
        }
      }
    }
  });

  it('bad code options are refused with the field named', () => {
    assert.throws(
      () => ecdsResources({ namespace: 'shop', name: 'orders' }, json, { code: { remote: { url: 'ftp://x', sha256: 'a'.repeat(64), cluster: 'c' } } }),
      /remote\.url/,
    );
    assert.throws(() => ecdsResources({ namespace: 'shop', name: 'orders' }, json, { code: { remote: { url: 'https://x', sha256: 'nope', cluster: 'c' } } }), /sha256/);
  });

  it('the same input gives the same bytes and version; any change gives another version', () => {
    const a = ecdsResources({ namespace: 'shop', name: 'orders' }, json, WASM);
    const b = ecdsResources({ namespace: 'shop', name: 'orders' }, json, WASM);
    assert.deepEqual(a.map((r) => r.version), b.map((r) => r.version));
    assert.deepEqual(Buffer.from(a[0].body), Buffer.from(b[0].body));
    assert.equal(a[0].version, contentVersion(a[0].body));
    const c = ecdsResources({ namespace: 'shop', name: 'orders' }, policyJson(8), WASM);
    assert.notEqual(c[0].version, a[0].version);
    const d = ecdsResources({ namespace: 'shop', name: 'orders' }, json, { ...WASM, failOpen: true });
    assert.notEqual(d[0].version, a[0].version);
  });
});

describe('AgentConfig (meshward.v1.AgentConfig, control-plane/proto)', () => {
  const workloads: AgentWorkload[] = [
    { namespace: 'shop', name: 'payments', labels: { tier: 'b', app: 'payments' }, serviceAccount: 'payments', pods: ['payments-2', 'payments-1'], configuration: policyJson(1, 'shop', 'payments'), version: 'sha256:p' },
    { namespace: 'shop', name: 'orders', labels: { app: 'orders' }, pods: ['orders-1'], configuration: policyJson(1), version: 'sha256:o' },
  ];

  it('round-trips with every field, workloads and pods sorted', () => {
    const r = agentResource('node-1', workloads);
    assert.equal(r.name, 'meshward.agent.node-1');
    assert.equal(r.typeUrl, TYPE_URL.agentConfig);
    const m = decodeMessage(TYPE_URL.agentConfig, r.body) as { node: string; workloads: Obj[] };
    assert.equal(m.node, 'node-1');
    assert.deepEqual(
      m.workloads.map((w) => [w.namespace, w.name, w.service_account, w.pods, w.version]),
      [
        ['shop', 'orders', '', ['orders-1'], 'sha256:o'],
        ['shop', 'payments', 'payments', ['payments-1', 'payments-2'], 'sha256:p'],
      ],
    );
    assert.deepEqual(m.workloads[1].labels, { app: 'payments', tier: 'b' });
    assert.equal(m.workloads[0].configuration, policyJson(1));
  });

  it('is deterministic whatever the order of workloads, pods and labels', () => {
    const reordered = [...workloads].reverse().map((w) => ({ ...w, pods: [...w.pods].reverse(), labels: Object.fromEntries(Object.entries(w.labels).reverse()) }));
    assert.equal(agentResource('node-1', workloads).version, agentResource('node-1', reordered).version);
  });

  it('encodes through a DiscoveryResponse Any and decodes back (it is in the same root)', () => {
    const r = agentResource('node-1', workloads);
    const codecs = discoveryCodecs();
    const wire = codecs.response.encode({ version_info: 'v', resources: [{ type_url: r.typeUrl, value: r.body }], type_url: r.typeUrl, nonce: '1' });
    const back = codecs.response.decode(wire);
    assert.equal(back.resources[0].type_url, TYPE_URL.agentConfig);
    assert.equal((decodeMessage(TYPE_URL.agentConfig, back.resources[0].value) as { workloads: unknown[] }).workloads.length, 2);
  });
});

describe('LDS/RDS/CDS/EDS resources (for the grpc-js-xds conformance test)', () => {
  it('round-trip with their fields and references', () => {
    const rs = envoyResources({ listener: 'l', route: 'r', cluster: 'c', edsName: 'e', endpoints: [{ host: '127.0.0.1', port: 9000 }] });
    const by = new Map(rs.map((r) => [r.typeUrl, decodeMessage(r.typeUrl, r.body)]));
    const hcmAny = ((by.get(TYPE_URL.listener)!.api_listener as Obj).api_listener as AnyV);
    assert.equal(hcmAny.type_url, TYPE_URL.httpConnectionManager);
    const hcm = decodeMessage(hcmAny.type_url, hcmAny.value);
    assert.equal((hcm.rds as Obj).route_config_name, 'r');
    assert.equal(((hcm.http_filters as Obj[])[0].typed_config as AnyV).type_url, TYPE_URL.router);
    const vh = (by.get(TYPE_URL.routeConfiguration)!.virtual_hosts as Obj[])[0];
    assert.deepEqual(vh.domains, ['*']);
    assert.equal(((vh.routes as Obj[])[0].route as Obj).cluster, 'c');
    const cluster = by.get(TYPE_URL.cluster)!;
    assert.equal(cluster.type, 'EDS');
    assert.equal((cluster.eds_cluster_config as Obj).service_name, 'e');
    const cla = by.get(TYPE_URL.clusterLoadAssignment)!;
    const ep = ((((cla.endpoints as Obj[])[0].lb_endpoints as Obj[])[0].endpoint as Obj).address as Obj).socket_address as Obj;
    assert.equal(ep.address, '127.0.0.1');
    assert.equal(ep.port_value, 9000);
    assert.equal(Snapshot.from(rs).check().length, 0);
  });
});

describe('encodeMessage: nothing is dropped silently', () => {
  it('refuses a field the message does not have, naming its path', () => {
    assert.throws(
      () => encodeMessage(TYPE_URL.extensionConfig, { name: 'x', typedConfig: {} }),
      (err: XdsError) => err.code === 'XDS_ENCODE_INVALID' && /TypedExtensionConfig\.typedConfig: .*no such field/.test(err.message),
    );
  });

  it("refuses an Any given as '@type' (the form that encodes empty when the type is missing)", () => {
    assert.throws(() => encodeMessage(TYPE_URL.extensionConfig, { name: 'x', typed_config: { '@type': TYPE_URL.httpWasm } }), /packAny/);
  });

  it('refuses an Any of a type the root does not hold', () => {
    assert.throws(
      () => encodeMessage(TYPE_URL.extensionConfig, { name: 'x', typed_config: { type_url: 'type.googleapis.com/acme.Unknown', value: new Uint8Array() } }),
      (err: XdsError) => err.code === 'XDS_UNKNOWN_TYPE',
    );
    assert.throws(() => packAny('type.googleapis.com/acme.Unknown', {}), (err: XdsError) => err.code === 'XDS_UNKNOWN_TYPE');
  });

  it('refuses an unknown enum name (which would become 0)', () => {
    assert.throws(() => encodeMessage(TYPE_URL.cluster, { name: 'c', type: 'EDSS' }), /"EDSS" is not a envoy\.config\.cluster\.v3\.Cluster\.DiscoveryType/);
  });

  it('refuses a value of the wrong kind', () => {
    assert.throws(() => encodeMessage(TYPE_URL.extensionConfig, { name: 42 }), /TypedExtensionConfig\.name: expected a string, found number/);
  });
});

describe('versions', () => {
  it('setVersion is the same whatever the order, and differs when any pair differs', () => {
    const a = { name: 'a', version: 'sha256:1' };
    const b = { name: 'b', version: 'sha256:2' };
    assert.equal(setVersion([a, b]), setVersion([b, a]));
    assert.notEqual(setVersion([a, b]), setVersion([a, { ...b, version: 'sha256:3' }]));
    assert.notEqual(setVersion([a]), setVersion([]));
    assert.match(setVersion([]), /^sha256:[0-9a-f]{64}$/);
  });
});
