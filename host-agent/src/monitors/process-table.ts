// Every process on the host the agent has heard of, from the proc connector: fork copies the
// parent (a child runs its parent's image in its parent's cgroup until it execs), exec replaces
// the image with what the reader saw in /proc (or, when the process was already gone, the path
// fanotify reported for that exec), exit removes it. Bounded: past maxEntries the oldest go.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { parseProcCgroup, type ContainerRef } from '../attribution/cgroup.js';

export interface ProcEntry {
  pid: number;
  ppid: number;
  exe: string;
  /** argv, NUL-separated, as /proc/<pid>/cmdline gives it ('' when unknown): split only for the
   * events that report it (argsOf). */
  argv: string;
  argsTruncated: boolean;
  uid: number;
  euid: number;
  container: ContainerRef | undefined;
  /** The image came from the parent (fork without exec yet) or /proc could not be read. */
  partial: boolean;
  /** stdin and stdout as /proc shows them (socket:[inode], pipe:[...], /dev/pts/0). */
  fd0?: string;
  fd1?: string;
}

const CGROUP_CACHE_LIMIT = 4096;

export class ProcessTable {
  private readonly byPid = new Map<number, ProcEntry>();
  private readonly cgroups = new Map<string, ContainerRef | null>();
  /** Recently exited processes: events about them (a file closed, a child's exec) often arrive
   * after their exit. Bounded; pid reuse replaces an entry. */
  private readonly exited = new Map<number, ProcEntry>();
  evicted = 0;

  constructor(private readonly maxEntries = 131072) {}

  get size(): number {
    return this.byPid.size;
  }

  get(pid: number): ProcEntry | undefined {
    return this.byPid.get(pid) ?? this.exited.get(pid);
  }

  /** The container of a cgroup file's text; parsed once per distinct text. */
  containerOf(cgroupText: string): ContainerRef | undefined {
    let ref = this.cgroups.get(cgroupText);
    if (ref === undefined) {
      ref = parseProcCgroup(cgroupText) ?? null;
      if (this.cgroups.size >= CGROUP_CACHE_LIMIT) this.cgroups.clear();
      this.cgroups.set(cgroupText, ref);
    }
    return ref ?? undefined;
  }

  fork(pid: number, ppid: number): ProcEntry {
    const parent = this.byPid.get(ppid);
    const entry: ProcEntry = parent
      ? { ...parent, pid, ppid, partial: true }
      : { pid, ppid, exe: '', argv: '', argsTruncated: false, uid: -1, euid: -1, container: undefined, partial: true };
    this.set(entry);
    return entry;
  }

  /** `facts.ppid`: from /proc (the scan); the connector's execs keep the parent of the fork. */
  /** `facts.gone`: the process had exited before /proc was read (its exe, if any, came from the
   * exec notification; arguments and uids are not known). */
  exec(pid: number, facts: { exe?: string; args?: string; argsTruncated?: boolean; ppid?: number; euid?: number; uid?: number; cgroup?: string; gone?: boolean; fd0?: string; fd1?: string }, fallbackExe?: string): ProcEntry {
    const prev = this.byPid.get(pid);
    const entry: ProcEntry = {
      pid,
      ppid: facts.ppid ?? prev?.ppid ?? 0,
      exe: facts.exe ?? fallbackExe ?? '',
      argv: facts.args ?? '',
      argsTruncated: facts.argsTruncated ?? false,
      uid: facts.uid ?? facts.euid ?? prev?.uid ?? -1,
      euid: facts.euid ?? prev?.euid ?? -1,
      container: facts.cgroup ? this.containerOf(facts.cgroup) : prev?.container,
      partial: facts.exe === undefined || facts.gone === true,
      fd0: facts.fd0,
      fd1: facts.fd1,
    };
    if (facts.exe === undefined) {
      // Gone before it could be read: a zombie still shows its cgroup and status, not its exe.
      if (!entry.container) entry.container = prev?.container;
    }
    this.set(entry);
    return entry;
  }

  uid(pid: number, ruid: number, euid: number): { entry: ProcEntry | undefined; previousEuid: number } {
    const entry = this.byPid.get(pid);
    const previousEuid = entry?.euid ?? -1;
    if (entry) {
      entry.uid = ruid;
      entry.euid = euid;
    }
    return { entry, previousEuid };
  }

  exit(pid: number): ProcEntry | undefined {
    const e = this.byPid.get(pid);
    this.byPid.delete(pid);
    if (e) {
      if (this.exited.size >= 4096) this.exited.delete(this.exited.keys().next().value as number);
      this.exited.delete(pid);
      this.exited.set(pid, e);
    }
    return e;
  }

  /** Nearest first, at most `max`, stopping at the container's edge (a parent in another
   * container or on the host is included once, as the one that started it). */
  parents(entry: ProcEntry, max = 8): Array<{ pid: number; exe: string }> {
    const out: Array<{ pid: number; exe: string }> = [];
    let ppid = entry.ppid;
    // ppid === pid: the process asking to exec, whose current image is its own parent-to-be.
    const seen = new Set<number>(entry.ppid === entry.pid ? [] : [entry.pid]);
    while (out.length < max && ppid > 0 && !seen.has(ppid)) {
      seen.add(ppid);
      const p = this.get(ppid);
      if (!p) {
        out.push({ pid: ppid, exe: readExe(ppid) ?? '' });
        break;
      }
      out.push({ pid: p.pid, exe: p.exe });
      if (p.container?.id !== entry.container?.id) break;
      ppid = p.ppid;
    }
    return out;
  }

  /** Reads every running process from /proc (at start, before the connector's events). */
  scan(procRoot = '/proc'): number {
    let n = 0;
    for (const name of readdirSync(procRoot)) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      try {
        const status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
        if (/^Tgid:\s*(\d+)/m.exec(status)?.[1] !== name) continue;
        const cgroup = readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8');
        let args: string | undefined;
        try {
          args = readFileSync(`${procRoot}/${pid}/cmdline`).subarray(0, 4096).toString('utf8');
        } catch {
          args = undefined;
        }
        this.exec(pid, { exe: readExe(pid, procRoot), args, cgroup, ...parseStatus(status) });
        n++;
      } catch {
        // gone meanwhile
      }
    }
    return n;
  }

  *entries(): IterableIterator<ProcEntry> {
    yield* this.byPid.values();
  }

  private set(entry: ProcEntry): void {
    this.exited.delete(entry.pid);
    if (!this.byPid.has(entry.pid) && this.byPid.size >= this.maxEntries) {
      const oldest = this.byPid.keys().next().value;
      if (oldest !== undefined) {
        this.byPid.delete(oldest);
        this.evicted++;
      }
    }
    this.byPid.set(entry.pid, entry);
  }
}

export function readExe(pid: number, procRoot = '/proc'): string | undefined {
  try {
    return readlinkSync(`${procRoot}/${pid}/exe`);
  } catch {
    return undefined;
  }
}

export function parseStatus(text: string): { ppid?: number; uid?: number; euid?: number } {
  const ppid = /^PPid:\s*(\d+)/m.exec(text);
  const uid = /^Uid:\s*(\d+)\s+(\d+)/m.exec(text);
  return { ppid: ppid ? Number(ppid[1]) : undefined, uid: uid ? Number(uid[1]) : undefined, euid: uid ? Number(uid[2]) : undefined };
}

/** argv as a list, from /proc/<pid>/cmdline's NUL-separated text. */
export function splitArgs(argv: string): string[] {
  const end = argv.endsWith('\u0000') ? argv.length - 1 : argv.length;
  if (end === 0) return [];
  return argv.slice(0, end).split('\u0000');
}
