// Inline inspection: for each workload whose `traffic.inspection` is inline, the agent opens a
// listener inside each of its pods' network namespaces (the socket is made there with setns,
// then served by Node), and nftables in that namespace redirects the pod's inbound TCP to it.
// Each connection goes to its original destination (SO_ORIGINAL_DST) through the filter, as an
// inbound sidecar would: HTTP/1.x through the proxy's own layers (codec → exchange → filter →
// upstream made inside the namespace), anything else through the filter's network context. The
// workload's mode applies: protect blocks.
import http from 'node:http';
import net from 'node:net';
import type { AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import type { AgentEvent } from '../events/agent-event.js';
import { FilterHost, type Plugin } from '../capture/filter-host.js';
import { attributeEvent, inspectedWorkload, podsToInspect } from '../capture/inspected-pods.js';
import { localAddressesOf } from '../capture/netns-info.js';
import type { Monitor, MonitorStatus } from '../monitors/monitor.js';
import { handleHttp1Request } from '../proxy/downstream-http1.js';
import { ExchangeFactory } from '../proxy/exchange-factory.js';
import { newProxyStats, type ProxyStats } from '../proxy/proxy-stats.js';
import type { ConnectionInfo, NetworkStreamSink } from '../wasm-host/api.js';
import { NetnsUpstream } from './netns-upstream.js';
import { applyRedirect, removeRedirect } from './nft-redirect.js';

export interface InlineMonitorOptions {
  wasm: Uint8Array | string;
  /** Port of the agent's listener inside each pod namespace (default 15006). */
  listenPort?: number;
  /** HTTP servers kept per site, one per original destination (oldest closed beyond it). */
  maxDestinations?: number;
}

interface Site {
  workload: string;
  netns: string;
  server: net.Server;
  plugin: Plugin;
  ports: number[];
  local: Set<string>;
  container: ContainerInfo;
  destinations: Map<string, { h1: http.Server; factory: ExchangeFactory; upstream: NetnsUpstream }>;
}

const METHOD_START = /^[A-Z]{3,10} /;

export class InlineMonitor implements Monitor {
  readonly name = 'inline';
  readonly filters: FilterHost;
  private readonly sites = new Map<number, Site>();
  private readonly stats: ProxyStats = newProxyStats();
  private readonly byIp = new Map<string, ContainerInfo>();
  private readonly counters = { connections: 0, httpConnections: 0, tcpConnections: 0, noOriginalDst: 0, nftErrors: 0, configErrors: 0, events: 0 };
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: InlineMonitorOptions,
  ) {
    this.filters = new FilterHost({ wasm: options.wasm, onEvent: (e) => this.onFilterEvent(e), log: ctx.log });
  }

  async start(): Promise<void> {
    this.ctx.containers.listen({ added: () => this.reconcile(), removed: () => this.reconcile() });
    this.ctx.store.onChange(() => this.reconcile());
    await this.reconcile();
  }

  async stop(): Promise<void> {
    await this.reconciling;
    for (const inode of [...this.sites.keys()]) await this.closeSite(inode);
    await this.filters.close();
  }

  settled(): Promise<void> {
    return this.reconciling;
  }

  status(): MonitorStatus {
    return { name: this.name, enabled: true, counters: { sites: this.sites.size, ...this.counters, ...this.stats } as unknown as Record<string, number> };
  }

  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileNow()).catch((err: Error) => this.ctx.log('error', 'inline: reconcile failed', { error: err.message }));
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    const wanted = podsToInspect(this.ctx, 'inline');
    for (const inode of [...this.sites.keys()]) if (!wanted.has(inode)) await this.closeSite(inode);
    for (const [inode, c] of wanted) {
      const w = await inspectedWorkload(this.ctx, this.filters, 'inline', c, this.counters);
      if (!w) continue;
      const ports = [...w.ports];
      const site = this.sites.get(inode);
      if (site) {
        site.plugin = w.plugin;
        if (site.ports.join() !== ports.join()) {
          site.ports = ports;
          await this.redirect(site);
        }
        continue;
      }
      await this.openSite(inode, c, w.key, w.plugin, ports);
    }
  }

  private async openSite(inode: number, c: ContainerInfo, key: string, plugin: Plugin, ports: number[]): Promise<void> {
    const netns = `${this.ctx.procRoot}/${c.anchorPid}/ns/net`;
    const port = this.options.listenPort ?? 15006;
    const fd = this.ctx.native.tcpSocket(netns, 4, '0.0.0.0', port);
    const site: Site = {
      workload: key,
      netns,
      plugin,
      ports,
      container: c,
      local: localAddressesOf(this.ctx.procRoot, c.anchorPid),
      destinations: new Map(),
      server: net.createServer((socket) => this.onConnection(site, socket)),
    };
    await new Promise<void>((resolve, reject) => {
      site.server.once('error', reject);
      site.server.listen({ fd }, () => resolve());
    });
    for (const ip of site.local) this.byIp.set(ip, c);
    this.sites.set(inode, site);
    await this.redirect(site);
  }

  private async redirect(site: Site): Promise<void> {
    try {
      await applyRedirect(site.netns, this.options.listenPort ?? 15006, site.ports);
    } catch (err) {
      this.counters.nftErrors++;
      this.ctx.log('error', 'inline: cannot install the redirect; traffic of this pod is not inspected', { workload: site.workload, error: (err as Error).message });
    }
  }

  private async closeSite(inode: number): Promise<void> {
    const site = this.sites.get(inode);
    if (!site) return;
    this.sites.delete(inode);
    try {
      await removeRedirect(site.netns);
    } catch {
      // the namespace is gone with the pod
    }
    await new Promise<void>((r) => site.server.close(() => r()));
    for (const d of site.destinations.values()) {
      d.h1.close();
      d.h1.closeAllConnections();
      await d.upstream.close();
    }
    for (const ip of site.local) if (this.byIp.get(ip) === site.container) this.byIp.delete(ip);
  }

  private onConnection(site: Site, socket: net.Socket): void {
    this.counters.connections++;
    socket.on('error', () => socket.destroy());
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    let dst: { address: string; port: number };
    try {
      if (fd === undefined || fd < 0) throw new Error('no fd');
      dst = this.ctx.native.originalDst(fd);
    } catch {
      // Not redirected (someone connected to the agent's port itself): nowhere to send it.
      this.counters.noOriginalDst++;
      socket.destroy();
      return;
    }
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (METHOD_START.test(first.toString('latin1', 0, Math.min(first.length, 12)))) this.http(site, socket, dst);
      else this.tcp(site, socket, dst);
    });
  }

  private http(site: Site, socket: net.Socket, dst: { address: string; port: number }): void {
    this.counters.httpConnections++;
    const key = `${dst.address}:${dst.port}`;
    let d = site.destinations.get(key);
    if (!d) {
      if (site.destinations.size >= (this.options.maxDestinations ?? 64)) {
        const [oldKey, old] = site.destinations.entries().next().value as [string, { h1: http.Server; upstream: NetnsUpstream }];
        site.destinations.delete(oldKey);
        old.h1.close();
        void old.upstream.close();
      }
      const upstream = new NetnsUpstream(this.ctx.native, site.netns, dst.address, dst.port);
      const factory = new ExchangeFactory({ upstream, stats: this.stats, plugin: () => site.plugin });
      const h1 = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) => handleHttp1Request(req, res, factory));
      h1.on('clientError', (_e, s) => s.destroy());
      site.destinations.set(key, (d = { h1, factory, upstream }));
    }
    d.h1.emit('connection', socket);
    socket.resume();
  }

  private tcp(site: Site, socket: net.Socket, dst: { address: string; port: number }): void {
    this.counters.tcpConnections++;
    const upstream = new net.Socket({ fd: this.ctx.native.tcpSocket(site.netns, net.isIPv6(dst.address) ? 6 : 4), readable: true, writable: true });
    const info: ConnectionInfo = {
      id: this.counters.connections,
      sourceAddress: socket.remoteAddress ?? '',
      sourcePort: socket.remotePort ?? 0,
      destinationAddress: dst.address,
      destinationPort: dst.port,
    };
    const sink: NetworkStreamSink = {
      upstreamWrite: (data, end) => (end ? upstream.end(data) : upstream.write(data)),
      downstreamWrite: (data, end) => (end ? socket.end(data) : socket.write(data)),
      close: (side) => (side === 'downstream' ? socket.destroy() : upstream.destroy()),
    };
    const stream = site.plugin.createNetworkStream({ connection: info }, sink);
    stream.onNewConnection();
    upstream.connect(dst.port, dst.address, () => socket.resume());
    socket.on('data', (d: Buffer) => stream.onDownstreamData(d, false));
    socket.on('end', () => stream.onDownstreamData(new Uint8Array(0), true));
    socket.on('close', () => {
      stream.onDownstreamClose('remote');
      upstream.destroy();
    });
    upstream.on('data', (d: Buffer) => stream.onUpstreamData(d, false));
    upstream.on('end', () => stream.onUpstreamData(new Uint8Array(0), true));
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => {
      stream.onUpstreamClose('remote');
      socket.destroy();
    });
  }

  private onFilterEvent(e: AgentEvent): void {
    this.counters.events++;
    attributeEvent(e, this.byIp, 'inline');
    this.ctx.sink.emit(e);
  }
}
