// The typed face of native/ (meshward_native.node): what the addon exports, loaded once. Every
// caller goes through loadNative(), which never throws: without the addon (not built, another
// OS) or without root, it says why, and each monitor reports itself disabled with that reason.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Raw process events (native/src/proc-connector.cc). */
export const PROC_EVENT = { fork: 1, exec: 2, exit: 3, uid: 4, overrun: 5 } as const;

/** Raw process events, as proc-records.ts decodes them from the connector's rounds. */
export interface RawProcEvent {
  type: 1 | 2 | 3 | 4 | 5;
  pid: number;
  /** Kernel monotonic time of the event, in milliseconds. */
  ts: number;
  /** fork and exit: the parent. */
  ppid?: number;
  exitCode?: number;
  ruid?: number;
  /** uid events: the new effective uid; exec: the owner of /proc/<pid> (the effective uid). */
  euid?: number;
  /** exec: whether /proc still showed the new image when the reader looked. */
  enriched?: boolean;
  /** exec: the image as the agent sees it, from /proc or, when the process was gone, from the
   * fanotify exec notification (`exeFromExecEvent`). */
  exe?: string;
  /** exec: argv, NUL-separated, at most maxArgBytes; absent when the process was gone. */
  args?: string;
  argsTruncated?: boolean;
  cgroup?: string;
  exeFromExecEvent?: boolean;
  /** exec: the process had exited (or exec'd again) before /proc could be read. */
  gone?: boolean;
}

export interface ProcConnectorStats {
  messages: number;
  overruns: number;
  queueDropped: number;
  delivered: number;
  batches: number;
  enrichMissed: number;
  rounds: number;
  execPathEvents: number;
  execPathOverflows: number;
  /** Exec paths no exec claimed (an exec that failed after opening its file), or dropped past
   * `execPathsLimit` held at once. */
  execPathsStale: number;
  execPathsFilled: number;
}

export interface NativeProcConnector {
  close(): void;
  stats(): ProcConnectorStats;
  unref(): void;
  /** Exec notifications on a mount (add or remove): the paths of execs /proc no longer shows. */
  watchExecs(mountPath: string, add: boolean): void;
  /** No exec notification for this file (a dynamic loader). */
  ignoreExec(path: string): void;
  /** Set when exec paths were asked for and fanotify could not be opened. */
  readonly execPathsError?: string;
}

export interface RawFanEvent {
  mask: number;
  pid: number;
  overflow?: boolean;
  /** Permission events: the id to respond() with. */
  id?: number;
  path?: string;
  /** Permission events on open: /proc/<pid>/syscall while the process waits. */
  syscall?: string;
  cgroup?: string;
  /** /proc/<pid>/exe of the acting process when the event was read (exec permission events:
   * the image that asks to exec). */
  exe?: string;
}

export interface FanotifyStats {
  events: number;
  overflows: number;
  allowed: number;
  denied: number;
  timedOut: number;
  selfAllowed: number;
  pending: number;
  queueDropped: number;
}

export interface FanotifyMarkOptions {
  op?: 'add' | 'remove' | 'flush';
  kind?: 'inode' | 'mount' | 'filesystem';
  mask: number;
  onChild?: boolean;
  onlyDir?: boolean;
  /** Add `mask` to the inode's ignore mask instead (no such events for it). */
  ignore?: boolean;
}

export interface NativeFanotify {
  mark(path: string, options: FanotifyMarkOptions): void;
  respond(id: number, allow: boolean): boolean;
  close(): void;
  stats(): FanotifyStats;
  unref(): void;
}

export interface PacketRingStats {
  packets: number;
  bytes: number;
  kernelPackets: number;
  kernelDrops: number;
  ringFreezes: number;
  droppedBlocks: number;
  droppedPackets: number;
  queuedBytes: number;
}

export interface PacketRingOptions {
  interface: string;
  /** A network namespace file (/proc/<pid>/ns/net): the ring is opened from inside it. */
  netns?: string;
  filter?: BpfInstruction[];
  blockSize?: number;
  blockCount?: number;
  frameSize?: number;
  blockTimeoutMs?: number;
  queueBytes?: number;
}

export interface NativePacketRing {
  close(): void;
  stats(): PacketRingStats;
  unref(): void;
}

export interface RawQueuedPacket {
  id: number;
  hook: number;
  mark: number;
  payload: Buffer;
}

export interface NativeNfQueue {
  verdict(id: number, accept: boolean): void;
  close(): void;
  stats(): { packets: number; accepted: number; dropped: number; overruns: number; queueDropped: number };
  unref(): void;
}

export interface InetSocket {
  /** Kernel TCP state (1 ESTABLISHED, 2 SYN_SENT, 10 LISTEN, ...). */
  state: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  uid: number;
  inode: number;
}

