// Added latency per request, measured in one run against one upstream: nginx with ModSecurity
// and the CRS against the same nginx without it, and `meshward proxy` with its filter against
// the same proxy without it. One keep-alive connection, requests one after another (a benign
// GET and a 4 KB JSON POST), mean wall time per request.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startMeshwardProxy } from '../cli/commands/proxy.js';
import { createLogger } from '../cli/logger.js';
import { FILTER_WASM, REPO_ROOT } from '../cli/paths.js';
import { emit, round } from './figure.js';
import { ensureModsecurity, startNginx } from './modsecurity.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress: [{name: anyone}]
`;

const BODY = JSON.stringify({ order: { items: Array.from({ length: 30 }, (_, i) => ({ sku: `SKU-${i}`, name: "Rock 'n' roll T-shirt, size M", qty: i % 3 + 1, note: 'gift wrap please -- thanks!' })) } }).slice(0, 4096);

function one(agent: Agent, port: number, post: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, agent, method: post ? 'POST' : 'GET',
      path: post ? '/api/orders' : '/api/orders/12345?expand=items',
      headers: post
        ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), 'user-agent': 'Mozilla/5.0 bench' }
        : { 'user-agent': 'Mozilla/5.0 bench', accept: 'application/json', cookie: 'session=abc; theme=dark' },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    if (post) req.end(BODY);
    else req.end();
  });
}

async function meanMs(port: number, post: boolean, n: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 200; i++) await one(agent, port, post);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await one(agent, port, post);
    return Number(process.hrtime.bigint() - start) / 1e6 / n;
  } finally {
    agent.destroy();
  }
}

export async function benchLatency(n = 2000): Promise<void> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  try {
    ensureModsecurity(log);
  } catch (err) {
    emit({ bench: 'modsecurity.added_latency', value: -1, unit: 'ms', skipped: (err as Error).message });
    return;
  }
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/bench/upstream-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const upstreamPort = Number(line.trim());
  const dir = mkdtempSync(join(tmpdir(), 'meshward-bench-latency-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  const plain = await startNginx(upstreamPort, false);
  const modsec = await startNginx(upstreamPort, true);
  const proxy = (noFilter: boolean) => startMeshwardProxy({
    listen: { host: '127.0.0.1', port: 0 }, upstream: `http://127.0.0.1:${upstreamPort}`, policies: [policy],
    workload: { namespace: 'shop', name: 'orders' }, labels: { app: 'orders' }, fail: 'closed', upstreamProtocol: 'http1',
    noFilter, wasm: FILTER_WASM, logger: createLogger('error', () => {}, () => {}), watch: false,
  });
  const bare = await proxy(true);
  const filtered = await proxy(false);
  try {
    for (const post of [false, true]) {
      const what = post ? 'json_post_4k' : 'get';
      const nginxMs = await meanMs(plain.port, post, n);
      const modsecMs = await meanMs(modsec.port, post, n);
      const bareMs = await meanMs(bare.proxy.address.port, post, n);
      const meshMs = await meanMs(filtered.proxy.address.port, post, n);
      emit({ bench: `modsecurity.added_latency_${what}`, value: round((modsecMs - nginxMs) * 1000, 0), unit: 'us', baseline: { name: 'nginx without ModSecurity (mean ms)', value: round(nginxMs, 3) }, with_modsecurity_ms: round(modsecMs, 3), requests: n });
      emit({ bench: `meshward.added_latency_${what}`, value: round((meshMs - bareMs) * 1000, 0), unit: 'us', baseline: { name: 'meshward proxy without the filter (mean ms)', value: round(bareMs, 3) }, with_filter_ms: round(meshMs, 3), requests: n });
    }
  } finally {
    await filtered.close();
    await bare.close();
    await modsec.close();
    await plain.close();
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
