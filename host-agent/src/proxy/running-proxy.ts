// What both proxy modes (proxy-server.ts for HTTP, tcp-proxy-server.ts for TCP) do around their
// layers: start the filter from its options (one VM, one plugin; none: forwarding only) and
// answer the RunningProxy surface the admin endpoint, reloads and xDS use.
import type { AddressInfo } from 'node:net';
import type {
  ConfigureResult,
  FailurePolicy,
  HostLogger,
  HttpCallCluster,
  PropertyValue,
  WasmPluginHandle,
  WasmPluginNetwork,
  WasmVmHandle,
} from '../wasm-host/api.js';
import { createVm } from '../wasm-host/index.js';
import type { ProxyStats } from './proxy-stats.js';

export interface FilterOptions {
  /** The compiled filter (meshward.wasm). */
  wasm: Uint8Array;
  /** Plugin configuration: the compiled policy document for this workload. */
  configuration: string;
  failurePolicy: FailurePolicy;
  clusters?: Record<string, HttpCallCluster>;
  nodeMetadata?: Record<string, PropertyValue>;
  nodeId?: string;
  bufferLimitBytes?: number;
}

export interface RunningProxy {
  readonly address: AddressInfo;
  /** Apply a new plugin configuration to new streams, as an ECDS update would. */
  reconfigure(configuration: string): ConfigureResult;
  /** The configuration in force (the last one the filter accepted). */
  configuration(): string | undefined;
  stats(): ProxyStatsSnapshot;
  close(): Promise<void>;
}

export interface ProxyStatsSnapshot {
  proxy: ProxyStats;
  host?: ReturnType<WasmPluginHandle['stats']>;
  filter: Record<string, string>;
}

/** The filter a proxy runs: its VM, plugin and the configuration it started with, all absent
 * without filter options. */
export interface ProxyFilter {
  vm?: WasmVmHandle;
  plugin?: WasmPluginHandle & WasmPluginNetwork;
  configuration?: string;
}

/** Starts the filter; throws when it rejects its configuration (the VM is closed again). */
export async function startProxyFilter(f: FilterOptions | undefined, logger: HostLogger): Promise<ProxyFilter> {
  if (!f) return {};
  const vm = await createVm({ module: f.wasm, vmId: 'meshward', logger });
  const started = vm.startPlugin({
    name: 'meshward',
    rootId: 'meshward',
    configuration: f.configuration,
    failurePolicy: f.failurePolicy,
    clusters: f.clusters,
    nodeMetadata: f.nodeMetadata,
    nodeId: f.nodeId,
    bufferLimitBytes: f.bufferLimitBytes,
  });
  if (!started.plugin) {
    await vm.close();
    throw new Error(`the filter rejected its configuration: ${started.result.reason ?? 'unknown reason'}`);
  }
  return { vm, plugin: started.plugin, configuration: f.configuration };
}

/** The RunningProxy of a proxy listening at `address`: `closeLayers` stops its own layers,
 * then the filter is closed. */
export function runningProxy(
  address: AddressInfo,
  stats: ProxyStats,
  filter: ProxyFilter,
  closeLayers: () => Promise<void>,
): RunningProxy {
  const { vm, plugin } = filter;
  let configuration = filter.configuration;
  return {
    address,
    reconfigure(next: string): ConfigureResult {
      if (!plugin) return { ok: false, reason: 'the proxy runs without a filter' };
      const result = plugin.reconfigure(next);
      if (result.ok) configuration = next;
      return result;
    },
    configuration: () => configuration,
    stats(): ProxyStatsSnapshot {
      const filter: Record<string, string> = {};
      if (plugin) for (const [name, m] of plugin.metrics()) filter[name] = m.value.toString();
      return { proxy: { ...stats }, host: plugin?.stats(), filter };
    },
    async close(): Promise<void> {
      await closeLayers();
      await plugin?.close();
      await vm?.close();
    },
  };
}
