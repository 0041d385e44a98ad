// The control plane and proxies end to end: `meshward control-plane` runs as its own process
// (so it can be killed for real), three `meshward proxy --xds` subscribe for two workloads, and
// policy edits, broken edits, a forced invalid resource, a crash and a restart are played out.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startMeshwardProxy, type MeshwardProxy } from '../../cli/commands/proxy.js';
import { createLogger } from '../../cli/logger.js';
import { FILTER_WASM } from '../../cli/paths.js';
import { UpstreamApp } from '../support/upstream-app.js';
import { waitUntil } from '../support/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

const policy = (name: string, mode: string, deletePath: string) => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {workloads: [${name}]}
  mode: ${mode}
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/**"]}]
    - name: deletes
      http: [{methods: [DELETE], paths: ["${deletePath}"]}]
`;

interface ControlPlaneProcess {
  child: ChildProcess;
  xdsPort: number;
  httpPort: number;
  logs: string[];
}

async function startControlPlaneProcess(dir: string, xdsPort = 0): Promise<ControlPlaneProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'control-plane', '--policies', join(dir, 'policies'), '--inventory', join(dir, 'inventory.yaml'), '--xds', `127.0.0.1:${xdsPort}`, '--http', '127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const logs: string[] = [];
  const rl = createInterface({ input: child.stderr! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`control plane exited ${code}: ${logs.join('\n')}`)));
    rl.on('line', (line) => {
      logs.push(line);
      const m = /"msg":"control plane listening".*"xds":"[^"]*:(\d+)".*"http":"[^"]*:(\d+)"/.exec(line);
      if (m) resolve({ child, xdsPort: Number(m[1]), httpPort: Number(m[2]), logs });
    });
  });
}

async function status(cp: ControlPlaneProcess): Promise<{ xds: { resourcesSent: number; streamsActive: number; nacks: number; pushes: number } }> {
  return (await fetch(`http://127.0.0.1:${cp.httpPort}/v1/status`)).json() as Promise<{ xds: { resourcesSent: number; streamsActive: number; nacks: number; pushes: number } }>;
}

async function code(url: string, method = 'GET'): Promise<number> {
  const r = await fetch(url, { method });
  await r.arrayBuffer();
  return r.status;
}

describe('control plane → proxies over xDS', { timeout: 90_000 }, () => {
  let dir: string;
  let cp: ControlPlaneProcess;
  let app: UpstreamApp;
  const proxies: Array<{ name: string; p: MeshwardProxy; url: string }> = [];

  const startSidecar = async (name: string) => {
    const p = await startMeshwardProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: app.url,
      policies: [],
      workload: { namespace: 'shop', name },
      labels: {},
      fail: 'closed',
      upstreamProtocol: 'auto',
      noFilter: false,
      wasm: FILTER_WASM,
      logger: createLogger('error', () => {}, () => {}),
      watch: false,
      xds: { server: `127.0.0.1:${cp.xdsPort}`, initial: 'wait', timeoutMs: 15_000 },
    });
    proxies.push({ name, p, url: `http://127.0.0.1:${p.proxy.address.port}` });
  };
  const sidecars = (name: string) => proxies.filter((x) => x.name === name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshward-xds-e2e-'));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'orders.yaml'), policy('orders', 'protect', '/api/orders/1'));
    writeFileSync(join(dir, 'policies', 'payments.yaml'), policy('payments', 'protect', '/api/payments/1'));
    writeFileSync(join(dir, 'inventory.yaml'), 'workloads:\n  - {namespace: shop, name: orders}\n  - {namespace: shop, name: payments}\n');
    app = await new UpstreamApp().start();
    cp = await startControlPlaneProcess(dir);
    await startSidecar('orders');
    await startSidecar('orders');
    await startSidecar('payments');
  });

  after(async () => {
    for (const { p } of proxies) await p.close();
    cp.child.kill('SIGKILL');
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves its health, metrics and the filter module sidecars fetch', async () => {
    const base = `http://127.0.0.1:${cp.httpPort}`;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^meshward_xds_streams_active 3$/m);
    assert.match(metrics, /^meshward_xds_acks_total \d+$/m);
    const wasm = await fetch(`${base}/v1/filter/meshward.wasm`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.deepEqual(Buffer.from(await wasm.arrayBuffer()), readFileSync(FILTER_WASM));
  });

  it('each proxy enforces its own workload\'s policy', async () => {
    for (const s of sidecars('orders')) {
      assert.equal(await code(`${s.url}/api/orders/1`, 'DELETE'), 200);
      assert.equal(await code(`${s.url}/api/orders/2`, 'DELETE'), 403);
    }
    const [pay] = sidecars('payments');
    assert.equal(await code(`${pay.url}/api/orders/1`, 'DELETE'), 403);
    assert.equal(await code(`${pay.url}/api/payments/1`, 'DELETE'), 200);
  });

  it('a policy edit reaches every proxy of that workload', async () => {
    writeFileSync(join(dir, 'policies', 'orders.yaml'), policy('orders', 'protect', '/api/orders/2'));
    for (const s of sidecars('orders')) {
      await waitUntil(() => s.p.xds!.status().applied[`meshward.http.shop.orders`]?.version !== undefined && s.p.proxy.configuration()!.includes('/api/orders/2'), 'the new policy');
      assert.equal(await code(`${s.url}/api/orders/2`, 'DELETE'), 200);
      assert.equal(await code(`${s.url}/api/orders/1`, 'DELETE'), 403);
    }
  });

  it('a broken edit is rejected by the compiler and nothing is pushed', async () => {
    const before = await status(cp);
    writeFileSync(join(dir, 'policies', 'orders.yaml'), policy('orders', 'strict', '/api/orders/3'));
    await waitUntil(() => cp.logs.some((l) => l.includes('source change rejected') && l.includes('orders.yaml:6')), 'the rejection in the log');
    const after = await status(cp);
    assert.equal(after.xds.pushes, before.xds.pushes);
    for (const s of sidecars('orders')) assert.equal(await code(`${s.url}/api/orders/2`, 'DELETE'), 200);
    writeFileSync(join(dir, 'policies', 'orders.yaml'), policy('orders', 'protect', '/api/orders/2')); // repaired, same as before
  });

  it('keeps enforcing while the control plane is down, and resumes after a restart without re-downloading what it has', async () => {
    const port = cp.xdsPort;
    cp.child.kill('SIGKILL');
    await new Promise((r) => cp.child.once('exit', r));
    for (const s of sidecars('orders')) {
      assert.equal(await code(`${s.url}/api/orders/2`, 'DELETE'), 200);
      assert.equal(await code(`${s.url}/api/orders/1`, 'DELETE'), 403);
    }
    cp = await startControlPlaneProcess(dir, port);
    await waitUntil(() => proxies.every(({ p }) => p.xds!.status().connected), 'every proxy to reconnect', 20_000);
    // Versions are content hashes: the restarted control plane recognises what each proxy holds.
    writeFileSync(join(dir, 'policies', 'payments.yaml'), policy('payments', 'protect', '/api/payments/2'));
    const [pay] = sidecars('payments');
    await waitUntil(() => pay.p.proxy.configuration()!.includes('/api/payments/2'), 'the payments update');
    const s = await status(cp);
    assert.equal(s.xds.resourcesSent, 1, 'only the changed payments resource went out; the orders proxies got nothing');
    assert.equal(await code(`${pay.url}/api/payments/2`, 'DELETE'), 200);
  });
});

describe('an invalid resource forced through the control plane', { timeout: 30_000 }, () => {
  it('is NACKed with the filter\'s reason, recorded, and the proxy keeps its rules', async () => {
    const { startControlPlane, Snapshot, ecdsResources, workloadKey } = await import('../../control-plane/src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'meshward-xds-nack-'));
    writeFileSync(join(dir, 'orders.yaml'), policy('orders', 'protect', '/api/orders/1'));
    writeFileSync(join(dir, 'inventory.yaml'), 'workloads: [{namespace: shop, name: orders}]\n');
    const app = await new UpstreamApp().start();
    const wasm = { code: { local: { filename: FILTER_WASM } } };
    const cp = await startControlPlane({
      policies: [join(dir, 'orders.yaml')],
      inventory: join(dir, 'inventory.yaml'),
      xds: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      wasm,
      logger: { log() {} },
    });
    const p = await startMeshwardProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: app.url,
      policies: [],
      workload: { namespace: 'shop', name: 'orders' },
      labels: {},
      fail: 'closed',
      upstreamProtocol: 'auto',
      noFilter: false,
      wasm: FILTER_WASM,
      logger: createLogger('error', () => {}, () => {}),
      watch: false,
      xds: { server: `127.0.0.1:${cp.xds.port}`, initial: 'wait', timeoutMs: 15_000 },
    });
    const url = `http://127.0.0.1:${p.proxy.address.port}`;
    try {
      const good = p.proxy.configuration()!;
      assert.equal(await code(`${url}/api/orders/2`, 'DELETE'), 403);
      // What a buggy compiler could emit: a mode the filter does not know.
      const bad = JSON.stringify({ ...JSON.parse(good), mode: 'relaxed' });
      cp.cache.setSnapshot(workloadKey('shop', 'orders'), Snapshot.from(ecdsResources({ namespace: 'shop', name: 'orders' }, bad, wasm)));
      await waitUntil(() => cp.xds.nacks().length > 0, 'the NACK');
      const nack = cp.xds.nacks()[0];
      assert.equal(nack.key, 'workload/shop/orders');
      assert.match(JSON.stringify(nack), /mode/);
      assert.equal(p.proxy.configuration(), good);
      assert.equal(await code(`${url}/api/orders/2`, 'DELETE'), 403, 'the old rules still hold');
    } finally {
      await p.close();
      await cp.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
