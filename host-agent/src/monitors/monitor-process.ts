// Processes: every fork, exec, exit and uid change on the host from the proc connector (with,
// on each container's root mount, fanotify exec notifications in the connector's own reader for
// the paths of processes gone before /proc could be read), and fanotify exec permission events
// that hold an exec until it is decided. Per workload (its `processes` configuration):
//   discover  learns each new executable and reports it once (process.exec, info)
//   monitor   reports an executable neither listed nor learned (process.violation, alert)
//   protect   refuses it before it runs (block), or kills it (`enforcement: kill`, or when
//             fanotify is unavailable)
// Built-in suspicious behaviour (process-rules.ts) is reported in every mode and enforced in
// protect. Host processes are tracked (for parent chains) but not judged.
import { basename } from 'node:path';
import { readlinkSync, statSync } from 'node:fs';
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import { actionFor, makeEvent, type ProcessFacts } from '../events/agent-event.js';
import { PROC_EVENT, type NativeFanotify, type NativeProcConnector, type RawFanEvent, type RawProcEvent } from '../native/native.js';
import { forEachProcRecord } from '../native/proc-records.js';
import { workloadKey } from '../workloads.js';
import type { Monitor, MonitorStatus } from './monitor.js';
import { isLoader, pathFindings, runningFindings, uidFinding, type Finding } from './process-rules.js';
import { splitArgs, type ProcEntry } from './process-table.js';
import { resolveInRoot } from './resolve-in-root.js';

export interface ProcessMonitorOptions {
  /** Report every exec as process.exec (info), not only new and violating ones. */
  reportAll?: boolean;
  /** Use fanotify on container roots (refusal before exec). Default true. */
  fanotify?: boolean;
  /** Take exec paths from fanotify exec notifications too (read in the connector's rounds), so
   * even an exec whose process ended before /proc could be read has its path. Default true.
   * Arguments of such a process are lost either way: nothing but its memory held them. */
  execPaths?: boolean;
  maxArgBytes?: number;
}

/** Dynamic loaders, opened for exec after each binary (x86_64, arm64; glibc and musl). */
const LOADERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1', '/lib/ld-musl-x86_64.so.1', '/lib/ld-musl-aarch64.so.1'];

const COUNTERS = ['forks', 'execs', 'exits', 'hostExecs', 'containerExecs', 'outsideRoot', 'execPermEvents', 'refused', 'killed', 'violations', 'learned', 'findings', 'overruns', 'attributionOverflow', 'markErrors', 'malformedRounds'] as const;
type Counter = (typeof COUNTERS)[number];

