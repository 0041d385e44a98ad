// Passive inspection: for each workload whose `traffic.inspection` is passive, a capture ring on
// every interface of its pods' network namespaces (entered with setns), TCP reassembled, inbound
// connections handed to the filter (passive-inspector.ts). Alerts only: this is a copy.
import type { AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import type { AgentEvent } from '../events/agent-event.js';
import type { NativePacketRing } from '../native/native.js';
import type { Monitor, MonitorStatus } from '../monitors/monitor.js';
import { FilterHost, type Plugin } from './filter-host.js';
import { attributeEvent, inspectedWorkload, podsToInspect } from './inspected-pods.js';
import { localAddressesOf } from './netns-info.js';
import { forEachSegment, newParseStats } from './packets.js';
import { newInspectorStats, PassiveConnection } from './passive-inspector.js';
import { openPodRings } from './pod-rings.js';
import { TcpReassembler } from './tcp-reassembly.js';

interface Capture {
  workload: string;
  rings: NativePacketRing[];
  reassembler: TcpReassembler;
  local: Set<string>;
  ports: Set<number>;
  plugin: Plugin;
  container: ContainerInfo;
}

export interface TrafficMonitorOptions {
  /** The filter module (meshward.wasm). */
  wasm: Uint8Array | string;
  ringBlockSize?: number;
  ringBlocks?: number;
}

export class TrafficMonitor implements Monitor {
  readonly name = 'traffic';
  readonly filters: FilterHost;
  private readonly captures = new Map<number, Capture>();
  private readonly parse = newParseStats();
  private readonly inspect = newInspectorStats();
  private readonly byIp = new Map<string, ContainerInfo>();
  private sweeper: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private readonly counters = { captureErrors: 0, configErrors: 0, events: 0 };

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: TrafficMonitorOptions,
  ) {
    this.filters = new FilterHost({ wasm: options.wasm, onEvent: (e) => this.onFilterEvent(e), log: ctx.log });
  }

  async start(): Promise<void> {
    this.ctx.containers.listen({ added: () => this.reconcile(), removed: () => this.reconcile() });
    this.ctx.store.onChange(() => this.reconcile());
    this.sweeper = setInterval(() => {
      for (const c of this.captures.values()) c.reassembler.sweep();
    }, 10_000);
    this.sweeper.unref();
    await this.reconcile();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const [inode] of this.captures) this.stopCapture(inode);
    await this.filters.close();
  }

  /** Resolves when the captures match the configuration (tests wait on it). */
  settled(): Promise<void> {
    return this.reconciling;
  }

  capturing(netnsInode: number): boolean {
    return this.captures.has(netnsInode);
  }

  status(): MonitorStatus {
    let reassembly = { bytes: 0, gaps: 0, flows: 0, retransmitted: 0, evicted: 0 };
    let ring = { packets: 0, kernelDrops: 0, droppedPackets: 0 };
    for (const c of this.captures.values()) {
      const r = c.reassembler.stats;
      reassembly = { bytes: reassembly.bytes + r.bytes, gaps: reassembly.gaps + r.gaps, flows: reassembly.flows + r.flows, retransmitted: reassembly.retransmitted + r.retransmitted, evicted: reassembly.evicted + r.evicted };
      for (const g of c.rings) {
        const s = g.stats();
        ring = { packets: ring.packets + s.packets, kernelDrops: ring.kernelDrops + s.kernelDrops, droppedPackets: ring.droppedPackets + s.droppedPackets };
      }
    }
    return {
      name: this.name,
      enabled: true,
      counters: { captures: this.captures.size, ...this.counters, ...this.parse, ...this.inspect, ...reassembly, ...ring, eventsUnparsed: this.filters.eventsUnparsed },
    };
  }

  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileNow()).catch((err: Error) => this.ctx.log('error', 'traffic: reconcile failed', { error: err.message }));
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    const wanted = podsToInspect(this.ctx, 'passive');
    for (const inode of [...this.captures.keys()]) if (!wanted.has(inode)) this.stopCapture(inode);
    for (const [inode, c] of wanted) {
      const w = await inspectedWorkload(this.ctx, this.filters, 'passive', c, this.counters);
      if (!w) continue;
      const held = this.captures.get(inode);
      const ports = new Set(w.ports);
      if (held) {
        held.plugin = w.plugin;
        held.ports = ports;
        continue;
      }
      this.startCapture(inode, c, w.key, w.plugin, ports);
    }
  }

  private startCapture(inode: number, c: ContainerInfo, key: string, plugin: Plugin, ports: Set<number>): void {
    const local = localAddressesOf(this.ctx.procRoot, c.anchorPid);
    const capture: Capture = {
      workload: key,
      rings: [],
      local,
      ports,
      plugin,
      container: c,
      reassembler: new TcpReassembler({
        isServerPort: (p) => capture.ports.has(p),
        open: (ep) => {
          if (!capture.local.has(ep.server.ip)) return undefined; // outbound: not this workload's ingress
          if (capture.ports.size > 0 && !capture.ports.has(ep.server.port)) return undefined;
          return new PassiveConnection(capture.plugin, ep, this.inspect);
        },
      }),
    };
    for (const ip of local) this.byIp.set(ip, c);
    capture.rings = openPodRings(
      this.ctx.native,
      this.ctx.procRoot,
      c.anchorPid,
      { ports: [...ports], blockSize: this.options.ringBlockSize ?? 1 << 20, blockCount: this.options.ringBlocks ?? 16 },
      (blocks) => {
        for (const b of blocks) forEachSegment(b, this.parse, (s) => capture.reassembler.segment(s));
      },
      (ifname, err) => {
        this.counters.captureErrors++;
        this.ctx.log('error', 'traffic: cannot capture', { workload: key, interface: ifname, error: err.message });
      },
    );
    this.captures.set(inode, capture);
  }

  private stopCapture(inode: number): void {
    const c = this.captures.get(inode);
    if (!c) return;
    for (const r of c.rings) r.close();
    c.reassembler.close();
    for (const ip of c.local) if (this.byIp.get(ip) === c.container) this.byIp.delete(ip);
    this.captures.delete(inode);
  }

  /** A filter event: completed with the pod and container the connection went to. */
  private onFilterEvent(e: AgentEvent): void {
    this.counters.events++;
    attributeEvent(e, this.byIp, 'passive');
    this.ctx.sink.emit(e);
  }
}
