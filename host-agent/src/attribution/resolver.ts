// Container → pod → workload. The cgroup path gives the container id (and the pod UID under
// kubepods); who that is comes from, in order: the local inventory file, the container runtime
// (Docker's API: Kubernetes labels or the container's name), the kubelet's pod list; the
// workload of a pod from the control plane's AgentConfig (its pods per workload), else from the
// pod's owner (kubelet), else from the pod name with its ReplicaSet and pod hashes removed.
// Answers are cached per container id; lookups of one id in flight are shared.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ContainerRef } from './cgroup.js';

export interface WorkloadRef {
  namespace: string;
  name: string;
}

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

export interface Attribution {
  container: ContainerRef;
  pod?: PodRef;
  containerName?: string;
  workload?: WorkloadRef;
  /** Which source named the pod. */
  source: 'inventory' | 'docker' | 'kubelet' | 'none';
}

/** What one source knows of a container. */
export interface ContainerFacts {
  pod?: PodRef;
  containerName?: string;
  workload?: WorkloadRef;
}

export interface ContainerSource {
  readonly name: Attribution['source'];
  lookup(ref: ContainerRef): Promise<ContainerFacts | undefined>;
}

export class AttributionError extends Error {
  constructor(readonly code: 'INVENTORY_INVALID' | 'INVENTORY_READ', message: string) {
    super(message);
    this.name = 'AttributionError';
  }
}

// --- the local inventory ---

/**
 * The agent's local inventory, for nodes without a runtime API or kubelet to ask:
 *
 *   pods:
 *     - namespace: shop
 *       name: orders-7d9f-x2k4q
 *       uid: 0b6c...            # the pod UID (kubepods cgroup paths carry it)
 *       workload: orders        # optional: else from the AgentConfig or the pod name
 *       containers:             # optional: by runtime container id
 *         - {name: app, id: 4f1e...}
 */
export interface InventoryPod {
  namespace: string;
  name: string;
  uid?: string;
  workload?: string;
  /** The workload's labels, for policy selectors (local compilation only). */
  labels?: Record<string, string>;
  containers?: Array<{ name: string; id: string }>;
}

