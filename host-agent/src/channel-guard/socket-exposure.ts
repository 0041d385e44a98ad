// Where a node's unix socket (a runtime's, the kubelet's) is reachable inside a container. A
// container reaches a host socket by path only through a mount of the host's filesystem that
// holds it: the socket file itself bind-mounted (hostPath docker.sock) or a directory above it
// (hostPath /var/run). So: the socket's filesystem (device) and its path inside that filesystem,
// from the host's mount table; then each of the container's mounts of that device whose root is
// the socket or a directory above it gives a path inside the container, confirmed by stat
// through /proc/<pid>/root (same device and inode: not shadowed by a later mount).
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { RuntimeSocketTarget } from './channel-targets.js';

export interface MountEntry {
  mountPoint: string;
  /** The directory of the filesystem mounted there ('/' for a whole filesystem). */
  root: string;
  /** major:minor of the filesystem. */
  device: string;
  fstype: string;
  /** The mount is in a shared peer group: mounts made on it propagate to its peers. */
  shared: boolean;
}

/** /proc/<pid>/mountinfo: mount points relative to that process's root, in mount order. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0) continue;
    const shared = f.slice(6, dash).some((o) => o.startsWith('shared:'));
    out.push({ device: f[2], root: unescape(f[3]), mountPoint: unescape(f[4]), fstype: f[dash + 1] ?? '', shared });
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** major:minor of a stat device number (glibc's encoding). */
export function deviceName(dev: number): string {
  const major = (Math.floor(dev / 256) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff & 0xfffff);
  return `${major}:${minor}`;
}

/** A node socket found, and where it is inside its filesystem. */
export interface SocketIdentity {
  target: RuntimeSocketTarget;
  dev: number;
  ino: number;
  device: string;
  /** The socket's path inside its filesystem. */
  fsPath: string;
}

const MAX_LINKS = 40;

/** `path` with every symbolic link resolved as a process with root `root` sees it. */
export function resolveIn(root: string, path: string): string | undefined {
  let done = '';
  let todo = path.split('/').filter(Boolean);
  for (let links = 0; todo.length > 0; ) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done = posix.dirname(done || '/') === '/' ? '' : posix.dirname(done);
      continue;
    }
    const next = `${done}/${part}`;
    let st;
    try {
      st = lstatSync(root + next);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) {
      done = next;
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    const link = readlinkSync(root + next);
    todo = [...link.split('/').filter(Boolean), ...todo];
    if (link.startsWith('/')) done = '';
  }
  return done || '/';
}

/** How the host is seen: through pid 1 (`${procRoot}/1/root`, its mount table), or, when that
 * is closed to the agent (a sandbox that hides pid 1), through the agent's own root. */
export function hostView(procRoot: string): { root: string; mountinfo: string } {
  try {
    statSync(`${procRoot}/1/root/`);
    return { root: `${procRoot}/1/root`, mountinfo: `${procRoot}/1/mountinfo` };
  } catch {
    return { root: '', mountinfo: `${procRoot}/self/mountinfo` };
  }
}

/** The node socket of `target` as the host sees it; undefined when there is no socket there. */
export function hostSocket(view: { root: string; mountinfo: string }, target: RuntimeSocketTarget): SocketIdentity | undefined {
  const real = resolveIn(view.root, target.path);
  if (!real) return undefined;
  let st;
  try {
    st = statSync(view.root + real);
  } catch {
    return undefined;
  }
  if (!st.isSocket()) return undefined;
  const device = deviceName(st.dev);
  let mounts: MountEntry[];
  try {
    mounts = parseMountinfo(readFileSync(view.mountinfo, 'utf8'));
  } catch {
    return undefined;
  }
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!within(real, m.mountPoint)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  if (!best || best.device !== device) return undefined;
  return { target, dev: st.dev, ino: st.ino, device, fsPath: posix.join(best.root, real.slice(best.mountPoint === '/' ? 0 : best.mountPoint.length)) };
}

function within(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

export interface Exposure {
  socket: SocketIdentity;
  /** The socket's path inside the container. */
  containerPath: string;
  /** The container's mount that brings it: the socket itself, or a directory above it. */
  mountPoint: string;
  fileMount: boolean;
  /** That mount propagates (shared): a mask on it could reach the node's own socket. */
  shared: boolean;
}

/** Where each socket is reachable by path inside the container of `pid`. */
export function exposures(procRoot: string, pid: number, sockets: readonly SocketIdentity[]): Exposure[] {
  if (sockets.length === 0) return [];
  let mounts: MountEntry[];
  try {
    mounts = parseMountinfo(readFileSync(`${procRoot}/${pid}/mountinfo`, 'utf8'));
  } catch {
    return [];
  }
  const out: Exposure[] = [];
  const seen = new Set<string>();
  for (const s of sockets) {
    for (const m of mounts) {
      if (m.device !== s.device || !within(s.fsPath, m.root)) continue;
      const containerPath = posix.join(m.mountPoint, s.fsPath.slice(m.root === '/' ? 0 : m.root.length));
      if (seen.has(containerPath)) continue;
      try {
        const st = statSync(`${procRoot}/${pid}/root${containerPath}`);
        if (st.dev !== s.dev || st.ino !== s.ino) continue;
      } catch {
        continue;
      }
      seen.add(containerPath);
      out.push({ socket: s, containerPath, mountPoint: m.mountPoint, fileMount: m.root === s.fsPath, shared: m.shared });
    }
  }
  return out;
}

/** Whether the topmost mount on `path` in the container of `pid` is the guard's mask: a bind
 * of the container's /dev/null (character device 1:3). */
export function maskedAt(procRoot: string, pid: number, path: string): boolean {
  let mounts: MountEntry[];
  try {
    mounts = parseMountinfo(readFileSync(`${procRoot}/${pid}/mountinfo`, 'utf8'));
  } catch {
    return false;
  }
  if (!mounts.some((m) => m.mountPoint === path)) return false;
  try {
    const st = statSync(`${procRoot}/${pid}/root${path}`);
    return st.isCharacterDevice() && st.rdev === DEV_NULL;
  } catch {
    return false;
  }
}

/** makedev(1, 3). */
const DEV_NULL = 259;
