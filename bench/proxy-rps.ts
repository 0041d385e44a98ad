// Requests per second through `meshward proxy` with the filter, and without it (the baseline),
// measured in one run against the same upstream with the same load generator (autocannon, in
// its own process). The direct rate to the upstream is printed as context.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { startMeshwardProxy } from '../cli/commands/proxy.js';
import { createLogger } from '../cli/logger.js';
import { FILTER_WASM, REPO_ROOT } from '../cli/paths.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { emit, round } from './figure.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/orders", "/api/orders/*"]}]
`;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function startUpstream(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/bench/upstream-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const [line] = (await once(rl, 'line')) as [string];
  return { child, url: `http://127.0.0.1:${line.trim()}` };
}

async function load(url: string, seconds: number, connections: number): Promise<LoadResult> {
  const bin = join(REPO_ROOT, 'node_modules/autocannon/autocannon.js');
  const child = spawn(process.execPath, [bin, '-c', String(connections), '-d', String(seconds), '-j', url], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`autocannon exited ${code}`);
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export async function benchProxyRps(seconds = 10, connections = 32): Promise<void> {
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'meshward-bench-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  const quiet = createLogger('error', () => {}, () => {});
  const path = '/api/orders/12345';
  try {
    const run = async (noFilter: boolean) => {
      const p = await startMeshwardProxy({
        listen: { host: '127.0.0.1', port: 0 },
        upstream: upstream.url,
        policies: [policy],
        workload: { namespace: 'shop', name: 'orders' },
        labels: { app: 'orders' },
        fail: 'closed',
        upstreamProtocol: 'http1',
        noFilter,
        wasm: FILTER_WASM,
        logger: quiet,
        watch: false,
      });
      try {
        return await load(`http://127.0.0.1:${p.proxy.address.port}${path}`, seconds, connections);
      } finally {
        await p.close();
      }
    };
    const direct = await load(`${upstream.url}${path}`, seconds, connections);
    const bare = await run(true);
    const filtered = await run(false);
    emit({
      bench: 'proxy.rps_with_filter',
      value: round(filtered.rps, 0),
      unit: 'req/s',
      baseline: { name: 'proxy without the filter', value: round(bare.rps, 0) },
      ratio_to_baseline: round(filtered.rps / bare.rps, 3),
      direct_to_upstream_rps: round(direct.rps, 0),
      p50_ms: filtered.p50,
      p99_ms: filtered.p99,
      baseline_p50_ms: bare.p50,
      baseline_p99_ms: bare.p99,
      errors: filtered.errors + bare.errors,
      non2xx: filtered.non2xx + bare.non2xx,
      connections,
      seconds,
    });
  } finally {
    upstream.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
