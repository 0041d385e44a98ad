// The Istio resources under manifests/istio and those `meshward istio render` prints: valid for
// Istio's schemas (@kubernetes-models/istio), and the Envoy configuration inside the EnvoyFilter
// valid for Envoy's own protos.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { loadPolicies, meshwardEnvoyFilter, meshwardWasmPlugins, parseInventory } from '../../control-plane/src/index.js';
import { toYamlDocuments } from '../../cli/commands/istio.js';
import { checkEnvoyJson } from '../support/envoy-json.js';

const MANIFESTS = fileURLToPath(new URL('../../../manifests/istio/', import.meta.url));
const readDocs = (file: string) => parseAllDocuments(readFileSync(MANIFESTS + file, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);

type Patch = { applyTo: string; patch: { operation: string; value: Record<string, unknown> } };

describe('Istio manifests', () => {
  it('the committed EnvoyFilter is what `meshward istio render envoyfilter` prints', () => {
    assert.equal(readFileSync(MANIFESTS + 'meshward-envoyfilter.yaml', 'utf8'), toYamlDocuments([meshwardEnvoyFilter()]));
  });

  it('the EnvoyFilter passes Istio\'s schema, and its cluster and filters pass Envoy\'s protos', () => {
    for (const options of [{}, { mtls: false, namespace: 'shop', xdsPort: 9901 }]) {
      const ef = meshwardEnvoyFilter(options);
      new EnvoyFilter(ef as never).validate();
      const patches = (ef.spec as { configPatches: Patch[] }).configPatches;
      assert.deepEqual(patches.map((p) => p.applyTo), ['CLUSTER', 'HTTP_FILTER', 'NETWORK_FILTER']);
      checkEnvoyJson('envoy.config.cluster.v3.Cluster', patches[0].patch.value);
      checkEnvoyJson('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', patches[1].patch.value);
      checkEnvoyJson('envoy.config.listener.v3.Filter', patches[2].patch.value);
    }
  });

  it('the Envoy check itself refuses a misspelt field and a bad duration', () => {
    const ef = meshwardEnvoyFilter();
    const cluster = structuredClone((ef.spec as { configPatches: Patch[] }).configPatches[0].patch.value);
    assert.throws(() => checkEnvoyJson('envoy.config.cluster.v3.Cluster', { ...cluster, conect_timeout: '5s' }), /conect_timeout/);
    assert.throws(() => checkEnvoyJson('envoy.config.cluster.v3.Cluster', { ...cluster, connect_timeout: 'five' }), /not a duration/);
    assert.throws(() => new EnvoyFilter({ ...ef, spec: { configPatches: [{ applyTo: 'CLUSTR' }] } } as never).validate());
  });

  it('the IstioOperator overlay is an IstioOperator and keeps the filter\'s stats', () => {
    const [op] = readDocs('istio-operator-meshward.yaml');
    new IstioOperator(op as never).validate();
    const prefixes = (op.spec as { meshConfig: { defaultConfig: { proxyStatsMatcher: { inclusionPrefixes: string[] } } } }).meshConfig.defaultConfig.proxyStatsMatcher.inclusionPrefixes;
    assert.ok(prefixes.includes('wasmcustom.meshward'));
  });

  it('renders one valid WasmPlugin per workload, with the compiled policy as pluginConfig', () => {
    const policies = loadPolicies(`apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/orders"]}]
`);
    const inventory = parseInventory('workloads:\n  - {namespace: shop, name: orders, labels: {app: orders}}\n  - {namespace: shop, name: cart, labels: {app: cart}}\n');
    const rendered = meshwardWasmPlugins(policies, inventory, { url: 'oci://registry.example/meshward:0.1.0', sha256: 'a'.repeat(64) });
    assert.equal(rendered.length, 2);
    for (const r of rendered) {
      new WasmPlugin(r.resource as never).validate();
      const spec = r.resource.spec as { selector: { matchLabels: Record<string, string> }; pluginConfig: { version: string; mode: string } };
      assert.deepEqual(spec.selector.matchLabels, r.workload.labels);
      assert.equal(spec.pluginConfig.version, r.compiled.version);
    }
    assert.equal((rendered[0].resource.spec as { pluginConfig: { mode: string } }).pluginConfig.mode, 'protect');
    assert.equal((rendered[1].resource.spec as { pluginConfig: { mode: string } }).pluginConfig.mode, 'discover');
    assert.throws(() => meshwardWasmPlugins(policies, parseInventory('workloads: [{namespace: shop, name: bare}]\n'), { url: 'oci://x' }), /has no labels/);
  });
});