/** One unix socket of a namespace (native/src/unix-diag.cc). The server end of a connection to
 * a listener on a path carries the listener's file (`vfsIno`, `vfsDev`) and lives in the
 * connecting socket's namespace; `peer` is the other end's inode. */
export interface UnixSocket {
  inode: number;
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. */
  type: number;
  /** TCP_ESTABLISHED 1, TCP_CLOSE 7, TCP_LISTEN 10 (the kernel's numbering). */
  state: number;
  peer?: number;
  /** The bound name: a path, or '@name' for an abstract one. */
  name?: string;
  vfsIno?: number;
  /** The device of the bound file (the kernel's encoding, as stat's st_dev). */
  vfsDev?: number;
}

/** Classic BPF instruction: [code, jt, jf, k]. */
export type BpfInstruction = [number, number, number, number];

export interface NativeAddon {
  abi: number;
  geteuid(): number;
  FAN: Record<'ACCESS' | 'MODIFY' | 'CLOSE_WRITE' | 'CLOSE_NOWRITE' | 'OPEN' | 'OPEN_EXEC' | 'OPEN_PERM' | 'ACCESS_PERM' | 'OPEN_EXEC_PERM' | 'ONDIR', number>;
  /** `onRound` gets each reader round as records (forEachProcRecord decodes them). */
  ProcConnector: new (
    options: { enrich?: boolean; maxArgBytes?: number; coalesceMs?: number; execPaths?: boolean; execPathsLimit?: number; queueLimit?: number; rcvbuf?: number },
    onRound: (records: Buffer) => void,
  ) => NativeProcConnector;
  Fanotify: new (
    options: { permissions?: boolean; queueLimit?: number; permTimeoutMs?: number },
    onBatch: (batch: RawFanEvent[]) => void,
  ) => NativeFanotify;
  PacketRing: new (
    options: PacketRingOptions,
    onBatch: (blocks: Buffer[]) => void,
  ) => NativePacketRing;
  NfQueue: new (
    options: { queue: number; netns?: string; copyBytes?: number; maxLen?: number },
    onBatch: (packets: RawQueuedPacket[]) => void,
  ) => NativeNfQueue;
  inetSockets(netns: string, options: { family: 4 | 6; protocol?: 'tcp' | 'udp'; states?: number }): InetSocket[];
  destroySocket(netns: string, socket: { family: 4 | 6; src: string; sport: number; dst: string; dport: number }): boolean;
  unixSockets(netns: string, options?: { states?: number }): UnixSocket[];
  /** Bind-mounts `source` on `target` inside the mount namespace `mntns` (a /proc/<pid>/ns/mnt)
   * with `root` (a /proc/<pid>/root) as root: both paths as that process sees them. */
  bindInMountNs(mntns: string, root: string, source: string, target: string): void;
  /** Detaches the topmost mount on `target` there. */
  unmountInMountNs(mntns: string, root: string, target: string): void;
  originalDst(fd: number): { address: string; port: number };
  /** A TCP socket made inside `netns` (empty: here), bound when an address is given; the caller
   * owns the fd (Node: net.Server listen({fd}) or new net.Socket({fd}).connect()). */
  tcpSocket(netns: string, family: 4 | 6, bindAddress?: string, bindPort?: number): number;
}

export type NativeLoad = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

/** The addon's path, beside the sources (native/build/Release), found from this file. */
export const NATIVE_PATH = fileURLToPath(new URL('../../../../native/build/Release/meshward_native.node', import.meta.url));

let cached: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  if (cached) return cached;
  if (process.platform !== 'linux') return (cached = { ok: false, reason: `the native addon is Linux-only (this is ${process.platform})` });
  if (!existsSync(NATIVE_PATH)) {
    return (cached = { ok: false, reason: `the native addon is not built (${NATIVE_PATH} is missing: run npm run build:native)` });
  }
  try {
    const addon = createRequire(import.meta.url)(NATIVE_PATH) as NativeAddon;
    return (cached = { ok: true, addon });
  } catch (err) {
    return (cached = { ok: false, reason: `the native addon does not load: ${(err as Error).message}` });
  }
}

/** The addon, and root: what the monitors need. The reason names what is missing. */
export function loadPrivilegedNative(): NativeLoad {
  const n = loadNative();
  if (!n.ok) return n;
  if (n.addon.geteuid() !== 0) return { ok: false, reason: 'the agent is not root (it needs CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_NET_RAW)' };
  return n;
}

/** Errors the addon throws carry a stable code and, for EPERM, the capability. */
export interface NativeError extends Error {
  code: 'NATIVE_PRIVILEGE' | 'NATIVE_SYSCALL' | 'NATIVE_UNSUPPORTED' | 'NATIVE_USAGE';
  errno?: number;
  capability?: string;
}