export class ProcessMonitor implements Monitor {
  readonly name = 'processes';
  private conn: NativeProcConnector | undefined;
  private fan: NativeFanotify | undefined;
  private fanReason: string | undefined;
  private execPathsOn = false;
  private readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  /** pid → the container path an exec permission event decided, until the connector's exec. */
  private readonly execPaths = new Map<number, string>();
  /** Mounts marked for exec events, by "dev:ino" of the root: the containers using each, the
   * permission mask in force (only when one of them refuses execs), and whether the connector's
   * exec notifications cover it. */
  private readonly marked = new Map<string, { root: string; users: Set<string>; mask: number; notified: boolean }>();
  /** Containers whose root mount is in `marked`. */
  private readonly markedIds = new Set<string>();
  private readonly perContainerExecs = new Map<string, number>();

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: ProcessMonitorOptions = {},
  ) {}

  async start(): Promise<void> {
    const n = this.ctx.native;
    // Known processes first, so parents and containers of what follows are there.
    this.ctx.processes.scan(this.ctx.procRoot);
    if (this.options.fanotify !== false) {
      try {
        this.fan = new n.Fanotify({ permissions: true, permTimeoutMs: 5000 }, (batch) => this.onFanBatch(batch));
      } catch (err) {
        this.fanReason = (err as Error).message;
        this.ctx.log('warn', 'processes: fanotify unavailable; execs are judged after they start (protect kills instead of refusing)', { reason: this.fanReason });
      }
    }
    this.ctx.containers.listen({ added: (c) => this.markContainer(c), removed: (c) => this.unmarkContainer(c) });
    this.ctx.store.onChange(() => this.remarkAll());
    for (const e of this.ctx.processes.entries()) if (e.container) this.ctx.containers.observe(e.container, e.pid);
    const execPaths = this.options.execPaths !== false;
    this.conn = new n.ProcConnector({ enrich: true, execPaths, maxArgBytes: this.options.maxArgBytes ?? 4096 }, (records) => this.onProcRound(records));
    if (this.conn.execPathsError) this.ctx.log('warn', 'processes: exec paths of processes gone before /proc is read are unavailable', { reason: this.conn.execPathsError });
    this.execPathsOn = execPaths && !this.conn.execPathsError;
    // Containers seen before the connector existed: their mounts get its exec notifications too.
    for (const mark of this.marked.values()) this.notifyExecs(mark);
  }

  async stop(): Promise<void> {
    this.conn?.close();
    this.fan?.close();
    this.conn = undefined;
    this.fan = undefined;
  }

  status(): MonitorStatus {
    const counters: Record<string, number> = { ...this.counters };
    if (this.conn) {
      const s = this.conn.stats();
      counters.connectorMessages = s.messages;
      counters.overruns = s.overruns;
      counters.queueDropped = s.queueDropped;
      counters.enrichMissed = s.enrichMissed;
      counters.connectorBatches = s.batches;
      counters.connectorRounds = s.rounds;
      counters.execPathEvents = s.execPathEvents;
      counters.execPathOverflows = s.execPathOverflows;
      counters.execPathsStale = s.execPathsStale;
      counters.execPathsFilled = s.execPathsFilled;
    }
    if (this.fan) {
      const s = this.fan.stats();
      counters.fanotifyTimedOut = s.timedOut;
      counters.fanotifyOverflows = s.overflows;
      counters.fanotifyQueueDropped = s.queueDropped;
    }
    return { name: this.name, enabled: this.conn !== undefined, reason: this.fanReason ? `fanotify: ${this.fanReason}` : undefined, counters };
  }

  /** Execs seen in one container (by id), counted as they arrive. */
  execCount(containerId: string): number {
    return this.perContainerExecs.get(containerId) ?? 0;
  }

  /** Whether exec permission marks cover this container (protect can refuse before exec). */
  guarded(containerId: string): boolean {
    for (const m of this.marked.values()) if (m.users.has(containerId) && m.mask === this.ctx.native.FAN.OPEN_EXEC_PERM) return true;
    return false;
  }

  // --- proc connector ---

  private onProcRound(records: Buffer): void {
    try {
      forEachProcRecord(records, (ev) => {
        try {
          this.onProcEvent(ev);
        } catch (err) {
          this.ctx.log('error', 'processes: event handling failed', { error: (err as Error).message, pid: ev.pid });
        }
      });
    } catch (err) {
      this.counters.malformedRounds++;
      this.ctx.log('error', 'processes: connector round not decoded (the rest of it is lost)', { error: (err as Error).message });
    }
  }

  private onProcEvent(ev: RawProcEvent): void {
    const table = this.ctx.processes;
    switch (ev.type) {
      case PROC_EVENT.fork: {
        this.counters.forks++;
        const e = table.fork(ev.pid, ev.ppid ?? 0);
        if (e.container) this.ctx.containers.observe(e.container, e.pid);
        return;
      }
      case PROC_EVENT.exec:
        return this.onExec(ev);
      case PROC_EVENT.exit: {
        this.counters.exits++;
        const e = table.exit(ev.pid);
        this.execPaths.delete(ev.pid);
        if (e?.container) this.ctx.containers.exited(e.container.id, ev.pid);
        return;
      }
      case PROC_EVENT.uid: {
        const { entry, previousEuid } = table.uid(ev.pid, ev.ruid ?? 0, ev.euid ?? 0);
        if (!entry?.container) return;
        const f = uidFinding(previousEuid, ev.euid ?? 0, entry.exe);
        if (!f) return;
        const c = this.ctx.containers.observe(entry.container, entry.pid);
        this.ctx.containers.whenAttributed(c, () => this.report(c, entry, [f], false));
        return;
      }
      case PROC_EVENT.overrun:
        this.counters.overruns++;
        this.ctx.log('error', 'processes: the kernel dropped process events (socket overrun)');
        return;
    }
  }

  private onExec(ev: RawProcEvent): void {
    this.counters.execs++;
    const table = this.ctx.processes;
    const decided = this.execPaths.get(ev.pid);
    this.execPaths.delete(ev.pid);
    // The parent is the fork's (the table's), not /proc's: a reparented orphan keeps its origin.
    const entry = table.exec(ev.pid, { exe: ev.exe, args: ev.args, argsTruncated: ev.argsTruncated, euid: ev.euid, cgroup: ev.cgroup, gone: ev.gone });
    if (!entry.container) {
      this.counters.hostExecs++;
      return;
    }
    this.counters.containerExecs++;
    const c = this.ctx.containers.observe(entry.container, entry.pid);
    c.execs++;
    this.perContainerExecs.set(c.ref.id, (this.perContainerExecs.get(c.ref.id) ?? 0) + 1);
    // A process that joined the container's cgroup but runs an image outside its root (a
    // runtime's own helper between joining and entering, read after the join) is not the
    // container's. Its image tells: every file inside the root is below it as the agent sees it.
    if (entry.exe !== '' && c.root !== '/' && !entry.exe.startsWith(c.root + '/')) {
      this.counters.outsideRoot++;
      return;
    }
    if (entry.exe !== '') entry.exe = this.ctx.containers.containerPath(c, entry.exe);
    else if (decided) entry.exe = decided;
    const before = this.ctx.containers.overflow;
    this.ctx.containers.whenAttributed(c, () => this.judgeExec(c, entry));
    if (this.ctx.containers.overflow !== before) this.counters.attributionOverflow++;
  }

  private judgeExec(c: ContainerInfo, entry: ProcEntry): void {
    this.ensureMarked(c);
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const cfg = policy.doc.processes;
    const wk = workloadKey(workloadOf(c));
    const exe = entry.exe;
    const listed = exe !== '' && policy.processAllow.matches(exe);
    const learned = exe !== '' && this.ctx.baseline.has(wk, 'exec', exe);
    const parent = this.ctx.processes.get(entry.ppid);
    const findings: Finding[] = [];
    if (!listed && exe !== '') findings.push(...pathFindings(exe));
    findings.push(
      ...runningFindings({
        exe,
        euid: entry.euid,
        parent: parent ? { exe: parent.exe, euid: parent.euid, sameContainer: parent.container?.id === c.ref.id } : undefined,
        stdioOnInetSocket: () => this.stdioOnInetSocket(entry),
      }),
    );
    let enforced = false;
    if (!listed && !learned && exe !== '') {
      if (cfg.mode === 'discover') {
        if (this.ctx.baseline.learn(wk, 'exec', exe)) {
          this.counters.learned++;
          this.emit(c, entry, 'process.exec', 'info', 'allow', null, null, { reason: 'new executable (learned)', learned: true });
        }
      } else {
        this.counters.violations++;
        const kill = cfg.mode === 'protect';
        if (kill) enforced = this.kill(entry);
        this.emit(c, entry, 'process.violation', 'medium', actionFor(cfg.mode, 'kill'), { id: `${wk}/processes`, name: 'executable not allowed' }, null, {
          reason: 'executable neither allowed nor learned',
          killed: enforced,
        });
      }
    } else if (this.options.reportAll) {
      this.emit(c, entry, 'process.exec', 'info', 'allow', null, null, {});
    }
    if (findings.length > 0) this.report(c, entry, findings, enforced);
  }

  private report(c: ContainerInfo, entry: ProcEntry, findings: Finding[], alreadyKilled: boolean): void {
    const mode = this.ctx.store.policyFor(workloadOf(c)).doc.processes.mode;
    let killed = alreadyKilled;
    if (mode === 'protect' && !killed) killed = this.kill(entry);
    for (const f of findings) {
      this.counters.findings++;
      this.emit(c, entry, 'process.violation', f.severity, mode === 'protect' ? 'kill' : 'alert', f.rule, { class: f.attack.class, tactic: f.attack.tactic, technique: f.attack.technique }, {
        reason: f.rule.name,
        detail: f.detail,
        killed,
      });
    }
  }

  private kill(entry: ProcEntry): boolean {
    if (!entry.container) return false; // never a host process
    try {
      process.kill(entry.pid, 'SIGKILL');
      this.counters.killed++;
      return true;
    } catch {
      return false;
    }
  }

  private stdioOnInetSocket(entry: ProcEntry): boolean {
    // Read now, for interpreters only: an interactive shell lives long enough to be read.
    const link = (fd: number): string | undefined => {
      try {
        return readlinkSync(`${this.ctx.procRoot}/${entry.pid}/fd/${fd}`);
      } catch {
        return undefined;
      }
    };
    const inodes = new Set([link(0), link(1)].map((l) => Number(/^socket:\[(\d+)\]$/.exec(l ?? '')?.[1])).filter((x) => x > 0));
    if (inodes.size === 0) return false;
    // Node and shells pass pipes as unix socket pairs: only an inet (TCP) socket counts. Asked
    // through sock_diag in the process's namespace (/proc/<pid>/net/tcp walks every socket of
    // the host and costs milliseconds).
    const ns = `${this.ctx.procRoot}/${entry.pid}/ns/net`;
    try {
      for (const family of [4, 6] as const) {
        if (this.ctx.native.inetSockets(ns, { family, states: 1 << 1 }).some((s) => inodes.has(s.inode))) return true;
      }
    } catch {
      // gone
    }
    return false;
  }

  private processFacts(entry: ProcEntry): ProcessFacts {
    return {
      pid: entry.pid,
      ppid: entry.ppid,
      exe: entry.exe,
      args: splitArgs(entry.argv),
      ...(entry.argsTruncated ? { argsTruncated: true } : {}),
      uid: entry.uid,
      euid: entry.euid,
      parents: this.ctx.processes.parents(entry).map((p) => {
        const pc = this.ctx.processes.get(p.pid)?.container;
        const info = pc ? this.ctx.containers.get(pc.id) : undefined;
        return { pid: p.pid, exe: info ? this.ctx.containers.containerPath(info, p.exe) : p.exe };
      }),
      ...(entry.partial ? { partial: true } : {}),
    };
  }

  private emit(
    c: ContainerInfo,
    entry: ProcEntry,
    kind: string,
    severity: 'info' | 'low' | 'medium' | 'high' | 'critical',
    action: 'allow' | 'alert' | 'block' | 'kill',
    rule: { id: string; name: string } | null,
    attack: { class: string; tactic: string; technique?: string } | null,
    evidence: Record<string, unknown>,
  ): void {
    const mode = this.ctx.store.policyFor(workloadOf(c)).doc.processes.mode;
    this.ctx.sink.emit(
      makeEvent({ kind, severity, action, mode, workload: eventWorkload(c), rule, attack, evidence, process: this.processFacts(entry), container: { id: c.ref.id, runtime: c.ref.runtime } }),
    );
  }

  // --- fanotify exec permission ---

  /** Refusal needs permission events (the connector's notifications give the exec paths
   * without making any exec wait for the agent). */
  private wantsPermission(c: ContainerInfo): boolean {
    const p = this.ctx.store.policyFor(workloadOf(c)).doc.processes;
    return p.mode === 'protect' && p.enforcement === 'refuse';
  }

  private markContainer(c: ContainerInfo): void {
    if (!this.fan && this.options.execPaths === false) return;
    // The root through a live process: the anchor may have exited before the agent read its
    // exit (exits come in reader rounds), and then another of the container's processes serves.
    let root = '';
    let key = '';
    for (const pid of [c.anchorPid, ...c.pids]) {
      try {
        const st = statSync(`${this.ctx.procRoot}/${pid}/root`);
        root = `${this.ctx.procRoot}/${pid}/root`;
        key = `${st.dev}:${st.ino}`;
        break;
      } catch {
        // gone: the next one
      }
    }
    // None alive yet: the container's next exec marks it (ensureMarked).
    if (root === '') return;
    let mark = this.marked.get(key);
    if (!mark) {
      mark = { root, users: new Set(), mask: 0, notified: false };
      this.marked.set(key, mark);
      if (this.fan) this.ignoreLoaders(root, (path) => this.fan!.mark(path, { kind: 'inode', mask: this.ctx.native.FAN.OPEN_EXEC_PERM, ignore: true }));
    }
    // The mount is reached through a process that is alive now (the one that first showed it may
    // be gone: a mark through its /proc path would fail for good).
    mark.root = root;
    mark.users.add(c.ref.id);
    this.notifyExecs(mark);
    // Marked, or retried at the container's next exec when the process died meanwhile.
    const notified = !this.conn || !this.execPathsOn || mark.notified;
    if (this.remark(mark) && notified) this.markedIds.add(c.ref.id);
  }

  /** The connector's exec notifications on a container's root mount (once per mount). */
  private notifyExecs(mark: { root: string; notified: boolean }): void {
    if (!this.conn || !this.execPathsOn || mark.notified) return;
    try {
      this.conn.watchExecs(mark.root + '/', true);
      mark.notified = true;
      this.ignoreLoaders(mark.root, (path) => this.conn!.ignoreExec(path));
    } catch (err) {
      this.counters.markErrors++;
      this.ctx.log('warn', 'processes: cannot take exec paths from a container root', { root: mark.root, error: (err as Error).message });
    }
  }

  /** Sets a mount's permission mask to what its containers need now (after a configuration
   * change too). */
  private remark(mark: { root: string; users: Set<string>; mask: number }): boolean {
    if (!this.fan) return true;
    const F = this.ctx.native.FAN;
    let perm = false;
    for (const id of mark.users) {
      const c = this.ctx.containers.get(id);
      if (c?.attribution && this.wantsPermission(c)) perm = true;
    }
    const mask = perm ? F.OPEN_EXEC_PERM : 0;
    if (mask === mark.mask) return true;
    try {
      if (mark.mask !== 0) this.fan.mark(mark.root + '/', { op: 'remove', kind: 'mount', mask: mark.mask });
      if (mask !== 0) this.fan.mark(mark.root + '/', { kind: 'mount', mask });
      mark.mask = mask;
      return true;
    } catch (err) {
      this.counters.markErrors++;
      this.ctx.log('warn', 'processes: cannot watch execs of a container root', { root: mark.root, error: (err as Error).message });
      // Its containers try again at their next exec, through a live process.
      for (const id of mark.users) this.markedIds.delete(id);
      return false;
    }
  }

  /** The dynamic loader is opened for exec after every binary: the kernel is told to skip it. */
  private ignoreLoaders(root: string, ignore: (path: string) => void): void {
    for (const loader of LOADERS) {
      try {
        ignore(resolveInRoot(root, loader));
      } catch {
        // not in this image
      }
    }
  }

  /** A container whose marking failed when it appeared (no live process to reach its root
   * through) is marked at its next exec. */
  private ensureMarked(c: ContainerInfo): void {
    if (!this.markedIds.has(c.ref.id) && this.ctx.containers.get(c.ref.id) === c) this.markContainer(c);
  }

  private unmarkContainer(c: ContainerInfo): void {
    this.markedIds.delete(c.ref.id);
    for (const [key, mark] of this.marked) {
      mark.users.delete(c.ref.id);
      // The mount may be gone with the container; a mark on a gone mount goes with it.
      if (mark.users.size === 0) this.marked.delete(key);
    }
  }

  private remarkAll(): void {
    for (const mark of this.marked.values()) this.remark(mark);
  }

  private onFanBatch(batch: RawFanEvent[]): void {
    for (const ev of batch) {
      if (ev.id === undefined) continue; // an overflow: permission events are never dropped

      this.counters.execPermEvents++;
      this.decideExec(ev).then(
        (allow) => this.fan?.respond(ev.id!, allow),
        (err) => {
          this.ctx.log('error', 'processes: exec decision failed; allowed', { error: (err as Error).message });
          this.fan?.respond(ev.id!, true);
        },
      );
    }
  }

  private async decideExec(ev: RawFanEvent): Promise<boolean> {
    const ref = ev.cgroup ? this.ctx.processes.containerOf(ev.cgroup) : undefined;
    if (!ref || !ev.path) return true;
    const c = await this.ctx.containers.attributed(this.ctx.containers.observe(ref, ev.pid));
    const path = this.ctx.containers.containerPath(c, ev.path);
    if (isLoader(path)) return true;
    if (!this.execPaths.has(ev.pid)) this.execPaths.set(ev.pid, path);
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const cfg = policy.doc.processes;
    if (cfg.mode !== 'protect' || cfg.enforcement === 'kill') return true;
    const listed = policy.processAllow.matches(path);
    const learned = this.ctx.baseline.has(workloadKey(workloadOf(c)), 'exec', path);
    const findings = listed ? [] : pathFindings(path);
    if ((listed || learned) && findings.length === 0) return true;
    this.counters.refused++;
    this.execPaths.delete(ev.pid);
    // The process asking is the one that would become `path`: describe it as the parent.
    const caller = this.ctx.processes.get(ev.pid);
    const entry: ProcEntry = {
      pid: ev.pid,
      ppid: ev.pid,
      exe: path,
      argv: '',
      argsTruncated: false,
      uid: caller?.uid ?? -1,
      euid: caller?.euid ?? -1,
      container: ref,
      partial: true,
    };
    const f = findings[0];
    this.emit(c, entry, 'process.violation', f?.severity ?? 'medium', 'block', f?.rule ?? { id: `${workloadKey(workloadOf(c))}/processes`, name: 'executable not allowed' }, f ? { class: f.attack.class, tactic: f.attack.tactic, technique: f.attack.technique } : null, {
      reason: f ? f.rule.name : 'executable neither allowed nor learned',
      refused: 'before exec',
      binary: basename(path),
    });
    return false;
  }
}
