// The local stack `meshward up` runs on one machine: the control plane (xDS, event store, REST API
// and dashboard on one HTTP port), the demo services each behind `meshward proxy --xds` posting
// their events to it, and the host agent when this process may run it. Each part is started in
// order and reported through `progress`; what could not start is said, not hidden.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlaneLogger, type RunningControlPlane } from '../../control-plane/src/index.js';
import { startMeshwardProxy, EVENTS_CLUSTER, type MeshwardProxy } from '../commands/proxy.js';
import { createLogger } from '../logger.js';
import { EXAMPLES, FILTER_WASM, UI_DIR } from '../paths.js';
import { startOrdersApp } from '../demo/orders-app.js';
import { openOrdersStore } from '../demo/orders-store.js';
import { startPaymentsApp } from '../demo/payments-app.js';
import { startStorefrontApp } from '../demo/storefront-app.js';
import { httpCall } from '../demo/http-call.js';
import { STOREFRONT_ADDRESS, writeStackFile, type StackFile } from './stack-file.js';

export type StepState = 'start' | 'ok' | 'warn' | 'skip';

export interface StackOptions {
  /** State folder (the SQLite store, policies, the token, stack.json). */
  dataDir: string;
  http: { host: string; port: number };
  /** The storefront's sidecar, the demo's front door (0: any free port). */
  storefrontPort: number;
  apiToken: string;
  /** Start the host agent: `auto` when running as root. */
  agent: 'auto' | 'off';
  postgres?: string | false;
  redis?: string | false;
  /** Customers' requests to the storefront every this many ms (0: only once at start). */
  trafficIntervalMs: number;
  progress(step: string, state: StepState, detail?: string): void;
  logger: ControlPlaneLogger;
}

export interface RunningStack {
  readonly dashboard: string;
  readonly file: StackFile;
  readonly controlPlane: RunningControlPlane;
  /** What was left out (no PostgreSQL, no agent...), each as one sentence. */
  readonly notes: string[];
  close(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));
const NODE_NAME = 'local';

/** Seeds the policies folder from the examples once, so policies applied later (learned ones
 * from the dashboard) survive a restart; the inventory is the demo's and rewritten each time. */
function prepareDataDir(dataDir: string): { policies: string; inventory: string } {
  const policies = join(dataDir, 'policies');
  if (!existsSync(policies)) {
    mkdirSync(policies, { recursive: true });
    for (const f of readdirSync(join(EXAMPLES, 'up/policies'))) copyFileSync(join(EXAMPLES, 'up/policies', f), join(policies, f));
  }
  const inventory = join(dataDir, 'inventory.yaml');
  copyFileSync(join(EXAMPLES, 'up/inventory.yaml'), inventory);
  return { policies, inventory };
}

