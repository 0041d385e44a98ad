// The agent's own copy of the filter (meshward.wasm) in the proxy-wasm host: one VM, one plugin
// per workload, configured with that workload's compiled filter configuration, exactly as its
// sidecar would be. Two changes, both about where the agent stands, not what is detected:
// events go to the filter's log (events.cluster empty), where the agent takes them and sends
// them on with its own; and passive inspection runs the workload in monitor when it is in
// protect, since a copy of the traffic cannot be blocked (the events then say `alert`, truly).
import { readFileSync } from 'node:fs';
import { createVm } from '../wasm-host/index.js';
import type { HostLogger, LogLevel, WasmPluginHandle, WasmPluginNetwork, WasmVmHandle } from '../wasm-host/api.js';
import type { AgentEvent } from '../events/agent-event.js';
import type { AgentLog } from '../agent-context.js';

const EVENT_PREFIX = 'meshward.event ';

export type Plugin = WasmPluginHandle & WasmPluginNetwork;

export interface FilterHostOptions {
  wasm: Uint8Array | string;
  /** Each event the filter writes, parsed. */
  onEvent(event: AgentEvent): void;
  log: AgentLog;
}

export class FilterHost {
  private vm: WasmVmHandle | undefined;
  private readonly plugins = new Map<string, { plugin: Plugin; config: string }>();
  eventsParsed = 0;
  eventsUnparsed = 0;

  constructor(private readonly options: FilterHostOptions) {}

  private async ensureVm(): Promise<WasmVmHandle> {
    if (this.vm) return this.vm;
    const bytes = typeof this.options.wasm === 'string' ? readFileSync(this.options.wasm) : this.options.wasm;
    const logger: HostLogger = {
      log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
        if (message.startsWith(EVENT_PREFIX)) {
          try {
            this.options.onEvent(JSON.parse(message.slice(EVENT_PREFIX.length)) as AgentEvent);
            this.eventsParsed++;
          } catch {
            this.eventsUnparsed++;
          }
          return;
        }
        this.options.log(level, `filter: ${message}`, fields);
      },
    };
    this.vm = await createVm({ module: bytes, vmId: 'meshward-agent', logger });
    return this.vm;
  }

  /** The plugin of one workload and inspection kind, started or reconfigured to `config`.
   * Throws when the filter refuses the configuration (the previous one stays). */
  async plugin(key: string, filterConfig: string, inspection: 'passive' | 'inline'): Promise<Plugin> {
    const config = agentSideConfig(filterConfig, inspection);
    const id = `${inspection}:${key}`;
    const held = this.plugins.get(id);
    if (held) {
      if (held.config !== config) {
        const r = held.plugin.reconfigure(config);
        if (!r.ok) throw new Error(`the filter refused the configuration of ${key}: ${r.reason ?? 'unknown reason'}`);
        held.config = config;
      }
      return held.plugin;
    }
    const vm = await this.ensureVm();
    const started = vm.startPlugin({ name: id, rootId: 'meshward', configuration: config, failurePolicy: 'open' });
    if (!started.plugin) throw new Error(`the filter refused the configuration of ${key}: ${started.result.reason ?? 'unknown reason'}`);
    this.plugins.set(id, { plugin: started.plugin, config });
    return started.plugin;
  }

  async drop(key: string, inspection: 'passive' | 'inline'): Promise<void> {
    const id = `${inspection}:${key}`;
    const held = this.plugins.get(id);
    this.plugins.delete(id);
    await held?.plugin.close();
  }

  async close(): Promise<void> {
    for (const { plugin } of this.plugins.values()) await plugin.close();
    this.plugins.clear();
    await this.vm?.close();
    this.vm = undefined;
  }
}

/** The workload's filter configuration as the agent runs it (see the file comment). */
export function agentSideConfig(filterConfig: string, inspection: 'passive' | 'inline'): string {
  const doc = JSON.parse(filterConfig) as { mode?: string; events?: Record<string, unknown> };
  if (doc.events) doc.events = { ...doc.events, cluster: '' };
  if (inspection === 'passive' && doc.mode === 'protect') doc.mode = 'monitor';
  return JSON.stringify(doc);
}
