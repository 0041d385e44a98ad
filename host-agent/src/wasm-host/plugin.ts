// A plugin (Envoy's PluginBase + PluginHandle): one configuration of the module on a VM, served
// by a root context, and the streams created under it.
//
// Starting or reconfiguring follows Envoy's createWasm / getOrCreateThreadLocalPlugin:
// 1. a configuration canary: a fresh instance of the module runs proxy_on_context_create,
//    proxy_on_vm_start and proxy_on_configure with the new configuration and is thrown away
//    (no on_done / on_delete); if it refuses or traps, the configuration is rejected and the
//    live VM never sees it (an ECDS update is NACKed and the old configuration stays);
// 2. then, on the live VM, a new root context runs the same three callbacks.
// A reconfigured plugin keeps serving streams in flight with the root they started with; the
// old root gets proxy_on_done (then proxy_on_delete, at once or after proxy_done) when its last
// stream ends. The canary's verdict is cached per (root id, configuration), as in cpp-host.

import type {
  ConfigureResult,
  HostStats,
  HttpFilterStream,
  HttpStreamInfo,
  HttpStreamSink,
  NetworkFilterStream,
  NetworkStreamInfo,
  NetworkStreamSink,
  PluginOptions,
  WasmPluginHandle,
  WasmPluginNetwork,
} from './api.js';
import { RootContext, type PluginConfig, type PluginCounters } from './context.js';
import { WasmHostError } from './errors.js';
import { HttpFilterManager } from './http-filter-manager.js';
import { NetworkFilterManager } from './network-filter-manager.js';
import { PassThroughHttpStream, PassThroughNetworkStream } from './pass-through.js';
import type { StreamInfoState } from './properties.js';
import type { WasmVm } from './vm.js';

export const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

const toBytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

function configKey(rootId: string, configuration: Uint8Array): string {
  return `${rootId}\u0000${Buffer.from(configuration).toString('base64')}`;
}

/** Why on_configure said no: Envoy only knows that it did; the module's own warning, when it
 * logged one, tells the operator what to fix. */
function refusal(vm: WasmVm): string {
  return vm.lastGuestProblem ? `proxy_on_configure returned false: ${vm.lastGuestProblem}` : 'proxy_on_configure returned false';
}

/** Runs the configuration canary; undefined when the configuration is accepted. */
function canary(vm: WasmVm, config: PluginConfig): string | undefined {
  let clone: WasmVm;
  try {
    clone = vm.cloneForCanary();
  } catch (err) {
    return `the configuration canary could not start the module: ${(err as Error).message}`;
  }
  try {
    const root = new RootContext(clone, clone.allocContextId(), config);
    clone.register(root);
    if (!root.onStart()) {
      return clone.failed ? `configuration canary: ${clone.failReason}` : 'configuration canary: proxy_on_vm_start returned false';
    }
    clone.lastGuestProblem = undefined;
    if (!root.onConfigure()) {
      return clone.failed ? `configuration canary: ${clone.failReason}` : `configuration canary: ${refusal(clone)}`;
    }
    return undefined;
  } finally {
    clone.releaseResources();
  }
}

export class WasmPlugin implements WasmPluginHandle, WasmPluginNetwork {
  readonly name: string;
  private readonly counters: PluginCounters = {
    streamsFailedOpen: 0,
    streamsFailedClosed: 0,
    configureRejected: 0,
    httpCallsStarted: 0,
    httpCallsFailed: 0,
    bufferOverflows: 0,
    activeStreams: 0,
  };
  private active!: RootContext;
  private readonly roots = new Set<RootContext>();
  private closed = false;

  private constructor(
    private readonly vm: WasmVm,
    private readonly options: PluginOptions,
    private readonly canaryCache: Map<string, string | undefined>,
  ) {
    this.name = options.name;
  }

  static start(
    vm: WasmVm,
    options: PluginOptions,
    canaryCache: Map<string, string | undefined>,
  ): { plugin?: WasmPlugin; result: ConfigureResult } {
    const plugin = new WasmPlugin(vm, options, canaryCache);
    const r = plugin.configureRoot(toBytes(options.configuration));
    if (!r.root) return { result: { ok: false, reason: r.reason } };
    plugin.active = r.root;
    return { plugin, result: { ok: true } };
  }

  private makeConfig(configuration: Uint8Array): PluginConfig {
    const o = this.options;
    return {
      name: o.name,
      rootId: o.rootId ?? '',
      configuration,
      failurePolicy: o.failurePolicy ?? 'closed',
      clusters: o.clusters ?? {},
      nodeId: o.nodeId,
      nodeMetadata: o.nodeMetadata,
      bufferLimitBytes: o.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT,
      counters: this.counters,
    };
  }

