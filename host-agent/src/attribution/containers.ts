// The containers running on this node, as the agent discovers them from their processes: each
// one's processes, root (for container-relative paths), network namespace, and who it is
// (resolver.ts). Monitors subscribe to containers appearing (once attributed) and leaving (last
// process gone), which is when they add and remove their watches.
import { readlinkSync, statSync } from 'node:fs';
import type { ContainerRef } from './cgroup.js';
import type { Attribution, ContainerResolver } from './resolver.js';

export interface ContainerInfo {
  ref: ContainerRef;
  /** Set once the resolver answered. */
  attribution: Attribution | undefined;
  pids: Set<number>;
  /** One live process, to reach the container's root and namespaces through /proc. */
  anchorPid: number;
  /** The container's root as the agent sees it ("/" when it is in another mount namespace). */
  root: string;
  /** /proc/<anchor>/ns/net inode: containers of one pod share it. */
  netnsInode: number;
  execs: number;
}

export interface ContainerListener {
  added?(c: ContainerInfo): void;
  removed?(c: ContainerInfo): void;
}

export class ContainerRegistry {
  private readonly byId = new Map<string, ContainerInfo>();
  private readonly listeners: ContainerListener[] = [];
  private readonly waiting = new Map<string, Array<(c: ContainerInfo) => void>>();
  /** Callbacks waiting for attribution beyond this per container are dropped and counted. */
  overflow = 0;

  constructor(
    private readonly resolver: ContainerResolver,
    private readonly procRoot = '/proc',
    private readonly maxWaiting = 4096,
  ) {}

  listen(l: ContainerListener): void {
    this.listeners.push(l);
    for (const c of this.byId.values()) if (c.attribution) l.added?.(c);
  }

  get(id: string): ContainerInfo | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<ContainerInfo> {
    return this.byId.values();
  }

  /** A process of `ref` was seen; returns its container (new ones start resolving). */
  observe(ref: ContainerRef, pid: number): ContainerInfo {
    let c = this.byId.get(ref.id);
    if (!c) {
      c = { ref, attribution: undefined, pids: new Set(), anchorPid: pid, root: '/', netnsInode: 0, execs: 0 };
      this.byId.set(ref.id, c);
      this.inspect(c, pid);
      const info = c;
      void this.resolver.resolve(ref).then((a) => {
        info.attribution = a;
        const waiting = this.waiting.get(ref.id) ?? [];
        this.waiting.delete(ref.id);
        if (this.byId.get(ref.id) === info) for (const l of this.listeners) l.added?.(info);
        for (const w of waiting) w(info);
      });
    }
    if (!c.pids.has(pid)) {
      c.pids.add(pid);
      if (!c.pids.has(c.anchorPid)) {
        c.anchorPid = pid;
        this.inspect(c, pid);
      }
    }
    return c;
  }

  /** Runs `fn` once the container is attributed (at once if it is). */
  whenAttributed(c: ContainerInfo, fn: (c: ContainerInfo) => void): void {
    if (c.attribution) return fn(c);
    const list = this.waiting.get(c.ref.id) ?? [];
    if (list.length >= this.maxWaiting) {
      this.overflow++;
      return;
    }
    list.push(fn);
    this.waiting.set(c.ref.id, list);
  }

  /** Promise form of whenAttributed. */
  attributed(c: ContainerInfo): Promise<ContainerInfo> {
    return new Promise((resolve) => this.whenAttributed(c, resolve));
  }

  exited(id: string, pid: number): void {
    const c = this.byId.get(id);
    if (!c) return;
    c.pids.delete(pid);
    if (c.pids.size > 0) {
      if (c.anchorPid === pid) {
        c.anchorPid = c.pids.values().next().value as number;
        this.inspect(c, c.anchorPid);
      }
      return;
    }
    this.byId.delete(id);
    this.resolver.forget(id);
    if (c.attribution) for (const l of this.listeners) l.removed?.(c);
  }

  /** The path inside the container of a path as the agent sees it. */
  containerPath(c: ContainerInfo, hostPath: string): string {
    if (c.root !== '/' && hostPath.startsWith(c.root + '/')) return hostPath.slice(c.root.length);
    return hostPath;
  }

  private inspect(c: ContainerInfo, pid: number): void {
    try {
      c.root = readlinkSync(`${this.procRoot}/${pid}/root`);
    } catch {
      // gone: keep what we had
    }
    try {
      c.netnsInode = statSync(`${this.procRoot}/${pid}/ns/net`).ino;
    } catch {
      // gone
    }
  }
}
