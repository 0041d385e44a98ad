// "Pods" built for real, for the host agent's tests: each is a network namespace, a cgroup
// named as a kubelet names a container's (kubepods layout, systemd or cgroupfs driver), and a
// root filesystem of its own (an overlay of the host's root, writes going to a tmpfs, as a
// container image would), so processes in it are attributed, confined and watched as in a
// cluster. Two pods are joined by a veth pair (10.231.<n>.1 and .2). Processes start through
// the pod's own /bin/sh, which moves itself into the pod's cgroup before it execs the command,
// as runc does: nothing the launcher runs counts as the pod's.
// Everything made is recorded and removed by destroy(), also after a failure half-way.
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function podSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'pods need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'pods need root (network namespaces, cgroups, mounts)' };
  if (!cgroupV2Root()) return { ok: false, reason: 'no cgroup v2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)' };
  return { ok: true };
}

/** Where the unified (v2) hierarchy is mounted: the root on v2 machines, `unified` on hybrid. */
export function cgroupV2Root(): string | undefined {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  if (existsSync('/sys/fs/cgroup/unified/cgroup.procs')) return '/sys/fs/cgroup/unified';
  return undefined;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface PodOptions {
  /** Pod name (also the network namespace's, prefixed). */
  name: string;
  namespace?: string;
  /** Cgroup driver naming: systemd (kubepods.slice/...scope) or cgroupfs (kubepods/...). */
  driver?: 'systemd' | 'cgroupfs';
}

export class Pod {
  readonly uid = randomUUID();
  readonly containerId = randomBytes(32).toString('hex');
  readonly nsName: string;
  readonly netns: string;
  readonly cgroupPath: string;
  readonly cgroupDir: string;
  readonly base: string;
  readonly root: string;
  ip = '';
  /** Set by podPairIPv6. */
  ip6 = '';
  private readonly children = new Set<ChildProcess>();
  private readonly undo: Array<() => void> = [];

  constructor(readonly options: PodOptions) {
    const id = randomBytes(3).toString('hex');
    this.nsName = `mw-${options.name}-${id}`;
    this.netns = `/run/netns/${this.nsName}`;
    const v2 = cgroupV2Root()!;
    const uidU = this.uid.replace(/-/g, '_');
    this.cgroupPath =
      (options.driver ?? 'systemd') === 'systemd'
        ? `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidU}.slice/cri-containerd-${this.containerId}.scope`
        : `/kubepods/besteffort/pod${this.uid}/${this.containerId}`;
    this.cgroupDir = v2 + this.cgroupPath;
    this.base = `/run/meshward-test/${this.nsName}`;
    this.root = join(this.base, 'root');
  }

  get namespace(): string {
    return this.options.namespace ?? 'shop';
  }

  get name(): string {
    return this.options.name;
  }

  /** Creates the namespace, cgroup and root filesystem. */
  create(): this {
    sweepStale();
    try {
      run('ip', ['netns', 'add', this.nsName]);
      this.undo.push(() => run('ip', ['netns', 'del', this.nsName]));
      run('ip', ['-n', this.nsName, 'link', 'set', 'lo', 'up']);
      mkdirSync(this.cgroupDir, { recursive: true });
      this.undo.push(() => this.removeCgroup());
      for (const d of ['upper', 'work', 'root']) mkdirSync(join(this.base, d), { recursive: true });
      this.undo.push(() => rmSync(this.base, { recursive: true, force: true }));
      // What a later run needs to clean up if this process dies before destroy().
      writeFileSync(join(this.base, 'owner.json'), JSON.stringify({ pid: process.pid, nsName: this.nsName, cgroupPath: this.cgroupPath }));
      run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${this.base}/upper,workdir=${this.base}/work`, this.root]);
      this.undo.push(() => run('umount', ['-l', this.root]));
      run('mount', ['--bind', '/dev', `${this.root}/dev`]);
      this.undo.push(() => run('umount', ['-l', `${this.root}/dev`]));
      run('mount', ['-t', 'proc', 'proc', `${this.root}/proc`]);
      this.undo.push(() => run('umount', ['-l', `${this.root}/proc`]));
      // The launcher writes itself into the cgroup from inside the root.
      mkdirSync(`${this.root}/.mwcg`, { recursive: true });
      run('mount', ['--bind', this.cgroupDir, `${this.root}/.mwcg`]);
      this.undo.push(() => run('umount', ['-l', `${this.root}/.mwcg`]));
    } catch (err) {
      this.destroy();
      throw err;
    }
    return this;
  }

  /** Starts `cmd` inside the pod (netns, cgroup, root). */
  spawn(cmd: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(
      'nsenter',
      [`--net=${this.netns}`, '--', 'chroot', this.root, '/bin/sh', '-c', 'echo $$ > /.mwcg/cgroup.procs && exec "$@"', 'sh', cmd, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], ...options },
    );
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs `cmd` in the pod to its end. */
  exec(cmd: string, args: string[] = [], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = this.spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      if (input !== undefined) child.stdin?.end(input);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** The pid of a running process started by spawn (the pod's own, after the launcher's exec). */
  writeFile(path: string, content: string): void {
    writeFileSync(join(this.root, path), content);
  }

  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.killCgroup();
    for (const u of this.undo.reverse()) {
      try {
        u();
      } catch {
        // best effort: the next steps still run
      }
    }
    this.undo.length = 0;
  }

  private killCgroup(): void {
    try {
      writeFileSync(`${this.cgroupDir}/cgroup.kill`, '1');
    } catch {
      // older kernels have no cgroup.kill; the children were killed above
    }
  }

  private removeCgroup(): void {
    // Remove the leaf and the empty parents this pod created (not shared kubepods levels).
    const v2 = cgroupV2Root()!;
    const parts = this.cgroupPath.split('/').filter(Boolean);
    for (let i = parts.length; i > 0; i--) {
      const dir = v2 + '/' + parts.slice(0, i).join('/');
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          if (existsSync(dir)) rmdirSync(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOTEMPTY' && i < parts.length) return; // shared with another pod
          if (code !== 'EBUSY') return;
          execFileSync('sleep', ['0.02']); // the last process is being reaped
        }
      }
    }
  }
}

let swept = false;

/** Removes what pods of a process that died without destroy() left behind (mounts, namespace,
 * cgroup), once per process. */
export function sweepStale(): void {
  if (swept) return;
  swept = true;
  let dirs: string[];
  try {
    dirs = readdirSync('/run/meshward-test');
  } catch {
    return;
  }
  for (const d of dirs) {
    const base = `/run/meshward-test/${d}`;
    let owner: { pid: number; nsName: string; cgroupPath: string };
    try {
      owner = JSON.parse(readFileSync(`${base}/owner.json`, 'utf8')) as typeof owner;
    } catch {
      continue;
    }
    try {
      process.kill(owner.pid, 0);
      continue; // alive: its own
    } catch {
      // dead: ours to clean
    }
    const root = `${base}/root`;
    for (const m of [`${root}/.mwcg`, `${root}/proc`, `${root}/dev`, root]) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', owner.nsName], { stdio: 'ignore' });
    const v2 = cgroupV2Root();
    if (v2) {
      try {
        writeFileSync(`${v2}${owner.cgroupPath}/cgroup.kill`, '1');
      } catch {
        // gone
      }
      const parts = owner.cgroupPath.split('/').filter(Boolean);
      for (let i = parts.length; i > 0; i--) {
        try {
          rmdirSync(`${v2}/${parts.slice(0, i).join('/')}`);
        } catch {
          break;
        }
      }
    }
    rmSync(base, { recursive: true, force: true });
  }
}

/** Two pods joined by a veth pair: a at 10.231.<n>.1, b at .2, both eth0. */
export function podPair(a: Pod, b: Pod): { subnet: string } {
  const n = 1 + (randomBytes(1)[0] % 200);
  const ha = `mwv${randomBytes(3).toString('hex')}`;
  const hb = `mwv${randomBytes(3).toString('hex')}`;
  run('ip', ['link', 'add', ha, 'type', 'veth', 'peer', 'name', hb]);
  try {
    run('ip', ['link', 'set', ha, 'netns', a.nsName]);
    run('ip', ['link', 'set', hb, 'netns', b.nsName]);
  } catch (err) {
    try {
      run('ip', ['link', 'del', ha]);
    } catch {
      // already moved
    }
    throw err;
  }
  for (const [pod, dev, host] of [[a, ha, 1], [b, hb, 2]] as const) {
    run('ip', ['-n', pod.nsName, 'link', 'set', dev, 'name', 'eth0']);
    run('ip', ['-n', pod.nsName, 'addr', 'add', `10.231.${n}.${host}/24`, 'dev', 'eth0']);
    run('ip', ['-n', pod.nsName, 'link', 'set', 'eth0', 'up']);
    pod.ip = `10.231.${n}.${host}`;
  }
  return { subnet: `10.231.${n}.0/24` };
}

/** IPv6 on the eth0 of a pair podPair made: a at fd00:231:<n>::1, b at ::2 (no duplicate
 * address detection: usable at once). */
export function podPairIPv6(a: Pod, b: Pod): { subnet: string } {
  const n = (1 + (randomBytes(2).readUInt16BE(0) % 0xfffe)).toString(16);
  for (const [pod, host] of [[a, 1], [b, 2]] as const) {
    run('ip', ['netns', 'exec', pod.nsName, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=0']);
    run('ip', ['-n', pod.nsName, 'addr', 'add', `fd00:231:${n}::${host}/64`, 'dev', 'eth0', 'nodad']);
    pod.ip6 = `fd00:231:${n}::${host}`;
  }
  return { subnet: `fd00:231:${n}::/64` };
}

/** The local inventory entries naming these pods (the agent's --inventory format). */
export function inventoryOf(pods: Pod[], workloadOf: (p: Pod) => string): string {
  const lines = ['pods:'];
  for (const p of pods) {
    lines.push(`  - namespace: ${p.namespace}`, `    name: ${p.name}`, `    uid: ${p.uid}`, `    workload: ${workloadOf(p)}`, `    containers:`, `      - {name: app, id: ${p.containerId}}`);
  }
  return lines.join('\n') + '\n';
}
