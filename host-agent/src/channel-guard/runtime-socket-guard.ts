// The unix half of the channel guard: who, in a container, talks to the node's runtime sockets
// (containerd, Docker, CRI-O, cri-dockerd) and the kubelet's pod-resources socket.
//
// What the kernel offers, measured on this machine: connect() on a unix socket path raises no
// fanotify event (an inode mark with OPEN, ACCESS, OPEN_PERM and ACCESS_PERM sees nothing), there
// is no cgroup connect hook for unix sockets, and seccomp notification cannot be put on running
// processes. So:
//   1. Exposure, at container start: a container reaches a node socket by path only through a
//      mount that brings it (socket-exposure.ts). Such a mount is reported at once
//      (`channel.exposed`, every mode: a pod that mounts docker.sock is a finding in itself).
//   2. Refusal before connect() (protect, when no process of the workload may use the channel:
//      none listed, none learned): the agent bind-mounts the container's /dev/null over the
//      socket's path inside the container's mount namespace, so every later connect() fails with
//      ECONNREFUSED. Removed when the policy allows the channel again or the agent stops. Not
//      on a shared mount (Bidirectional propagation): the mask would propagate to the node.
//   3. Connections, observed: the server end of a connection to a listener on a path lives in
//      the connecting socket's network namespace and carries the listener's file (sock_diag
//      UNIX_DIAG_VFS) and its peer (the client socket); the client's holder is found through
//      /proc/<pid>/fd. Namespaces where a socket is exposed are dumped every `intervalMs`, every
//      other guarded namespace every `sweepEvery` intervals (reached without a mount: a hostPID pod
//      through /proc/1/root, say). Judged as the TCP channels are (channel-judge.ts); protect
//      kills every holder of the client socket (SIGKILL).
// What protect does not prevent: when some process of the workload may use the socket (no
// mask), an unlisted one's first request can reach the runtime before the kill (up to one
// interval plus the scan); a connection opened and closed between two dumps is not seen at all.
import { readlinkSync } from 'node:fs';
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import { makeEvent, type EventAction } from '../events/agent-event.js';
import type { MonitorStatus } from '../monitors/monitor.js';
import { workloadKey } from '../workloads.js';
import { attackOf, type ChannelJudge } from './channel-judge.js';
import type { RuntimeSocketTarget } from './channel-targets.js';
import { exposures, hostSocket, hostView, maskedAt, type Exposure, type SocketIdentity } from './socket-exposure.js';
import { socketHolders } from './socket-owner.js';

export interface RuntimeSocketGuardOptions {
  sockets: readonly RuntimeSocketTarget[];
  /** Dump of the namespaces where a socket is exposed (default 100 ms). */
  intervalMs?: number;
  /** Every other guarded namespace, every this many intervals (default 50: 5 s). A dump costs
   * about 0.3-0.4 ms of kernel time whatever the namespace holds (measured here), so the
   * mounted pods get the fast look and the rest a slow one. */
  sweepEvery?: number;
  /** Connections remembered per namespace as reported (default 4096); beyond, `seenOverflow`. */
  maxSeen?: number;
}

const ESTABLISHED = 1;
const MASK_SOURCE = '/dev/null';

interface ContainerExposure extends Exposure {
  masked: boolean;
}

interface Namespace {
  inode: number;
  containers: Set<string>;
  /** Client socket inodes already judged (pruned to the live ones each dump). */
  seen: Set<number>;
}

export const RUNTIME_COUNTERS = [
  'sockets',
  'exposures',
  'masked',
  'unmasked',
  'maskErrors',
  'maskSkippedShared',
  'scans',
  'scanErrors',
  'connections',
  'unattributed',
  'killed',
  'seenOverflow',
] as const;

export class RuntimeSocketGuard {
  readonly counters: Record<(typeof RUNTIME_COUNTERS)[number], number> = Object.fromEntries(RUNTIME_COUNTERS.map((k) => [k, 0])) as Record<(typeof RUNTIME_COUNTERS)[number], number>;
  private readonly namespaces = new Map<number, Namespace>();
  private readonly exposed = new Map<string, ContainerExposure[]>();
  private identities: SocketIdentity[] = [];
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private stopped = false;

  constructor(
    private readonly ctx: AgentContext,
    private readonly judge: ChannelJudge,
    private readonly options: RuntimeSocketGuardOptions,
  ) {}

  start(): void {
    this.refreshIdentities();
    this.ctx.containers.listen({ added: (c) => this.added(c), removed: (c) => this.removed(c) });
    this.ctx.store.onChange(() => this.reconsiderMasks());
    this.timer = setInterval(() => this.scan(), this.options.intervalMs ?? 100);
    this.timer.unref();
  }