export function parseAgentInventory(text: string, file = '<inventory>'): InventoryPod[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AttributionError('INVENTORY_INVALID', `${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const str = (v: unknown, path: string, optional = false): string | undefined => {
    if (v === undefined && optional) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    problems.push(`${path}: expected a non-empty string, found ${JSON.stringify(v)}`);
    return undefined;
  };
  const pods: InventoryPod[] = [];
  const list = isObj(doc) ? doc.pods : undefined;
  if (!Array.isArray(list)) {
    throw new AttributionError('INVENTORY_INVALID', `${file}: pods: expected a list`);
  }
  list.forEach((p, i) => {
    const at = `${file}: pods[${i}]`;
    if (!isObj(p)) return void problems.push(`${at}: expected a mapping`);
    for (const k of Object.keys(p)) if (!['namespace', 'name', 'uid', 'workload', 'labels', 'containers'].includes(k)) problems.push(`${at}.${k}: unknown field`);
    const pod: InventoryPod = { namespace: str(p.namespace, `${at}.namespace`) ?? '', name: str(p.name, `${at}.name`) ?? '' };
    const uid = str(p.uid, `${at}.uid`, true);
    if (uid) pod.uid = uid;
    const workload = str(p.workload, `${at}.workload`, true);
    if (workload) pod.workload = workload;
    if (p.labels !== undefined) {
      if (!isObj(p.labels) || Object.values(p.labels).some((v) => typeof v !== 'string')) problems.push(`${at}.labels: expected a mapping of strings`);
      else pod.labels = p.labels as Record<string, string>;
    }
    if (p.containers !== undefined) {
      if (!Array.isArray(p.containers)) problems.push(`${at}.containers: expected a list`);
      else {
        pod.containers = [];
        p.containers.forEach((c, j) => {
          const cat = `${at}.containers[${j}]`;
          if (!isObj(c)) return void problems.push(`${cat}: expected a mapping`);
          const name = str(c.name, `${cat}.name`);
          const id = str(c.id, `${cat}.id`);
          if (id && !/^[0-9a-f]{64}$/.test(id)) problems.push(`${cat}.id: expected 64 hex digits, found ${JSON.stringify(id)}`);
          if (name && id) pod.containers!.push({ name, id });
        });
      }
    }
    pods.push(pod);
  });
  if (problems.length > 0) throw new AttributionError('INVENTORY_INVALID', `inventory is invalid:\n  ${problems.join('\n  ')}`);
  return pods;
}

export class InventorySource implements ContainerSource {
  readonly name = 'inventory' as const;
  private byContainer = new Map<string, { pod: InventoryPod; container: string }>();
  private byUid = new Map<string, InventoryPod>();

  constructor(pods: InventoryPod[] = []) {
    this.replace(pods);
  }

  static fromFile(path: string): InventorySource {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new AttributionError('INVENTORY_READ', `cannot read the inventory ${path}: ${(err as Error).message}`);
    }
    return new InventorySource(parseAgentInventory(text, path));
  }

  replace(pods: InventoryPod[]): void {
    this.byContainer = new Map();
    this.byUid = new Map();
    for (const pod of pods) {
      if (pod.uid) this.byUid.set(pod.uid, pod);
      for (const c of pod.containers ?? []) this.byContainer.set(c.id, { pod, container: c.name });
    }
  }

  async lookup(ref: ContainerRef): Promise<ContainerFacts | undefined> {
    return this.lookupSync(ref);
  }

  lookupSync(ref: ContainerRef): ContainerFacts | undefined {
    const hit = this.byContainer.get(ref.id);
    const pod = hit?.pod ?? (ref.podUid ? this.byUid.get(ref.podUid) : undefined);
    if (!pod) return undefined;
    return {
      pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
      containerName: hit?.container,
      workload: pod.workload ? { namespace: pod.namespace, name: pod.workload } : undefined,
    };
  }
}

// --- Docker's API ---

function getJson(options: http.RequestOptions & { tls?: boolean; ca?: Buffer; token?: string }, timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const mod = options.tls ? https : http;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const req = mod.request({ ...options, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 404) return resolve(undefined);
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Docker Engine API over its unix socket: Kubernetes labels (cri-dockerd sets them), else the
 * container's name (`docker run --name`), as a pod of namespace `docker`. */
export class DockerSource implements ContainerSource {
  readonly name = 'docker' as const;
  constructor(private readonly socketPath = '/var/run/docker.sock') {}

  async lookup(ref: ContainerRef): Promise<ContainerFacts | undefined> {
    let info: unknown;
    try {
      info = await getJson({ socketPath: this.socketPath, path: `/containers/${ref.id}/json`, method: 'GET' });
    } catch {
      return undefined;
    }
    const c = info as { Name?: string; Config?: { Labels?: Record<string, string> | null } } | undefined;
    if (!c) return undefined;
    const labels = c.Config?.Labels ?? {};
    const podName = labels['io.kubernetes.pod.name'];
    const podNs = labels['io.kubernetes.pod.namespace'];
    if (podName && podNs) {
      return { pod: { namespace: podNs, name: podName, uid: labels['io.kubernetes.pod.uid'] }, containerName: labels['io.kubernetes.container.name'] };
    }
    const name = (c.Name ?? '').replace(/^\//, '');
    const workload = labels['com.docker.compose.service'] ?? labels['app'] ?? name;
    return { pod: { namespace: 'docker', name }, containerName: name, workload: { namespace: 'docker', name: workload } };
  }
}

// --- the kubelet ---

interface KubeletPod {
  metadata: { name: string; namespace: string; uid: string; ownerReferences?: Array<{ kind: string; name: string }> };
  status?: { containerStatuses?: Array<{ name: string; containerID?: string }>; initContainerStatuses?: Array<{ name: string; containerID?: string }> };
}

/** The kubelet's /pods (https://127.0.0.1:10250 with the agent's service-account token, or the
 * read-only port). The list is fetched again when a container is not in it, at most once per
 * `minRefreshMs`. */
export class KubeletSource implements ContainerSource {
  readonly name = 'kubelet' as const;
  private pods: KubeletPod[] = [];
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(private readonly options: { url: string; token?: string; ca?: Buffer; minRefreshMs?: number }) {}

  async lookup(ref: ContainerRef): Promise<ContainerFacts | undefined> {
    let hit = this.find(ref);
    if (!hit && Date.now() - this.fetchedAt > (this.options.minRefreshMs ?? 2000)) {
      await this.refresh();
      hit = this.find(ref);
    }
    return hit;
  }

  private find(ref: ContainerRef): ContainerFacts | undefined {
    for (const p of this.pods) {
      const statuses = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])];
      const c = statuses.find((s) => s.containerID?.endsWith(`://${ref.id}`));
      if (c || (ref.podUid && p.metadata.uid === ref.podUid)) {
        return {
          pod: { namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
          containerName: c?.name,
          workload: { namespace: p.metadata.namespace, name: ownerWorkload(p) },
        };
      }
    }
    return undefined;
  }

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const u = new URL('/pods', this.options.url);
        const list = (await getJson({
          tls: u.protocol === 'https:',
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'GET',
          ca: this.options.ca,
          token: this.options.token,
          rejectUnauthorized: this.options.ca !== undefined,
        } as http.RequestOptions & { tls: boolean })) as { items?: KubeletPod[] } | undefined;
        this.pods = list?.items ?? [];
      } catch {
        // Unreachable kubelet: keep the last list; the next miss tries again.
      } finally {
        this.fetchedAt = Date.now();
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

function ownerWorkload(p: KubeletPod): string {
  const owner = p.metadata.ownerReferences?.[0];
  if (!owner) return p.metadata.name;
  // A ReplicaSet is named <deployment>-<pod-template-hash>.
  if (owner.kind === 'ReplicaSet') return owner.name.replace(/-[a-z0-9]{5,10}$/, '');
  return owner.name;
}

/** `orders-7d9f8c6b5-x2k4q` → `orders`; `db-0` → `db`. A guess, used last. */
export function workloadFromPodName(pod: string): string {
  const rs = /^(.*)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(pod);
  if (rs) return rs[1];
  const ds = /^(.*)-[a-z0-9]{5}$/.exec(pod);
  if (ds) return ds[1];
  const sts = /^(.*)-\d+$/.exec(pod);
  if (sts) return sts[1];
  return pod;
}

// --- the chain ---

export interface ResolverStats {
  lookups: number;
  cached: number;
  unresolved: number;
  /** Containers held in the cache (bounded by maxEntries; the oldest leave first). */
  entries: number;
  evicted: number;
}

export class ContainerResolver {
  private readonly cache = new Map<string, Attribution>();
  private readonly inflight = new Map<string, Promise<Attribution>>();
  private readonly stats_: Omit<ResolverStats, 'entries'> = { lookups: 0, cached: 0, unresolved: 0, evicted: 0 };

  /**
   * @param sources asked in order; the first that names the pod wins.
   * @param podWorkload the pod → workload map the control plane sent (AgentConfig), if any.
   */
  constructor(
    private readonly sources: ContainerSource[],
    private podWorkload: (namespace: string, pod: string) => string | undefined = () => undefined,
    private readonly maxEntries = 4096,
  ) {}

  setPodWorkload(fn: (namespace: string, pod: string) => string | undefined): void {
    this.podWorkload = fn;
    // Workload names may change with a new AgentConfig; pods do not.
    for (const a of this.cache.values()) if (a.pod) a.workload = this.workloadOf(a.pod, a.workload);
  }

  /** The cached answer, if any (no lookup). */
  peek(id: string): Attribution | undefined {
    return this.cache.get(id);
  }

  resolve(ref: ContainerRef): Promise<Attribution> {
    const hit = this.cache.get(ref.id);
    if (hit) {
      this.stats_.cached++;
      return Promise.resolve(hit);
    }
    let p = this.inflight.get(ref.id);
    if (!p) {
      p = this.lookup(ref).finally(() => this.inflight.delete(ref.id));
      this.inflight.set(ref.id, p);
    }
    return p;
  }

  /** Forget a container (it stopped). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  stats(): ResolverStats {
    return { ...this.stats_, entries: this.cache.size };
  }

  private async lookup(ref: ContainerRef): Promise<Attribution> {
    this.stats_.lookups++;
    let result: Attribution = { container: ref, source: 'none' };
    for (const s of this.sources) {
      const facts = await s.lookup(ref);
      if (facts?.pod) {
        result = { container: ref, pod: facts.pod, containerName: facts.containerName, workload: this.workloadOf(facts.pod, facts.workload), source: s.name };
        break;
      }
    }
    if (result.source === 'none') this.stats_.unresolved++;
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) {
        this.cache.delete(oldest);
        this.stats_.evicted++;
      }
    }
    this.cache.set(ref.id, result);
    return result;
  }

  private workloadOf(pod: PodRef, known: WorkloadRef | undefined): WorkloadRef {
    const fromConfig = this.podWorkload(pod.namespace, pod.name);
    if (fromConfig) return { namespace: pod.namespace, name: fromConfig };
    return known ?? { namespace: pod.namespace, name: workloadFromPodName(pod.name) };
  }
}
