// Ports and connections: the sockets of each container network namespace, read through
// sock_diag inside that namespace at every tick, with the owning process found by the socket's
// inode among the fds of the pod's processes. A listener not seen before is a `port.listen`
// event (discover learns it, monitor alerts when the policy does not allow it, protect kills
// its process); a connection not seen before (by process, peer and direction) is a
// `net.connection` event, so the map is drawn from what was observed. Polling misses
// connections shorter than a tick (the channel guard sees those that matter without a race).
import { readdirSync, readlinkSync } from 'node:fs';
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import { actionFor, makeEvent } from '../events/agent-event.js';
import type { InetSocket } from '../native/native.js';
import { workloadKey } from '../workloads.js';
import type { Monitor, MonitorStatus } from './monitor.js';

const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;
const UDP_UNCONNECTED = 7;

export interface PortMonitorOptions {
  intervalMs?: number;
  /** Connections remembered per workload (beyond, new ones are not reported; counted). */
  maxConnections?: number;
}

interface Seen {
  listeners: Set<string>;
  connections: Set<string>;
}

const COUNTERS = ['scans', 'namespaces', 'listeners', 'connections', 'violations', 'killed', 'learned', 'scanErrors', 'connectionsOverflow', 'ownerUnknown'] as const;

/** Polls a socket waits for its owner to be known before it is reported without one. */
const OWNER_WAIT_POLLS = 3;