  /** Removes every mask the guard put (the containers reach their sockets again). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const [id, list] of this.exposed) {
      const c = this.ctx.containers.get(id);
      for (const e of list) if (e.masked && c) this.unmask(c, e);
    }
  }

  status(): MonitorStatus['counters'] {
    return { runtimeNamespaces: this.namespaces.size, ...this.counters };
  }

  /** The exposures found in a container, for inspection and tests. */
  exposuresOf(containerId: string): ReadonlyArray<Readonly<ContainerExposure>> {
    return this.exposed.get(containerId) ?? [];
  }

  /** Runs one dump of every guarded namespace now (the timer does it on its own). */
  scanNow(): void {
    this.scan(true);
  }

  private refreshIdentities(): boolean {
    const next: SocketIdentity[] = [];
    const view = hostView(this.ctx.procRoot);
    for (const t of this.options.sockets) {
      const s = hostSocket(view, t);
      if (s) next.push(s);
    }
    const changed = next.length !== this.identities.length || next.some((s, i) => s.ino !== this.identities[i].ino || s.dev !== this.identities[i].dev);
    this.identities = next;
    this.counters.sockets = next.length;
    return changed;
  }

  private added(c: ContainerInfo): void {
    if (this.stopped || c.attribution?.source === 'none') return;
    if (c.netnsInode !== 0) {
      let ns = this.namespaces.get(c.netnsInode);
      if (!ns) this.namespaces.set(c.netnsInode, (ns = { inode: c.netnsInode, containers: new Set(), seen: new Set() }));
      ns.containers.add(c.ref.id);
    }
    this.refreshIdentities();
    this.inspect(c);
  }

  private removed(c: ContainerInfo): void {
    this.exposed.delete(c.ref.id);
    const ns = this.namespaces.get(c.netnsInode);
    if (!ns) return;
    ns.containers.delete(c.ref.id);
    if (ns.containers.size === 0) this.namespaces.delete(c.netnsInode);
  }

  /** Finds the container's exposures; reports and (protect, nobody allowed) masks new ones. */
  private inspect(c: ContainerInfo): void {
    const known = this.exposed.get(c.ref.id) ?? [];
    const found = exposures(this.ctx.procRoot, c.anchorPid, this.identities);
    const list: ContainerExposure[] = known.filter((e) => e.masked);
    for (const e of found) {
      const old = known.find((k) => k.containerPath === e.containerPath && k.socket.ino === e.socket.ino);
      if (old) {
        list.push(old);
        continue;
      }
      const x: ContainerExposure = { ...e, masked: false };
      list.push(x);
      this.counters.exposures++;
      if (this.shouldMask(c, x)) this.mask(c, x);
      this.report(c, x);
    }
    this.exposed.set(c.ref.id, list);
  }

  private shouldMask(c: ContainerInfo, e: ContainerExposure): boolean {
    return this.judge.mode(c) === 'protect' && !this.judge.anyAllowed(c, e.socket.target.name);
  }

  private mask(c: ContainerInfo, e: ContainerExposure): void {
    // A mount on a shared mount propagates to its peers, which may be the node's own /run
    // (hostPath with Bidirectional propagation): masking there could cut the node off its runtime.
    if (e.shared) {
      this.counters.maskSkippedShared++;
      this.ctx.log('warn', 'channels: a runtime socket comes through a shared mount; not masked (connections will be killed instead)', { container: c.ref.id, path: e.containerPath });
      return;
    }
    try {
      this.ctx.native.bindInMountNs(`${this.ctx.procRoot}/${c.anchorPid}/ns/mnt`, `${this.ctx.procRoot}/${c.anchorPid}/root`, MASK_SOURCE, e.containerPath);
      e.masked = true;
      this.counters.masked++;
    } catch (err) {
      this.counters.maskErrors++;
      this.ctx.log('error', 'channels: cannot mask a runtime socket in a container; connections will be killed instead', { container: c.ref.id, path: e.containerPath, error: (err as Error).message });
    }
  }

  private unmask(c: ContainerInfo, e: ContainerExposure): void {
    // Only a mask of ours comes off: the topmost mount there must be /dev/null.
    if (!maskedAt(this.ctx.procRoot, c.anchorPid, e.containerPath)) {
      e.masked = false;
      return;
    }
    try {
      this.ctx.native.unmountInMountNs(`${this.ctx.procRoot}/${c.anchorPid}/ns/mnt`, `${this.ctx.procRoot}/${c.anchorPid}/root`, e.containerPath);
      e.masked = false;
      this.counters.unmasked++;
    } catch (err) {
      this.counters.maskErrors++;
      this.ctx.log('error', 'channels: cannot remove a runtime socket mask in a container', { container: c.ref.id, path: e.containerPath, error: (err as Error).message });
    }
  }

