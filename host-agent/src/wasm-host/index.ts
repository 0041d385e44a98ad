// The proxy-wasm host: load a module, start plugins on it, drive HTTP and TCP streams through
// them as Envoy does. See README.md for the parts and for what is not emulated.

import type { ConfigureResult, HostLogger, PluginOptions, VmOptions, WasmPluginHandle, WasmPluginNetwork, WasmVmHandle } from './api.js';
import { WasmHostError } from './errors.js';
import { MetricStore } from './metrics.js';
import { inspectModule } from './module-inspect.js';
import { WasmPlugin } from './plugin.js';
import { WasmVm, detectAbi } from './vm.js';
import { WA, isWasmModule, type WasmModule } from './wasm-types.js';

export type * from './api.js';
export type { WasmModule } from './wasm-types.js';
export { WasmHostError, type WasmHostErrorCode } from './errors.js';
// Streams without a filter: the proxy's --no-filter mode uses them as Envoy's fail-open does.
export { PassThroughHttpStream, PassThroughNetworkStream } from './pass-through.js';

const consoleLogger: HostLogger = {
  log(level, message, fields) {
    const line = `[wasm ${level}] ${message}${fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) : ''}`;
    if (level === 'error' || level === 'critical' || level === 'warn') console.error(line);
    else console.log(line);
  },
};

class VmHandle implements WasmVmHandle {
  private readonly plugins = new Set<WasmPlugin>();
  /** Envoy's plugin_canary_cache_: a configuration is tried on a canary once per VM. */
  private readonly canaryCache = new Map<string, string | undefined>();

  constructor(private readonly vm: WasmVm) {}

  get vmId(): string {
    return this.vm.vmId;
  }

  get failed(): boolean {
    return this.vm.failed;
  }

  startPlugin(options: PluginOptions): { plugin?: WasmPluginHandle & WasmPluginNetwork; result: ConfigureResult } {
    if (this.vm.closed) throw new WasmHostError('WASM_VM_CLOSED', `VM "${this.vm.vmId}" is closed: create a new one with createVm`);
    const r = WasmPlugin.start(this.vm, options, this.canaryCache);
    if (r.plugin) this.plugins.add(r.plugin);
    return r;
  }

  async close(): Promise<void> {
    this.vm.close();
    // Plugins waiting on their roots resolve now that every root is gone.
    await Promise.all([...this.plugins].map((p) => p.close()));
  }
}

/**
 * Loads a proxy-wasm module (ABI 0.2.1 or 0.2.0) and initializes it. Rejects with a
 * WasmHostError naming the problem when Envoy would refuse the module (unknown ABI, an import
 * the host does not provide, a callback with the wrong signature, no allocator, a trap while
 * initializing).
 */
export async function createVm(options: VmOptions): Promise<WasmVmHandle> {
  let module: WasmModule;
  let info = null;
  if (isWasmModule(options.module)) {
    module = options.module;
  } else {
    const bytes = options.module;
    info = inspectModule(bytes);
    try {
      module = await WA.compile(bytes);
    } catch (err) {
      throw new WasmHostError('WASM_INVALID_MODULE', `the Wasm module does not compile: ${(err as Error).message}`, { cause: err });
    }
  }
  const abi = detectAbi(info ? info.exports : WA.Module.exports(module));
  const vmConfiguration = options.vmConfiguration === undefined ? new Uint8Array(0) : typeof options.vmConfiguration === 'string' ? Buffer.from(options.vmConfiguration, 'utf8') : options.vmConfiguration;
  const vm = WasmVm.start({
    module,
    info,
    abi,
    vmId: options.vmId ?? '',
    vmConfiguration,
    environment: Object.entries(options.environment ?? {}),
    logger: options.logger ?? consoleLogger,
    logLevel: options.logLevel ?? 'info',
    metrics: new MetricStore(),
  });
  return new VmHandle(vm);
}
