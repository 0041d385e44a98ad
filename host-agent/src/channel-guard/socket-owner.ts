// Who holds a socket: the processes with a file descriptor on `socket:[inode]`, looked for among
// the pids of the containers sharing a network namespace (the socket was made there), then, when
// none of them has it (a forked child the agent has not seen exec), among every process in that
// namespace. Never the host's: in the agent's own namespace only known container pids count, so
// the node's own daemons are never taken for a pod's processes.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';

export interface SocketHolder {
  pid: number;
  container: ContainerInfo;
  /** The executable as the container sees it ('' when the process table does not know it). */
  exe: string;
}

function holds(procRoot: string, pid: number, target: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`${procRoot}/${pid}/fd/${fd}`) === target) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/** The holder's executable read now (it is alive: it holds the socket), else what the process
 * table knows; the table may not have seen a fresh exec yet. */
function holder(ctx: AgentContext, pid: number, c: ContainerInfo): SocketHolder {
  let exe = ctx.processes.get(pid)?.exe ?? '';
  try {
    exe = readlinkSync(`${ctx.procRoot}/${pid}/exe`);
  } catch {
    // gone, or a kernel thread: keep the table's
  }
  return { pid, container: c, exe: exe ? ctx.containers.containerPath(c, exe) : '' };
}

/** The container of a process: the table's, else from its cgroup now. */
function containerOfPid(ctx: AgentContext, pid: number): ContainerInfo | undefined {
  let ref = ctx.processes.get(pid)?.container;
  if (!ref) {
    try {
      ref = ctx.processes.containerOf(readFileSync(`${ctx.procRoot}/${pid}/cgroup`, 'utf8'));
    } catch {
      return undefined;
    }
  }
  return ref && ctx.containers.get(ref.id);
}

/** Every holder of the socket (first: the first found); `first` stops at one. */
export function socketHolders(ctx: AgentContext, containerIds: Iterable<string>, inode: number, netnsInode: number, first = false): SocketHolder[] {
  const target = `socket:[${inode}]`;
  const out: SocketHolder[] = [];
  for (const id of containerIds) {
    const c = ctx.containers.get(id);
    if (!c) continue;
    for (const pid of c.pids) {
      if (!holds(ctx.procRoot, pid, target)) continue;
      out.push(holder(ctx, pid, c));
      if (first) return out;
    }
  }
  if (out.length > 0 || netnsInode === 0 || netnsInode === ownNetns(ctx.procRoot)) return out;
  let pids: string[];
  try {
    pids = readdirSync(ctx.procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  const ns = `net:[${netnsInode}]`;
  for (const p of pids) {
    const pid = Number(p);
    try {
      if (readlinkSync(`${ctx.procRoot}/${p}/ns/net`) !== ns) continue;
    } catch {
      continue;
    }
    const c = containerOfPid(ctx, pid);
    if (!c || !holds(ctx.procRoot, pid, target)) continue;
    out.push(holder(ctx, pid, c));
    if (first) return out;
  }
  return out;
}

let own: number | undefined;

function ownNetns(procRoot: string): number {
  if (own !== undefined) return own;
  try {
    own = Number(/\[(\d+)\]/.exec(readlinkSync(`${procRoot}/self/ns/net`))?.[1] ?? 0);
  } catch {
    own = 0;
  }
  return own;
}
