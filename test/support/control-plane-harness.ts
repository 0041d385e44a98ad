// An in-process `meshward control-plane` (the same startControlPlane the command runs) on port 0
// with a temporary policies folder, inventory and data folder, sidecars (`meshward proxy --xds`)
// that post their events to it, and the CLI run as a real process against it.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlaneOptions, type RunningControlPlane } from '../../control-plane/src/index.js';
import { startMeshwardProxy, type MeshwardProxy } from '../../cli/commands/proxy.js';
import { createLogger } from '../../cli/logger.js';
import { FILTER_WASM } from '../../cli/paths.js';
import { waitUntil } from './wait.js';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

export interface CpHarness {
  dir: string;
  cp: RunningControlPlane;
  url: string;
  token: string;
  logs: string[];
  writePolicy(name: string, yaml: string): void;
  writeInventory(yaml: string): void;
  /** Closes and starts it again on the same folders (and ports when free). */
  restart(): Promise<void>;
  sidecar(o: { namespace: string; name: string; upstream: string; peers?: string }): Promise<Sidecar>;
  /** Runs `meshward ARGS` with --server and the token in the environment. */
  cli(args: string[], env?: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export interface Sidecar {
  proxy: MeshwardProxy;
  url: string;
  port: number;
}

export async function startCpHarness(o: { inventory: string; policies?: Record<string, string>; options?: Partial<ControlPlaneOptions> }): Promise<CpHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'meshward-cp-'));
  mkdirSync(join(dir, 'policies'));
  for (const [name, yaml] of Object.entries(o.policies ?? {})) writeFileSync(join(dir, 'policies', name), yaml);
  writeFileSync(join(dir, 'inventory.yaml'), o.inventory);
  const token = 'test-api-token';
  const logs: string[] = [];
  const sidecars: Sidecar[] = [];
  let httpPort = 0;
  let xdsPort = 0;
  const start = () => startControlPlane({
    policies: [join(dir, 'policies')],
    inventory: join(dir, 'inventory.yaml'),
    xds: { host: '127.0.0.1', port: xdsPort },
    http: { host: '127.0.0.1', port: httpPort },
    wasm: { code: { local: { filename: FILTER_WASM } }, failOpen: false },
    compileOptions: { events: { cluster: 'meshward_events', flushIntervalMs: 100 } },
    logger: { log: (level, message, fields) => logs.push(JSON.stringify({ level, message, ...fields })) },
    dataDir: join(dir, 'data'),
    apiToken: token,
    ...o.options,
  });
  const h: CpHarness = {
    dir,
    cp: await start(),
    url: '',
    token,
    logs,
    writePolicy: (name, yaml) => writeFileSync(join(dir, 'policies', name), yaml),
    writeInventory: (yaml) => writeFileSync(join(dir, 'inventory.yaml'), yaml),
    async restart() {
      await h.cp.close();
      h.cp = await start();
    },
    async sidecar(s) {
      const peersFile = s.peers === undefined ? undefined : join(dir, `peers-${s.name}-${sidecars.length}.yaml`);
      if (peersFile) writeFileSync(peersFile, s.peers!);
      const proxy = await startMeshwardProxy({
        listen: { host: '127.0.0.1', port: 0 },
        upstream: s.upstream,
        policies: [],
        workload: { namespace: s.namespace, name: s.name },
        labels: {},
        fail: 'closed',
        upstreamProtocol: 'auto',
        noFilter: false,
        wasm: FILTER_WASM,
        eventsUrl: h.url,
        peersFile,
        logger: createLogger('error', () => {}, () => {}),
        watch: false,
        xds: { server: `127.0.0.1:${h.cp.xds.address.split(':').pop()}`, initial: 'wait', timeoutMs: 15_000 },
      });
      const sc = { proxy, port: proxy.proxy.address.port, url: `http://127.0.0.1:${proxy.proxy.address.port}` };
      sidecars.push(sc);
      return sc;
    },
    cli(args, env = {}) {
      return new Promise((resolve) => {
        execFile(process.execPath, [BIN, ...args, '--server', h.url], { env: { ...process.env, MESHWARD_API_TOKEN: token, MESHWARD_SERVER: undefined, ...env } }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      });
    },
    async close() {
      for (const s of sidecars) await s.proxy.close();
      await h.cp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  httpPort = h.cp.http.address.port;
  xdsPort = Number(h.cp.xds.address.split(':').pop());
  h.url = `http://127.0.0.1:${httpPort}`;
  return h;
}

/** Waits until the store holds an event matching `match` (ingest answers after storing). */
export async function waitForStored(h: CpHarness, match: (e: Record<string, unknown>) => boolean, what: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await waitUntilAsync(async () => {
    const page = await h.cp.store.queryEvents({ limit: 1000 });
    found = page.items.map((r) => JSON.parse(r.doc) as Record<string, unknown>).find(match);
    return found !== undefined;
  }, what, timeoutMs);
  return found!;
}

export async function waitUntilAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { waitUntil };

/** A request from a chosen loopback source address (127.0.0.2, ...), so `--peers` can give
 * different callers different identities. */
export async function request(url: string, o: { method?: string; from?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', localAddress: o.from, headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