export class PortMonitor implements Monitor {
  readonly name = 'ports';
  private timer: NodeJS.Timeout | undefined;
  /** Sockets whose owner was not found yet, by namespace and key: polls waited. Bounded by the
   * sockets of the namespaces watched (an entry goes when reported). */
  private readonly ownerWaits = new Map<string, number>();
  private readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<(typeof COUNTERS)[number], number>;
  /** Per network namespace inode. */
  private readonly seen = new Map<number, Seen>();
  private readonly reported = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: PortMonitorOptions = {},
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.scan(), this.options.intervalMs ?? 1000);
    this.timer.unref();
    this.ctx.containers.listen({ added: () => this.scan() });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): MonitorStatus {
    return { name: this.name, enabled: this.timer !== undefined, counters: { ...this.counters } };
  }

  /** One pass over every container network namespace (also run on a timer). */
  scan(): void {
    this.counters.scans++;
    const byNs = new Map<number, ContainerInfo[]>();
    for (const c of this.ctx.containers.all()) {
      if (!c.attribution || c.netnsInode === 0) continue;
      const list = byNs.get(c.netnsInode) ?? [];
      list.push(c);
      byNs.set(c.netnsInode, list);
    }
    this.counters.namespaces = byNs.size;
    for (const [inode, containers] of byNs) {
      try {
        this.scanNamespace(inode, containers);
      } catch (err) {
        this.counters.scanErrors++;
        this.ctx.log('debug', 'ports: scan failed', { error: (err as Error).message });
      }
    }
    for (const inode of this.seen.keys()) if (!byNs.has(inode)) this.seen.delete(inode);
  }

  private scanNamespace(inode: number, containers: ContainerInfo[]): void {
    const n = this.ctx.native;
    const ns = `${this.ctx.procRoot}/${containers[0].anchorPid}/ns/net`;
    const sockets: Array<InetSocket & { protocol: 'tcp' | 'udp' }> = [];
    for (const family of [4, 6] as const) {
      for (const s of n.inetSockets(ns, { family, protocol: 'tcp', states: (1 << TCP_LISTEN) | (1 << TCP_ESTABLISHED) })) sockets.push({ ...s, protocol: 'tcp' });
      for (const s of n.inetSockets(ns, { family, protocol: 'udp', states: 1 << UDP_UNCONNECTED })) sockets.push({ ...s, protocol: 'udp' });
    }
    let seen = this.seen.get(inode);
    if (!seen) this.seen.set(inode, (seen = { listeners: new Set(), connections: new Set() }));
    const listening = new Set<number>();
    const fresh: Array<{ s: InetSocket & { protocol: 'tcp' | 'udp' }; listener: boolean; key: string }> = [];
    const now = { listeners: new Set<string>(), connections: new Set<string>() };
    const current = new Set<string>();
    for (const s of sockets) {
      const listener = s.protocol === 'udp' || s.state === TCP_LISTEN;
      if (listener) listening.add(s.sport);
      const key = listener ? `${s.protocol}/${s.src}/${s.sport}` : `${s.src}/${s.sport}/${s.dst}/${s.dport}`;
      (listener ? now.listeners : now.connections).add(key);
      current.add(key);
      if (!(listener ? seen.listeners : seen.connections).has(key)) fresh.push({ s, listener, key });
    }
    seen.listeners = now.listeners;
    seen.connections = now.connections;
    const prefix = `${inode}/`;
    for (const k of this.ownerWaits.keys()) if (k.startsWith(prefix) && !current.has(k.slice(prefix.length))) this.ownerWaits.delete(k);
    if (fresh.length === 0) return;
    const owners = this.owners(containers);
    for (const f of fresh) {
      const pid = owners.get(f.s.inode);
      // A process the agent has not yet placed in the container (its fork and exec come in the
      // next reader round) owns nothing here yet: look again on the next polls before reporting
      // the socket without its owner.
      const waitKey = `${inode}/${f.key}`;
      if (pid === undefined) {
        const tries = this.ownerWaits.get(waitKey) ?? 0;
        if (tries < OWNER_WAIT_POLLS) {
          this.ownerWaits.set(waitKey, tries + 1);
          (f.listener ? now.listeners : now.connections).delete(f.key);
          continue;
        }
      }
      this.ownerWaits.delete(waitKey);
      const entry = pid !== undefined ? this.ctx.processes.get(pid) : undefined;
      const c = (entry?.container && this.ctx.containers.get(entry.container.id)) || containers[0];
      if (pid === undefined) this.counters.ownerUnknown++;
      // The process table can lag the socket by a reader round (exec events come in rounds):
      // then the owner's image is read live.
      const image = entry?.exe || (pid !== undefined ? this.liveExe(pid) : '');
      const exe = image ? this.ctx.containers.containerPath(c, image) : '';
      if (f.listener) this.onListener(c, f.s, pid, exe);
      else this.onConnection(c, f.s, pid, exe, listening.has(f.s.sport));
    }
  }

  private liveExe(pid: number): string {
    try {
      return readlinkSync(`${this.ctx.procRoot}/${pid}/exe`);
    } catch {
      return ''; // gone, or not ours to read
    }
  }

  private onListener(c: ContainerInfo, s: InetSocket & { protocol: 'tcp' | 'udp' }, pid: number | undefined, exe: string): void {
    this.counters.listeners++;
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const mode = policy.doc.ports.mode;
    const wk = workloadKey(workloadOf(c));
    const listed = policy.ports.some((r) => r.port === s.sport && r.protocol === s.protocol && (r.processes.size === 0 || r.processes.matches(exe)));
    const item = `${s.protocol}/${s.sport}/${exe}`;
    const learned = this.ctx.baseline.has(wk, 'listen', item);
    const base = { socket: { protocol: s.protocol, address: s.src, port: s.sport, uid: s.uid }, process: { pid: pid ?? 0, exe } };
    if (listed || learned) return;
    if (mode === 'discover') {
      if (this.ctx.baseline.learn(wk, 'listen', item)) {
        this.counters.learned++;
        this.emit(c, 'port.listen', 'info', 'allow', null, { ...base, evidence: { reason: 'new listener (learned)', learned: true } });
      }
      return;
    }
    this.counters.violations++;
    let killed = false;
    if (mode === 'protect' && pid !== undefined && this.ctx.processes.get(pid)?.container) {
      try {
        process.kill(pid, 'SIGKILL');
        killed = true;
        this.counters.killed++;
      } catch {
        // gone
      }
    }
    this.emit(c, 'port.listen', 'medium', actionFor(mode, 'kill'), { id: `${wk}/ports`, name: 'listener not allowed' }, {
      ...base,
      evidence: { reason: 'new listener neither allowed nor learned', killed },
    });
  }

  private onConnection(c: ContainerInfo, s: InetSocket, pid: number | undefined, exe: string, inbound: boolean): void {
    this.counters.connections++;
    const wk = workloadKey(workloadOf(c));
    let set = this.reported.get(wk);
    if (!set) this.reported.set(wk, (set = new Set()));
    const key = inbound ? `in/${exe}/${s.sport}/${s.dst}` : `out/${exe}/${s.dst}/${s.dport}`;
    if (set.has(key)) return;
    if (set.size >= (this.options.maxConnections ?? 4096)) {
      this.counters.connectionsOverflow++;
      return;
    }
    set.add(key);
    this.emit(c, 'net.connection', 'info', 'allow', null, {
      source: inbound ? { ip: s.dst, port: s.dport } : { ip: s.src, port: s.sport, workload: workloadOf(c).name },
      destination: inbound ? { ip: s.src, port: s.sport, workload: workloadOf(c).name } : { ip: s.dst, port: s.dport },
      protocol: 'tcp',
      connection: { direction: inbound ? 'inbound' : 'outbound' },
      process: { pid: pid ?? 0, exe },
    });
  }

  /** socket inode → pid, from the fds of the pods' processes. */
  private owners(containers: ContainerInfo[]): Map<number, number> {
    const out = new Map<number, number>();
    for (const c of containers) {
      for (const pid of c.pids) {
        let fds: string[];
        try {
          fds = readdirSync(`${this.ctx.procRoot}/${pid}/fd`);
        } catch {
          continue;
        }
        for (const fd of fds) {
          try {
            const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${this.ctx.procRoot}/${pid}/fd/${fd}`));
            if (m && !out.has(Number(m[1]))) out.set(Number(m[1]), pid);
          } catch {
            // closed meanwhile
          }
        }
      }
    }
    return out;
  }

  private emit(c: ContainerInfo, kind: string, severity: 'info' | 'medium', action: 'allow' | 'alert' | 'block' | 'kill', rule: { id: string; name: string } | null, parts: Record<string, unknown>): void {
    const mode = this.ctx.store.policyFor(workloadOf(c)).doc.ports.mode;
    this.ctx.sink.emit(makeEvent({ kind, severity, action, mode, workload: eventWorkload(c), rule, ...parts, container: { id: c.ref.id, runtime: c.ref.runtime } }));
  }
}
