// Starts the pieces of an end-to-end proxy test in one process: the upstream app, an events
// collector, and `meshward proxy` (through the same code path as the CLI) on port 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMeshwardProxy, type MeshwardProxy, type ProxyCommandOptions } from '../../cli/commands/proxy.js';
import { createLogger } from '../../cli/logger.js';
import { FILTER_WASM } from '../../cli/paths.js';
import { EventsCollector } from './events-collector.js';
import { UpstreamApp } from './upstream-app.js';

export interface Harness {
  app: UpstreamApp;
  events: EventsCollector;
  proxy: MeshwardProxy;
  /** Base URL of the proxy. */
  url: string;
  port: number;
  dir: string;
  logs: string[];
  /** Write a file into the harness's temporary folder. */
  write(name: string, content: string): string;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<ProxyCommandOptions, 'policies' | 'logger'>> {
  /** Policy YAML text (written to a file the proxy watches). */
  policy?: string;
  /** Peers YAML text. */
  peers?: string;
  /** Post events to the collector (default true); false makes the filter log them. */
  collectEvents?: boolean;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'meshward-test-'));
  const write = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const app = await new UpstreamApp().start();
  const events = await new EventsCollector().start();
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l), (l) => logs.push(l));
  const proxy = await startMeshwardProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: o.upstream ?? app.url,
    policies: o.policy !== undefined ? [write('policy.yaml', o.policy)] : [],
    workload: o.workload ?? { namespace: 'shop', name: 'orders' },
    labels: o.labels ?? { app: 'orders' },
    mode: o.mode,
    fail: o.fail ?? 'closed',
    eventsUrl: o.collectEvents === false ? undefined : events.url,
    eventsToken: o.eventsToken,
    tls: o.tls,
    peersFile: o.peers !== undefined ? write('peers.yaml', o.peers) : undefined,
    upstreamProtocol: o.upstreamProtocol ?? 'auto',
    routeTimeoutMs: o.routeTimeoutMs,
    admin: o.admin ?? { host: '127.0.0.1', port: 0 },
    noFilter: o.noFilter ?? false,
    wasm: o.wasm ?? FILTER_WASM,
    logger,
    watch: o.watch ?? false,
  });
  const port = proxy.proxy.address.port;
  return {
    app,
    events,
    proxy,
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    logs,
    write,
    async close() {
      await proxy.close();
      await app.close();
      await events.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The policy most tests use: reads for anyone, writes for the admin principal only. */
export function ordersPolicy(mode: 'discover' | 'monitor' | 'protect'): string {
  return `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: ${mode}
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/orders", "/api/orders/*", "/download", "/echo/**"]}]
    - name: uploads
      http: [{methods: [POST], paths: ["/upload"]}]
    - name: admin
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      http: [{methods: [GET, POST, DELETE], paths: ["/**"]}]
`;
}
