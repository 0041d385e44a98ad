// The filter's CPU time per benign request, in the host, without sockets: a GET with 15
// headers goes through request headers, response headers and the end of the stream. The same
// loop runs with a no-op module (the host's own cost) so the filter's share is the difference.
import { readFileSync } from 'node:fs';
import type { HeaderList, HttpStreamSink, WasmPluginHandle } from '../host-agent/src/wasm-host/api.js';
import { createVm } from '../host-agent/src/wasm-host/index.js';
import { compile, loadPolicies } from '../control-plane/src/index.js';
import { FILTER_WASM, REPO_ROOT } from '../cli/paths.js';
import { emit, round } from './figure.js';
import { join } from 'node:path';

const REQUEST: HeaderList = [
  [':authority', 'orders.shop.svc.cluster.local'],
  [':path', '/api/orders/12345?expand=items&currency=EUR'],
  [':method', 'GET'],
  [':scheme', 'http'],
  ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
  ['accept', 'application/json, text/plain, */*'],
  ['accept-language', 'en-GB,en;q=0.9,de;q=0.8'],
  ['accept-encoding', 'gzip, deflate, br'],
  ['referer', 'https://shop.example.com/orders'],
  ['cookie', 'session=2f1c9e0a7b3d4e5f; theme=dark; consent=yes'],
  ['x-request-id', '7c1f0f5e-3b0a-4f55-9a36-0d2e1b8c9a77'],
  ['x-forwarded-proto', 'https'],
  ['x-b3-traceid', '80f198ee56343ba864fe8b2a57d3eff7'],
  ['x-b3-spanid', 'e457b5a2e4d86bd1'],
  ['authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl'],
];
const RESPONSE: HeaderList = [
  [':status', '200'],
  ['content-type', 'application/json'],
  ['content-length', '512'],
];

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: admin
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      http: [{methods: [GET, POST, DELETE], paths: ["/**"]}]
    - name: payments
      from: [{namespace: payments}]
      grpc: [{service: shop.v1.Orders, methods: [GetOrder]}]
    - name: reads
      from: [{ipBlock: 10.0.0.0/8}, {ipBlock: 127.0.0.0/8}]
      http: [{methods: [GET], paths: ["/api/orders", "/api/orders/*"]}]
`;

const SINK: HttpStreamSink = {
  requestHeaders() {},
  requestData() {},
  requestTrailers() {},
  responseHeaders() {},
  responseData() {},
  responseTrailers() {},
  reset() {},
};

function cpuPerRequestUs(plugin: WasmPluginHandle, n: number): number {
  const connection = { id: 1, sourceAddress: '127.0.0.1', sourcePort: 40000, destinationAddress: '127.0.0.1', destinationPort: 8080 };
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const s = plugin.createHttpStream({ connection, protocol: 'HTTP/1.1' }, SINK);
      s.decodeHeaders(REQUEST.slice(), true);
      s.encodeHeaders(RESPONSE.slice(), true);
      s.complete();
    }
  };
  run(Math.min(2000, n)); // warm up the JIT and the VM's memory
  const start = process.cpuUsage();
  run(n);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

export async function benchFilterCpu(n = 20000): Promise<void> {
  const policies = loadPolicies(POLICY, 'bench-policy.yaml');
  const { json } = compile(policies, { namespace: 'shop', name: 'orders', labels: { app: 'orders' } }, {});
  const noop = await createVm({ module: readFileSync(join(REPO_ROOT, 'dist/fixtures/noop-filter.wasm')) });
  const noopPlugin = noop.startPlugin({ name: 'noop', configuration: '' }).plugin!;
  const vm = await createVm({ module: readFileSync(FILTER_WASM), logger: { log() {} } });
  const started = vm.startPlugin({ name: 'meshward', configuration: json });
  if (!started.plugin) throw new Error(`bench: filter rejected its configuration: ${started.result.reason}`);
  const baseline = cpuPerRequestUs(noopPlugin, n);
  const total = cpuPerRequestUs(started.plugin, n);
  emit({
    bench: 'filter.cpu_per_benign_request',
    value: round(total - baseline),
    unit: 'us',
    baseline: { name: 'host with a no-op module', value: round(baseline) },
    host_plus_filter_us: round(total),
    requests: n,
    headers: REQUEST.length,
  });
  await started.plugin.close();
  await noopPlugin.close();
  await vm.close();
  await noop.close();
  await benchFlowRecords(n);
}

/** What counting allowed requests in flow records costs (reporting.flows on), against the same
 * module with it off, on the same allowed GET of one connection. */
async function benchFlowRecords(n: number): Promise<void> {
  const workload = { namespace: 'shop', name: 'orders', labels: { app: 'orders' } };
  const on = compile(loadPolicies(POLICY, 'bench-policy.yaml'), workload, {}).json;
  const off = compile(loadPolicies(`${POLICY}  reporting: {flows: off}\n`, 'bench-policy.yaml'), workload, {}).json;
  const vm = await createVm({ module: readFileSync(FILTER_WASM), logger: { log() {} } });
  const withOff = vm.startPlugin({ name: 'flows-off', configuration: off }).plugin!;
  const withOn = vm.startPlugin({ name: 'flows-on', configuration: on }).plugin!;
  const baseline = cpuPerRequestUs(withOff, n);
  const total = cpuPerRequestUs(withOn, n);
  emit({
    bench: 'filter.flow_records_cpu_per_request',
    value: round(total - baseline),
    unit: 'us',
    baseline: { name: 'the same filter with reporting.flows off', value: round(baseline) },
    requests: n,
  });
  await withOn.close();
  await withOff.close();
  await vm.close();
}
