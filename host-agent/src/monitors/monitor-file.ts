// Files: fanotify marks on each container's watched directories (binaries, libraries, /etc,
// cron, and the policy's `watch`) for writes, and on its secrets (shadow, the service-account
// token, cloud credentials, and the policy's `secrets`) for reads. Inode marks, not mount
// marks: only these paths cost anything. Per workload (its `files` configuration):
//   discover  learns each (writer, directory) and (reader, secret) and reports it once
//   monitor   reports writes and reads by processes neither listed nor learned (alert)
//   protect   refuses them: permission events hold the open() until decided; whether an open
//             is for writing comes from the opener's syscall arguments while it waits
import { existsSync, openSync, readSync, closeSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import { makeEvent } from '../events/agent-event.js';
import type { NativeFanotify, RawFanEvent } from '../native/native.js';
import { workloadKey } from '../workloads.js';
import type { Monitor, MonitorStatus } from './monitor.js';

type Category = 'binary' | 'library' | 'config' | 'cron' | 'custom';

const WRITE_DIRS: Array<[string, Category]> = [
  ['/bin', 'binary'], ['/sbin', 'binary'], ['/usr/bin', 'binary'], ['/usr/sbin', 'binary'], ['/usr/local/bin', 'binary'], ['/usr/local/sbin', 'binary'],
  ['/lib', 'library'], ['/lib64', 'library'], ['/usr/lib', 'library'], ['/usr/lib64', 'library'], ['/lib/x86_64-linux-gnu', 'library'],
  ['/usr/lib/x86_64-linux-gnu', 'library'], ['/lib/aarch64-linux-gnu', 'library'], ['/usr/lib/aarch64-linux-gnu', 'library'],
  ['/etc', 'config'], ['/etc/cron.d', 'cron'], ['/etc/cron.hourly', 'cron'], ['/etc/cron.daily', 'cron'], ['/etc/cron.weekly', 'cron'],
  ['/etc/cron.monthly', 'cron'], ['/var/spool/cron', 'cron'], ['/var/spool/cron/crontabs', 'cron'],
];

const SECRET_FILES = [
  '/etc/shadow', '/etc/gshadow',
  '/var/run/secrets/kubernetes.io/serviceaccount/token', '/run/secrets/kubernetes.io/serviceaccount/token',
  '/var/run/secrets/eks.amazonaws.com/serviceaccount/token', '/var/run/secrets/tokens/istio-token',
  '/root/.aws/credentials', '/root/.config/gcloud/application_default_credentials.json', '/root/.config/gcloud/credentials.db',
  '/root/.azure/accessTokens.json', '/root/.azure/msal_token_cache.json', '/root/.docker/config.json', '/root/.kube/config',
];

const O_ACCMODE = 3;
const O_CREAT = 0x40;
const O_TRUNC = 0x200;
// x86_64 syscall numbers of the opens (other architectures: the open is taken as a read).
const SYS_OPEN = 2;
const SYS_CREAT = 85;
const SYS_OPENAT = 257;
const SYS_OPENAT2 = 437;

interface Mark {
  path: string;
  mask: number;
  onChild: boolean;
}

interface ContainerMarks {
  marks: Mark[];
  /** Container path of each watched directory → category. */
  writeDirs: Map<string, Category>;
  /** Container paths of secrets (files). */
  secrets: Set<string>;
}

const COUNTERS = ['events', 'writes', 'reads', 'violations', 'refused', 'learned', 'markErrors', 'unattributed', 'overflows'] as const;

export class FileMonitor implements Monitor {
  readonly name = 'files';
  private fan: NativeFanotify | undefined;
  private readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<(typeof COUNTERS)[number], number>;
  private readonly byContainer = new Map<string, ContainerMarks>();

  constructor(private readonly ctx: AgentContext) {}

  async start(): Promise<void> {
    this.fan = new this.ctx.native.Fanotify({ permissions: true, permTimeoutMs: 5000 }, (batch) => this.onBatch(batch));
    this.ctx.containers.listen({ added: (c) => this.watch(c), removed: (c) => this.byContainer.delete(c.ref.id) });
    this.ctx.store.onChange(() => {
      // Modes may have changed between notification and permission marks: re-mark all.
      for (const c of this.ctx.containers.all()) if (c.attribution) this.watch(c);
    });
  }

  async stop(): Promise<void> {
    this.fan?.close();
    this.fan = undefined;
  }

  status(): MonitorStatus {
    const counters: Record<string, number> = { ...this.counters };
    if (this.fan) {
      const s = this.fan.stats();
      counters.allowed = s.allowed;
      counters.denied = s.denied;
      counters.timedOut = s.timedOut;
      counters.queueDropped = s.queueDropped;
    }
    return { name: this.name, enabled: this.fan !== undefined, counters };
  }

  /** Whether a container's watches are in place. */
  watching(containerId: string): boolean {
    return this.byContainer.has(containerId);
  }

  private watch(c: ContainerInfo): void {
    const fan = this.fan;
    if (!fan) return;
    const F = this.ctx.native.FAN;
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const protect = policy.doc.files.mode === 'protect';
    const root = `${this.ctx.procRoot}/${c.anchorPid}/root`;
    const old = this.byContainer.get(c.ref.id);
    for (const m of old?.marks ?? []) {
      try {
        fan.mark(m.path, { op: 'remove', kind: 'inode', mask: m.mask, onChild: m.onChild });
      } catch {
        // gone with the container
      }
    }
    const state: ContainerMarks = { marks: [], writeDirs: new Map(), secrets: new Set() };
    const writeMask = protect ? F.OPEN_PERM | F.CLOSE_WRITE : F.CLOSE_WRITE;
    const readMask = protect ? F.OPEN_PERM : F.OPEN;
    const seen = new Set<string>();
    const add = (containerPath: string, mask: number, onChild: boolean): boolean => {
      const hostPath = root + containerPath;
      let real: string;
      try {
        // Symlinks (/bin → /usr/bin, token → ..data/token) resolve inside the container root.
        real = realpathSync(hostPath);
      } catch {
        return false;
      }
      const key = `${real}\u0000${onChild}`;
      if (seen.has(key)) return true;
      seen.add(key);
      try {
        fan.mark(real, { kind: 'inode', mask, onChild });
        state.marks.push({ path: real, mask, onChild });
        return true;
      } catch (err) {
        this.counters.markErrors++;
        this.ctx.log('warn', 'files: cannot watch a path', { container: c.ref.id, path: containerPath, error: (err as Error).message });
        return false;
      }
    };
    const dirs: Array<[string, Category]> = [...WRITE_DIRS, ...policy.doc.files.watch.map((p): [string, Category] => [literalDir(p), 'custom'])];
    for (const [dir, category] of dirs) {
      if (add(dir, writeMask, true)) state.writeDirs.set(this.containerReal(c, root, dir), category);
    }
    for (const file of [...SECRET_FILES, ...policy.doc.files.secrets.filter((p) => !p.includes('*'))]) {
      if (!existsSync(root + file)) continue;
      if (add(file, readMask, false)) state.secrets.add(this.containerReal(c, root, file));
    }
    this.byContainer.set(c.ref.id, state);
  }

  /** The container path of a path after resolving symlinks inside the container. */
  private containerReal(c: ContainerInfo, root: string, containerPath: string): string {
    try {
      const real = realpathSync(root + containerPath);
      const rootReal = realpathSync(root);
      return rootReal === '/' ? real : real.startsWith(rootReal + '/') ? real.slice(rootReal.length) : containerPath;
    } catch {
      return containerPath;
    }
  }

  private onBatch(batch: RawFanEvent[]): void {
    for (const ev of batch) {
      this.counters.events++;
      if (ev.overflow) {
        this.counters.overflows++;
        continue;
      }
      let decision: boolean | Promise<boolean> = true;
      try {
        decision = this.handle(ev);
      } catch (err) {
        this.ctx.log('error', 'files: event handling failed', { error: (err as Error).message });
      }
      if (ev.id !== undefined) {
        const id = ev.id;
        Promise.resolve(decision).then(
          (allow) => this.fan?.respond(id, allow),
          () => this.fan?.respond(id, true),
        );
      }
    }
  }

  private handle(ev: RawFanEvent): boolean | Promise<boolean> {
    const F = this.ctx.native.FAN;
    if (!ev.path) return true;
    const c = this.containerOf(ev);
    if (!c) {
      this.counters.unattributed++;
      return true;
    }
    const marks = this.byContainer.get(c.ref.id);
    if (!marks) return true;
    const path = this.ctx.containers.containerPath(c, ev.path);
    const perm = ev.id !== undefined;
    const isSecret = marks.secrets.has(path);
    const category = marks.writeDirs.get(dirname(path));
    let op: 'write' | 'read' | undefined;
    if (ev.mask & F.CLOSE_WRITE) op = 'write';
    else if (perm && ev.mask & F.OPEN_PERM) op = this.opensForWrite(ev) ? 'write' : isSecret ? 'read' : undefined;
    else if (ev.mask & F.OPEN && isSecret) op = 'read';
    if (!op) return true;
    if (op === 'write' && !category && !isSecret) return true;
    // A write that was already decided at open() is not reported again when it is closed.
    if (op === 'write' && !perm && this.ctx.store.policyFor(workloadOf(c)).doc.files.mode === 'protect') return true;
    return this.judge(c, ev, path, op, op === 'write' ? category ?? 'config' : 'secret', perm);
  }

  private containerOf(ev: RawFanEvent): ContainerInfo | undefined {
    const ref = ev.cgroup ? this.ctx.processes.containerOf(ev.cgroup) : this.ctx.processes.get(ev.pid)?.container;
    if (ref) {
      const c = this.ctx.containers.get(ref.id);
      if (c?.attribution) return c;
    }
    // A host process writing into a container's root (docker cp, a debugging shell).
    for (const c of this.ctx.containers.all()) {
      if (c.attribution && c.root !== '/' && ev.path!.startsWith(c.root + '/')) return c;
    }
    return undefined;
  }

  private judge(c: ContainerInfo, ev: RawFanEvent, path: string, op: 'write' | 'read', category: Category | 'secret', perm: boolean): boolean {
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const mode = policy.doc.files.mode;
    const wk = workloadKey(workloadOf(c));
    const exe = this.actorExe(c, ev);
    if (op === 'write') this.counters.writes++;
    else this.counters.reads++;
    const rules = op === 'write' ? policy.writers : policy.readers;
    const listed = rules.some((r) => r.paths.matches(path) && r.processes.matches(exe));
    const item = `${exe}\u0000${op === 'write' ? dirname(path) : path}`;
    const learned = this.ctx.baseline.has(wk, op, item);
    if (listed || learned) return true;
    const kind = op === 'write' ? 'file.write' : 'file.read';
    const severity = category === 'secret' || category === 'binary' || category === 'library' || category === 'cron' ? 'high' : 'medium';
    const attack =
      op === 'read'
        ? { class: 'credential-access', tactic: 'credential-access', technique: 'T1552.001' }
        : category === 'cron'
          ? { class: 'persistence', tactic: 'persistence', technique: 'T1053.003' }
          : { class: 'tampering', tactic: 'defense-evasion', technique: 'T1222' };
    if (mode === 'discover') {
      if (this.ctx.baseline.learn(wk, op, item)) {
        this.counters.learned++;
        this.emit(c, ev, kind, 'info', 'allow', null, attack, { path, op, category, writer: exe, learned: true });
      }
      return true;
    }
    this.counters.violations++;
    const refuse = mode === 'protect' && perm;
    if (refuse) this.counters.refused++;
    this.emit(c, ev, kind, severity, refuse ? 'block' : 'alert', { id: `${wk}/files`, name: op === 'write' ? 'write to a watched path' : 'read of a secret' }, attack, {
      path,
      op,
      category,
      process: exe,
    });
    return !refuse;
  }

  private emit(
    c: ContainerInfo,
    ev: RawFanEvent,
    kind: string,
    severity: 'info' | 'medium' | 'high',
    action: 'allow' | 'alert' | 'block',
    rule: { id: string; name: string } | null,
    attack: { class: string; tactic: string; technique: string },
    evidence: Record<string, unknown>,
  ): void {
    const actor = this.ctx.processes.get(ev.pid);
    const mode = this.ctx.store.policyFor(workloadOf(c)).doc.files.mode;
    this.ctx.sink.emit(
      makeEvent({
        kind,
        severity,
        action,
        mode,
        workload: eventWorkload(c),
        rule,
        attack: severity === 'info' ? null : attack,
        evidence,
        file: { path: evidence.path, op: evidence.op, category: evidence.category },
        process: {
          pid: ev.pid,
          exe: this.actorExe(c, ev),
          uid: actor?.uid ?? -1,
          parents: actor ? this.ctx.processes.parents(actor) : [],
        },
        container: { id: c.ref.id, runtime: c.ref.runtime },
      }),
    );
  }

  /** The acting process's executable: as read with the event (the process table may not have
   * its exec yet, or never, for a process that ended at once). */
  private actorExe(c: ContainerInfo, ev: RawFanEvent): string {
    if (ev.exe) return this.ctx.containers.containerPath(c, ev.exe);
    const actor = this.ctx.processes.get(ev.pid);
    return actor ? this.ctx.containers.containerPath(c, actor.exe) : '';
  }

  /** From the opener's syscall line, read while it waits: does it open for writing? */
  private opensForWrite(ev: RawFanEvent): boolean {
    const parts = (ev.syscall ?? '').trim().split(/\s+/);
    const nr = Number(parts[0]);
    const arg = (i: number): bigint => BigInt(parts[1 + i] ?? '0');
    let flags: bigint;
    if (nr === SYS_OPEN) flags = arg(1);
    else if (nr === SYS_OPENAT) flags = arg(2);
    else if (nr === SYS_CREAT) return true;
    else if (nr === SYS_OPENAT2) {
      const f = this.readOpenHow(ev.pid, arg(2));
      if (f === undefined) return false;
      flags = f;
    } else return false;
    const f = Number(flags & 0xffffffffn);
    return (f & O_ACCMODE) !== 0 || (f & (O_TRUNC | O_CREAT)) !== 0;
  }

  /** openat2's struct open_how starts with the 64-bit flags, in the caller's memory. */
  private readOpenHow(pid: number, address: bigint): bigint | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(`${this.ctx.procRoot}/${pid}/mem`, 'r');
      const buf = Buffer.alloc(8);
      readSync(fd, buf, 0, 8, address);
      return buf.readBigUInt64LE(0);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/** The directory a watch pattern names before its first wildcard: `/opt/app/bin/**` → `/opt/app/bin`. */
function literalDir(pattern: string): string {
  const star = pattern.indexOf('*');
  if (star < 0) return dirname(pattern) === '/' ? pattern : pattern;
  const prefix = pattern.slice(0, star);
  return prefix.endsWith('/') ? prefix.slice(0, -1) || '/' : dirname(prefix);
}
