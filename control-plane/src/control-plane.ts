// `meshward control-plane`: policy and inventory sources → per-workload compilation → the xDS
// cache → the xDS server (sidecars over ECDS, agents over ADS), with health and metrics on the
// HTTP port. Every piece is its own module; this file only connects them.
import { readFileSync } from 'node:fs';
import type { CompileOptions } from './compile/options.js';
import { startHttpServer, type ApiServer } from './api/http-server.js';
import { metricsText, type SourceHealth } from './api/metrics-text.js';
import { startKubernetesSources } from './sources/kubernetes.js';
import { startLocalSources, type SourceHandlers, type Sources } from './sources/local-sources.js';
import {
  PolicyDistributor,
  SnapshotCache,
  XdsServer,
  identityAuthorizer,
  type WasmFilterOptions,
  type XdsServerTls,
} from './xds/index.js';

export interface ControlPlaneLogger {
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface ControlPlaneOptions {
  /** Local sources (the embedded default): folders/files of policies and an inventory file. */
  policies?: string[];
  inventory?: string;
  /** Read SecurityPolicies and Pods from the Kubernetes API instead. */
  kubernetes?: boolean;
  xds: { host: string; port: number; tls?: XdsServerTls; trustDomain?: string };
  http: { host: string; port: number };
  wasm: WasmFilterOptions;
  /** Serve this file at /v1/filter/meshward.wasm, for sidecars that fetch the module remotely. */
  serveWasmFile?: string;
  compileOptions?: CompileOptions;
  logger: ControlPlaneLogger;
}

export interface RunningControlPlane {
  /** The snapshot cache the server serves from (exposed for tools and tests). */
  readonly cache: SnapshotCache;
  readonly xds: XdsServer;
  readonly http: ApiServer;
  readonly distributor: PolicyDistributor;
  readonly sources: Sources;
  close(): Promise<void>;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<RunningControlPlane> {
  const log = o.logger;
  // Read once: the module is what the ECDS resources' SHA-256 was computed from.
  const wasmBytes = o.serveWasmFile ? readFileSync(o.serveWasmFile) : undefined;
  const cache = new SnapshotCache();
  const health: SourceHealth = { updates: 0, errors: 0, lastError: undefined };
  let published = false;
  const distributor = new PolicyDistributor({
    cache,
    wasm: o.wasm,
    compileOptions: o.compileOptions,
    onPublish: (r) => {
      published = true;
      log.log('info', 'policy published', { workloads: r.workloads, changed: r.changed.length, removed: r.removed.length, ms: Math.round(r.durationMs) });
    },
    onError: (err) => log.log('error', `policy not published, the previous one stays: ${err.message}`),
  });
  const handlers: SourceHandlers = {
    update: (state) => {
      health.updates++;
      distributor.update(state);
    },
    error: (err) => {
      health.errors++;
      health.lastError = err.message;
      log.log('error', `source change rejected, keeping the last good state: ${err.message}`);
    },
  };
  const sources = o.kubernetes
    ? await startKubernetesSources({}, handlers)
    : startLocalSources({ policies: o.policies ?? [], inventory: o.inventory }, handlers);
  // The first state is published at once, not after the debounce: readiness means policy is there.
  distributor.publish();
  published = true;

  const xds = await XdsServer.start({
    watcher: cache,
    host: o.xds.host,
    port: o.xds.port,
    tls: o.xds.tls,
    nodeKey: distributor.nodeKey,
    authorize: o.xds.tls?.clientCa
      ? identityAuthorizer(() => ({ workloads: distributor.identityMap(), trustDomain: o.xds.trustDomain }))
      : undefined,
  });
  const http = await startHttpServer(o.http.host, o.http.port, {
    ready: () => (published ? { ready: true } : { ready: false, reason: 'no policy published yet' }),
    metrics: () => metricsText(xds.metrics(), distributor.stats(), health),
    status: () => ({ xds: xds.metrics(), distributor: distributor.stats(), sources: health, nacks: xds.nacks() }),
    wasm: () => wasmBytes,
  });
  log.log('info', 'control plane listening', { xds: xds.address, http: `${http.address.address}:${http.address.port}` });
  return {
    cache,
    xds,
    http,
    distributor,
    sources,
    async close() {
      sources.close();
      distributor.close();
      await http.close();
      await xds.close();
    },
  };
}