  private reconsiderMasks(): void {
    if (this.stopped) return;
    for (const [id, list] of this.exposed) {
      const c = this.ctx.containers.get(id);
      if (!c) continue;
      for (const e of list) {
        const want = this.shouldMask(c, e);
        if (want && !e.masked) {
          this.mask(c, e);
          if (e.masked) this.report(c, e);
        } else if (!want && e.masked) {
          this.unmask(c, e);
        }
      }
      // Unmasked exposures are found again (and are not new: no second report).
      this.inspect(c);
    }
  }

  private report(c: ContainerInfo, e: ContainerExposure): void {
    const wk = workloadKey(workloadOf(c));
    const allowed = this.judge.anyAllowed(c, e.socket.target.name);
    this.ctx.sink.emit(
      makeEvent({
        kind: 'channel.exposed',
        severity: allowed ? 'medium' : 'high',
        action: e.masked ? 'block' : 'alert',
        mode: this.judge.mode(c),
        workload: eventWorkload(c),
        protocol: 'unix',
        channel: { name: e.socket.target.name, socket: e.socket.target.path, containerPath: e.containerPath },
        container: { id: c.ref.id, runtime: c.ref.runtime },
        rule: { id: `${wk}/channels`, name: `${e.socket.target.name} socket reachable in the container` },
        attack: attackOf(e.socket.target.name),
        evidence: {
          reason: e.masked
            ? 'a node control socket is mounted into the container; masked (no process of the workload may use it)'
            : 'a node control socket is mounted into the container',
          mountPoint: e.mountPoint,
          mount: e.fileMount ? 'socket' : 'directory',
          ...(e.shared ? { propagation: 'shared' } : {}),
        },
      }),
    );
  }

  private scan(all = false): void {
    if (this.stopped) return;
    this.tick++;
    const sweep = all || this.tick % (this.options.sweepEvery ?? 50) === 0;
    if (sweep && this.refreshIdentities()) for (const c of this.ctx.containers.all()) if (c.attribution && c.attribution.source !== 'none') this.inspect(c);
    if (this.identities.length === 0) return;
    for (const ns of this.namespaces.values()) {
      if (!sweep && ![...ns.containers].some((id) => (this.exposed.get(id) ?? []).length > 0)) continue;
      this.scanNamespace(ns);
    }
  }

  private scanNamespace(ns: Namespace): void {
    // Reached through a live process of one of its containers (anchors change as processes exit).
    let path: string | undefined;
    for (const id of ns.containers) {
      const c = this.ctx.containers.get(id);
      if (!c || c.pids.size === 0) continue;
      const candidate = `${this.ctx.procRoot}/${c.anchorPid}/ns/net`;
      try {
        if (readlinkSync(candidate) !== `net:[${ns.inode}]`) continue; // the pid went to another process
      } catch {
        continue;
      }
      path = candidate;
      break;
    }
    if (!path) return;
    this.counters.scans++;
    let sockets;
    try {
      sockets = this.ctx.native.unixSockets(path, { states: 1 << ESTABLISHED });
    } catch (err) {
      this.counters.scanErrors++;
      this.ctx.log('debug', 'channels: unix socket dump failed', { netns: path, error: (err as Error).message });
      return;
    }
    const live = new Set<number>();
    for (const s of sockets) {
      if (s.peer === undefined || s.vfsIno === undefined) continue;
      const id = this.identities.find((i) => i.ino === s.vfsIno && i.dev === s.vfsDev);
      if (!id) continue;
      live.add(s.peer);
      if (ns.seen.has(s.peer)) continue;
      if (ns.seen.size >= (this.options.maxSeen ?? 4096)) {
        this.counters.seenOverflow++;
        ns.seen.clear();
      }
      ns.seen.add(s.peer);
      this.connection(ns, id, s.peer);
    }
    for (const p of ns.seen) if (!live.has(p)) ns.seen.delete(p);
  }

  private connection(ns: Namespace, id: SocketIdentity, clientInode: number): void {
    this.counters.connections++;
    const holders = socketHolders(this.ctx, ns.containers, clientInode, ns.inode);
    if (holders.length === 0) {
      this.counters.unattributed++;
      return;
    }
    const first = holders[0];
    const c = first.container;
    const containerPath = (this.exposed.get(c.ref.id) ?? []).find((e) => e.socket === id || e.socket.ino === id.ino)?.containerPath;
    this.judge.judge(
      { channel: id.target.name, container: c, pid: first.pid, exe: first.exe, protocol: 'unix', socket: { path: id.target.path, containerPath } },
      (): EventAction => {
        let killed = 0;
        for (const h of holders) {
          try {
            process.kill(h.pid, 'SIGKILL');
            killed++;
          } catch {
            // gone already
          }
        }
        this.counters.killed += killed;
        return killed > 0 ? 'kill' : 'alert';
      },
    );
  }
}
