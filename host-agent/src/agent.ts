// The host agent: one per node. It wires the parts (agent-context.ts) and the monitors:
//   processes  (monitors/monitor-process.ts)  proc connector + fanotify exec permission
//   files      (monitors/monitor-file.ts)     fanotify on each container's watched paths
//   ports      (monitors/monitor-port.ts)     listeners and connections per network namespace
//   traffic    (capture/, inline/)            the filter on traffic no sidecar sees
//   channels   (channel-guard/)               who talks to the control planes
// Configuration comes from a PolicyStore the caller fills (the control plane's AgentConfig, or
// compiled policy files); events go to the sink. Without the native addon or root, each monitor
// reports itself disabled with the reason and the agent still runs.
import { ContainerRegistry } from './attribution/containers.js';
import { ContainerResolver, DockerSource, InventorySource, KubeletSource, type ContainerSource } from './attribution/resolver.js';
import type { AgentContext, AgentLog } from './agent-context.js';
import type { EventSink } from './events/event-sink.js';
import { Baseline } from './monitors/baseline.js';
import { DisabledMonitor, type Monitor, type MonitorStatus } from './monitors/monitor.js';
import { FileMonitor } from './monitors/monitor-file.js';
import { PortMonitor, type PortMonitorOptions } from './monitors/monitor-port.js';
import { ProcessMonitor, type ProcessMonitorOptions } from './monitors/monitor-process.js';
import { ProcessTable } from './monitors/process-table.js';
import { loadPrivilegedNative } from './native/native.js';
import { PolicyStore } from './workloads.js';

export interface AgentOptions {
  sink: EventSink;
  store?: PolicyStore;
  log?: AgentLog;
  /** Local inventory file (container/pod → workload). */
  inventory?: string;
  /** Docker's socket; default /var/run/docker.sock when it exists. */
  dockerSocket?: string | false;
  kubelet?: { url: string; token?: string; ca?: Buffer };
  processes?: ProcessMonitorOptions | false;
  files?: boolean;
  ports?: PortMonitorOptions | false;
  procRoot?: string;
  /** Monitors' mode for workloads without configuration (default discover). */
  defaultMode?: 'discover' | 'monitor' | 'protect';
  /** Extra monitors built from the shared context (files, ports, traffic, channels). */
  monitors?: Array<(ctx: AgentContext) => Monitor>;
}

export interface AgentStatus {
  monitors: MonitorStatus[];
  containers: number;
  processes: number;
  resolver: ReturnType<ContainerResolver['stats']>;
  baselineOverflow: number;
}

export class Agent {
  readonly store: PolicyStore;
  readonly monitors: Monitor[] = [];
  readonly context: AgentContext | undefined;
  readonly processMonitor: ProcessMonitor | undefined;
  private readonly resolver: ContainerResolver;
  private readonly inventory: InventorySource;
  private started = false;

  constructor(private readonly options: AgentOptions) {
    this.store = options.store ?? new PolicyStore(options.defaultMode);
    const log: AgentLog = options.log ?? (() => undefined);
    this.inventory = options.inventory ? InventorySource.fromFile(options.inventory) : new InventorySource();
    const sources: ContainerSource[] = [this.inventory];
    if (options.dockerSocket !== false) sources.push(new DockerSource(options.dockerSocket || '/var/run/docker.sock'));
    if (options.kubelet) sources.push(new KubeletSource(options.kubelet));
    this.resolver = new ContainerResolver(sources, this.store.podWorkload);
    const native = loadPrivilegedNative();
    if (!native.ok) {
      for (const name of ['processes', 'files', 'ports', 'traffic', 'channels']) this.monitors.push(new DisabledMonitor(name, native.reason));
      return;
    }
    const ctx: AgentContext = {
      native: native.addon,
      sink: options.sink,
      store: this.store,
      containers: new ContainerRegistry(this.resolver, options.procRoot ?? '/proc'),
      processes: new ProcessTable(),
      baseline: new Baseline(),
      log,
      procRoot: options.procRoot ?? '/proc',
    };
    this.context = ctx;
    this.store.onChange(() => this.resolver.setPodWorkload(this.store.podWorkload));
    if (options.processes !== false) {
      this.processMonitor = new ProcessMonitor(ctx, options.processes || {});
      this.monitors.push(this.processMonitor);
    } else {
      this.monitors.push(new DisabledMonitor('processes', 'turned off'));
    }
    this.monitors.push(options.files === false ? new DisabledMonitor('files', 'turned off') : new FileMonitor(ctx));
    this.monitors.push(options.ports === false ? new DisabledMonitor('ports', 'turned off') : new PortMonitor(ctx, options.ports || {}));
    for (const make of options.monitors ?? []) this.monitors.push(make(ctx));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const m of this.monitors) {
      try {
        await m.start();
      } catch (err) {
        const e = err as Error & { code?: string };
        this.options.log?.('error', `${m.name}: cannot start; disabled`, { error: e.message, code: e.code });
        const i = this.monitors.indexOf(m);
        this.monitors[i] = new DisabledMonitor(m.name, e.message);
      }
    }
  }

  async stop(): Promise<void> {
    for (const m of [...this.monitors].reverse()) await m.stop();
    await this.options.sink.flush?.();
  }

  status(): AgentStatus {
    return {
      monitors: this.monitors.map((m) => m.status()),
      containers: this.context ? [...this.context.containers.all()].length : 0,
      processes: this.context?.processes.size ?? 0,
      resolver: this.resolver.stats(),
      baselineOverflow: this.context?.baseline.overflow ?? 0,
    };
  }

  /** Resolves once the container with this id is known and attributed (its monitors armed). */
  async containerReady(containerId: string, timeoutMs = 10_000): Promise<void> {
    const ctx = this.context;
    if (!ctx) throw new Error('the agent runs without its native monitors');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = ctx.containers.get(containerId);
      if (c?.attribution) return;
      if (Date.now() > deadline) throw new Error(`container ${containerId.slice(0, 12)} not seen within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
