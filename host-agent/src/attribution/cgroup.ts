// PID → container, from the process's cgroup paths (/proc/<pid>/cgroup). Each runtime names the
// cgroup of a container its own way, under both cgroup drivers:
//
//   kubepods, systemd driver:  /kubepods.slice/kubepods-burstable.slice/
//                                kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
//                              (cri-o: crio-<id>.scope; cri-dockerd: docker-<id>.scope)
//   kubepods, cgroupfs driver: /kubepods/burstable/pod<uid>/<id>   (guaranteed: /kubepods/pod<uid>/<id>)
//   docker:                    /system.slice/docker-<id>.scope  or  /docker/<id>
//   containerd (ctr/nerdctl):  /<namespace>/<id>  or  /system.slice/nerdctl-<id>.scope
//   podman:                    .../libpod-<id>.scope
//
// The container id is the 64-hex-digit id the runtime reports (crictl ps, docker ps --no-trunc).
// Nothing here reads the disk; parseProcCgroup takes the file's text.

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman' | 'unknown';
export type CgroupDriver = 'systemd' | 'cgroupfs';
export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';

export interface ContainerRef {
  /** The runtime's container id (64 hex digits). */
  id: string;
  runtime: ContainerRuntime;
  driver: CgroupDriver;
  /** The Kubernetes pod's UID when the path is under kubepods. */
  podUid?: string;
  qos?: QosClass;
  /** The cgroup path the id was found in. */
  cgroup: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SCOPE = /^(cri-containerd|crio|docker|libpod|nerdctl)-([0-9a-f]{64})\.scope$/;
const RUNTIME_OF_PREFIX: Record<string, ContainerRuntime> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  docker: 'docker',
  libpod: 'podman',
  nerdctl: 'containerd',
};
const POD_SLICE = /^kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]{36})\.slice$/;
const POD_DIR = /^pod([0-9a-f-]{36})$/;

/** The container a cgroup path belongs to, or undefined for a host process. */
export function containerFromPath(path: string): ContainerRef | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  // Search from the leaf: nested runtimes (kind, docker in docker) repeat the pattern and the
  // innermost one is the container the process is in.
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    const scope = SCOPE.exec(part);
    if (scope) {
      const pod = podOf(parts.slice(0, i));
      return { id: scope[2], runtime: pod && scope[1] === 'docker' ? 'docker' : RUNTIME_OF_PREFIX[scope[1]], driver: 'systemd', cgroup: path, ...pod };
    }
    // cri-o under cgroupfs: crio-<id> without .scope.
    const crio = /^crio-([0-9a-f]{64})$/.exec(part);
    if (crio) return { id: crio[1], runtime: 'cri-o', driver: 'cgroupfs', cgroup: path, ...podOf(parts.slice(0, i)) };
    if (HEX64.test(part)) {
      const parent = parts.slice(0, i);
      const pod = podOf(parent);
      let runtime: ContainerRuntime = 'unknown';
      if (parent[parent.length - 1] === 'docker') runtime = 'docker';
      else if (pod) runtime = 'unknown'; // kubepods cgroupfs: the path does not say which CRI
      else if (parent.length === 1) runtime = 'containerd'; // /<containerd namespace>/<id>
      return { id: part, runtime, driver: 'cgroupfs', cgroup: path, ...pod };
    }
  }
  return undefined;
}

function podOf(parents: string[]): { podUid: string; qos: QosClass } | undefined {
  if (!parents.some((p) => p === 'kubepods' || p.startsWith('kubepods'))) return undefined;
  for (let i = parents.length - 1; i >= 0; i--) {
    const slice = POD_SLICE.exec(parents[i]);
    if (slice) return { podUid: slice[2].replace(/_/g, '-'), qos: (slice[1] as QosClass | undefined) ?? 'guaranteed' };
    const dir = POD_DIR.exec(parents[i]);
    if (dir) {
      const q = parents[i - 1];
      return { podUid: dir[1], qos: q === 'burstable' || q === 'besteffort' ? q : 'guaranteed' };
    }
  }
  return undefined;
}

export interface CgroupLine {
  hierarchy: string;
  controllers: string;
  path: string;
}

export function parseCgroupLines(text: string): CgroupLine[] {
  const out: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    out.push({ hierarchy: line.slice(0, a), controllers: line.slice(a + 1, b), path: line.slice(b + 1) });
  }
  return out;
}

/** The container of a process from /proc/<pid>/cgroup: the unified (v2) line first, then
 * name=systemd, then any v1 controller; the first that names a container wins. */
export function parseProcCgroup(text: string): ContainerRef | undefined {
  const lines = parseCgroupLines(text);
  const rank = (l: CgroupLine): number => (l.hierarchy === '0' ? 0 : l.controllers === 'name=systemd' ? 1 : 2);
  lines.sort((x, y) => rank(x) - rank(y));
  for (const l of lines) {
    const ref = containerFromPath(l.path);
    if (ref) return ref;
  }
  return undefined;
}

/** The unified-hierarchy (v2) path of a process, if it has one. */
export function unifiedPath(text: string): string | undefined {
  return parseCgroupLines(text).find((l) => l.hierarchy === '0')?.path;
}