  /** Canary, then a new root context on the live VM. */
  private configureRoot(configuration: Uint8Array): { root?: RootContext; reason?: string } {
    if (this.vm.failed) return { reason: `the Wasm VM has failed: ${this.vm.failReason}` };
    const config = this.makeConfig(configuration);
    const key = configKey(config.rootId, configuration);
    if (!this.canaryCache.has(key)) this.canaryCache.set(key, canary(this.vm, config));
    const rejected = this.canaryCache.get(key);
    if (rejected !== undefined) return { reason: rejected };

    const root = new RootContext(this.vm, this.vm.allocContextId(), config);
    this.vm.register(root);
    let reason: string | undefined;
    this.vm.lastGuestProblem = undefined;
    if (!root.onStart()) reason = this.vm.failed ? this.vm.failReason : 'proxy_on_vm_start returned false';
    else if (!root.onConfigure()) reason = this.vm.failed ? this.vm.failReason : refusal(this.vm);
    if (reason !== undefined) {
      // Envoy keeps such a root around unused; it gets no more callbacks.
      root.markDeleted();
      return { reason };
    }
    this.roots.add(root);
    return { root };
  }

  reconfigure(configuration: Uint8Array | string): ConfigureResult {
    if (this.closed) return { ok: false, reason: 'the plugin is closed' };
    const r = this.configureRoot(toBytes(configuration));
    if (!r.root) {
      this.counters.configureRejected++;
      this.vm.hostLog('warn', `configuration rejected, keeping the previous one: ${r.reason}`, { plugin: this.name });
      return { ok: false, reason: r.reason };
    }
    const old = this.active;
    this.active = r.root;
    old.state = 'retired';
    this.maybeShutdown(old);
    return { ok: true };
  }

  private maybeShutdown(root: RootContext): void {
    if (root.state === 'retired' && root.activeStreams === 0) {
      this.vm.shutdownRoot(root);
      void root.deleted.then(() => this.roots.delete(root));
    }
  }

  private newStreamInfo(connection: StreamInfoState['connection'], protocol: string | undefined, extra: StreamInfoState['extra'] | undefined, startTime?: number): StreamInfoState {
    return {
      connection,
      protocol,
      startTimeMs: startTime ?? Date.now(),
      startMonotonicNs: process.hrtime.bigint(),
      bytesReceived: 0,
      bytesSent: 0,
      extra: extra ?? {},
      filterState: new Map(),
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new WasmHostError('WASM_VM_CLOSED', `plugin "${this.name}" is closed: create streams on a live plugin`);
  }

  createHttpStream(info: HttpStreamInfo, sink: HttpStreamSink): HttpFilterStream {
    this.checkOpen();
    if (this.vm.failed && this.active.pluginConfig?.failurePolicy === 'open') {
      // Envoy leaves the filter out of the chain when the VM failed and the plugin fails open.
      this.counters.streamsFailedOpen++;
      return new PassThroughHttpStream(sink);
    }
    const root = this.active;
    root.activeStreams++;
    this.counters.activeStreams++;
    return new HttpFilterManager({
      root,
      plugin: root.pluginConfig!,
      sink,
      streamInfo: this.newStreamInfo(info.connection, info.protocol, info.properties, info.startTime),
      onEnded: () => this.streamEnded(root),
    });
  }

  createNetworkStream(info: NetworkStreamInfo, sink: NetworkStreamSink): NetworkFilterStream {
    this.checkOpen();
    if (this.vm.failed && this.active.pluginConfig?.failurePolicy === 'open') {
      this.counters.streamsFailedOpen++;
      return new PassThroughNetworkStream(sink);
    }
    const root = this.active;
    root.activeStreams++;
    this.counters.activeStreams++;
    return new NetworkFilterManager({
      root,
      sink,
      streamInfo: this.newStreamInfo(info.connection, undefined, info.properties),
      onEnded: () => this.streamEnded(root),
    });
  }

  private streamEnded(root: RootContext): void {
    root.activeStreams--;
    this.counters.activeStreams--;
    this.maybeShutdown(root);
  }

  metrics(): Map<string, { type: 'counter' | 'gauge' | 'histogram'; value: bigint; count?: bigint; sum?: bigint }> {
    return this.vm.metrics.snapshot();
  }

  stats(): HostStats {
    return {
      vmFailed: this.vm.failed,
      failReason: this.vm.failReason,
      ...this.counters,
    };
  }

  /**
   * Stops the plugin as Envoy does when its configuration is removed: every root runs
   * proxy_on_done once its streams ended, and proxy_on_delete at once or after proxy_done.
   * Resolves when all roots are deleted (or the VM closes).
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const root of this.roots) {
        if (root.state === 'active') root.state = 'retired';
        this.maybeShutdown(root);
      }
    }
    await Promise.all([...this.roots].map((r) => r.deleted));
  }
}