export async function startStack(o: StackOptions): Promise<RunningStack> {
  const closers: Array<() => Promise<void>> = [];
  const notes: string[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    closers.length = 0;
  };
  try {
    mkdirSync(o.dataDir, { recursive: true });
    const paths = prepareDataDir(o.dataDir);
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const runAgent = o.agent === 'auto' && isRoot;

    o.progress('control plane', 'start');
    const uiDir = existsSync(join(UI_DIR, 'index.html')) ? UI_DIR : undefined;
    const cp = await startControlPlane({
      policies: [paths.policies],
      inventory: paths.inventory,
      xds: { host: '127.0.0.1', port: 0 },
      http: o.http,
      wasm: { code: { local: { filename: FILTER_WASM } }, failOpen: false },
      serveWasmFile: FILTER_WASM,
      compileOptions: { events: { cluster: EVENTS_CLUSTER, flushIntervalMs: 250 } },
      logger: o.logger,
      dataDir: o.dataDir,
      apiToken: o.apiToken,
      ui: uiDir,
      events: runAgent ? { agentEvents: { host: '127.0.0.1', port: 0 } } : {},
    });
    closers.push(() => cp.close());
    const api = `http://${o.http.host === '0.0.0.0' ? '127.0.0.1' : o.http.host}:${cp.http.address.port}`;
    const xds = `127.0.0.1:${cp.xds.address.split(':').pop()}`;
    o.progress('control plane', 'ok', `${api} (xDS ${xds}, store ${join(o.dataDir, 'meshward.db')})`);
    if (!uiDir) notes.push(`the dashboard is not built (${UI_DIR} is missing): run \`npm run build\`; the API works without it`);

    o.progress('demo services', 'start');
    const { store, notes: storeNotes } = await openOrdersStore({ postgres: o.postgres, redis: o.redis });
    closers.push(() => store.close());
    notes.push(...storeNotes);
    const peers = join(EXAMPLES, 'up/peers.yaml');
    const sidecarLogger = createLogger('error', () => {}, (line) => o.logger.log('error', 'sidecar', { line }));
    const sidecar = async (name: string, upstream: string, port = 0): Promise<MeshwardProxy> => {
      const p = await startMeshwardProxy({
        listen: { host: '127.0.0.1', port },
        upstream,
        policies: [],
        workload: { namespace: 'shop', name },
        labels: { app: name },
        fail: 'closed',
        upstreamProtocol: 'auto',
        noFilter: false,
        wasm: FILTER_WASM,
        eventsUrl: api,
        peersFile: peers,
        logger: sidecarLogger,
        watch: false,
        xds: { server: xds, initial: 'wait', timeoutMs: 15_000 },
      });
      closers.push(() => p.close());
      return p;
    };
    const urlOf = (p: MeshwardProxy) => `http://127.0.0.1:${p.proxy.address.port}`;
    const ordersApp = await startOrdersApp('127.0.0.1', 0, store);
    closers.push(() => ordersApp.close());
    const orders = await sidecar('orders', ordersApp.url);
    const paymentsApp = await startPaymentsApp();
    closers.push(() => paymentsApp.close());
    const payments = await sidecar('payments', paymentsApp.url);
    const storefrontApp = await startStorefrontApp({ orders: urlOf(orders), payments: urlOf(payments), callFrom: STOREFRONT_ADDRESS });
    closers.push(() => storefrontApp.close());
    const storefront = await sidecar('storefront', storefrontApp.url, o.storefrontPort);
    o.progress('demo services', 'ok', `storefront ${urlOf(storefront)}, orders ${urlOf(orders)} (${store.kind}), payments ${urlOf(payments)}`);

    let agentState: StackFile['agent'] = { running: false, reason: '' };
    if (runAgent) {
      o.progress('host agent', 'start');
      const r = await startAgent(xds, cp, o.logger);
      if (r.child) {
        closers.push(() => stopChild(r.child!));
        agentState = { running: true, pid: r.child.pid };
        o.progress('host agent', 'ok', `node "${NODE_NAME}", pid ${r.child.pid}`);
      } else {
        agentState = { running: false, reason: r.reason };
        notes.push(`the host agent did not start: ${r.reason}`);
        o.progress('host agent', 'warn', r.reason);
      }
    } else {
      const reason = o.agent === 'off' ? 'turned off (--no-agent)' : 'needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW): run `sudo npm start` for process, file, port and non-mesh traffic monitoring';
      agentState = { running: false, reason };
      if (o.agent !== 'off') notes.push(`the host agent is not running: it ${reason}`);
      o.progress('host agent', 'skip', reason);
    }

    const file: StackFile = {
      pid: process.pid,
      dashboard: api,
      api,
      xds,
      token: o.apiToken,
      services: { storefront: urlOf(storefront), orders: urlOf(orders), payments: urlOf(payments) },
      agent: agentState,
    };
    const stackFile = writeStackFile(o.dataDir, file);
    closers.unshift(async () => rmSync(stackFile, { force: true }));

    // Customers use the shop, so the map and the learned baselines have traffic to show.
    o.progress('customer traffic', 'start');
    const shop = async () => {
      await httpCall(`${file.services.storefront}/`);
      await httpCall(`${file.services.storefront}/api/products`);
      await httpCall(`${file.services.storefront}/api/orders`);
      await httpCall(`${file.services.storefront}/api/checkout`, { method: 'POST', body: JSON.stringify({ sku: 'beans', quantity: 1 }) });
    };
    await shop();
    if (o.trafficIntervalMs > 0) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        void shop().catch(() => {}).finally(() => (busy = false));
      }, o.trafficIntervalMs);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }
    o.progress('customer traffic', 'ok', o.trafficIntervalMs > 0 ? `a customer visit every ${Math.round(o.trafficIntervalMs / 1000)} s` : 'one visit');
    return { dashboard: api, file, controlPlane: cp, notes, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** `meshward agent` as a child process (it runs as root and may be killed apart from us), ready
 * when it says it runs; its node token travels in the environment, not the command line. */
async function startAgent(xds: string, cp: RunningControlPlane, logger: ControlPlaneLogger): Promise<{ child?: ChildProcess; reason: string }> {
  const events = cp.agentEvents?.address;
  if (!events) return { reason: 'the control plane has no agent event port' };
  const child = spawn(process.execPath, [BIN, 'agent', '--control-plane', xds, '--events', events, '--node', NODE_NAME, '--log-level', 'info'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MESHWARD_EVENTS_TOKEN: cp.ingestAuth.nodeToken(NODE_NAME) },
  });
  let tail = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ child, reason: '' }), 20_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        try {
          const rec = JSON.parse(line) as { level?: string; msg?: string };
          if (rec.level === 'warn' || rec.level === 'error') logger.log('warn', `agent: ${rec.msg ?? ''}`, rec as Record<string, unknown>);
          if (rec.msg === 'meshward agent running') {
            clearTimeout(timer);
            resolve({ child, reason: '' });
          }
        } catch {
          // Not JSON: a crash trace; kept in `tail` for the reason.
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ reason: `it exited (${signal ?? code}): ${tail.trim().split('\n').slice(-3).join(' ').slice(0, 400)}` });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

