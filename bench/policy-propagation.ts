// Time from a policy file edit to every subscribed proxy enforcing it, through the control
// plane (folder watch → compile → xDS push → ECDS apply), next to the baseline of a proxy
// watching the same file itself (watch → compile → apply). Median of several edits.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../control-plane/src/index.js';
import { startMeshwardProxy, type MeshwardProxy, type ProxyCommandOptions } from '../cli/commands/proxy.js';
import { createLogger } from '../cli/logger.js';
import { FILTER_WASM } from '../cli/paths.js';
import { emit, median, round } from './figure.js';

const policy = (n: number) => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/orders/${n}"]}]
`;

async function timeUntil(proxies: MeshwardProxy[], marker: string, deadlineMs = 10_000): Promise<number> {
  const start = performance.now();
  while (!proxies.every((p) => p.proxy.configuration()?.includes(marker))) {
    if (performance.now() - start > deadlineMs) throw new Error(`no proxy saw ${marker} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - start;
}

export async function benchPolicyPropagation(edits = 7, proxiesPerWorkload = 3): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshward-bench-prop-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  const file = join(policies, 'orders.yaml');
  writeFileSync(file, policy(0));
  writeFileSync(join(dir, 'inventory.yaml'), 'workloads: [{namespace: shop, name: orders}]\n');
  const quiet = createLogger('error', () => {}, () => {});
  const base: Omit<ProxyCommandOptions, 'policies'> = {
    listen: { host: '127.0.0.1', port: 0 },
    upstream: 'http://127.0.0.1:9',
    workload: { namespace: 'shop', name: 'orders' },
    labels: {},
    fail: 'closed',
    upstreamProtocol: 'auto',
    noFilter: false,
    wasm: FILTER_WASM,
    logger: quiet,
  };
  const cp = await startControlPlane({
    policies: [policies],
    inventory: join(dir, 'inventory.yaml'),
    xds: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    wasm: { code: { local: { filename: FILTER_WASM } } },
    logger: { log() {} },
  });
  const viaXds: MeshwardProxy[] = [];
  for (let i = 0; i < proxiesPerWorkload; i++) {
    viaXds.push(await startMeshwardProxy({ ...base, policies: [], watch: false, xds: { server: `127.0.0.1:${cp.xds.port}`, initial: 'wait', timeoutMs: 10_000 } }));
  }
  const local = await startMeshwardProxy({ ...base, policies: [file], watch: true });
  const xdsTimes: number[] = [];
  const localTimes: number[] = [];
  try {
    for (let n = 1; n <= edits; n++) {
      writeFileSync(file, policy(n));
      const marker = `/api/orders/${n}"`;
      const [x, l] = await Promise.all([timeUntil(viaXds, marker), timeUntil([local], marker)]);
      xdsTimes.push(x);
      localTimes.push(l);
    }
    emit({
      bench: 'policy.edit_to_enforced',
      value: round(median(xdsTimes), 1),
      unit: 'ms',
      baseline: { name: 'a proxy watching the policy file itself', value: round(median(localTimes), 1) },
      max_ms: round(Math.max(...xdsTimes), 1),
      proxies: proxiesPerWorkload,
      edits,
      goal_ms: 1000,
    });
  } finally {
    for (const p of viaXds) await p.close();
    await local.close();
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
