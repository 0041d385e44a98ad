// PolicyDistributor: (policies, workload inventory) → a snapshot per workload (its ECDS filter
// configurations) and per node (its host agent's AgentConfig), compiled per workload and
// published to the cache, debounced so a burst of policy edits compiles once. All or nothing:
// if any workload fails to compile, or any snapshot fails its check, nothing is published and
// the previous snapshots stay.
import { PolicyCompiler, type CompileResult } from '../compile/compile.js';
import { compileAgent } from '../compile/compile-agent.js';
import type { CompileOptions } from '../compile/options.js';
import type { SecurityPolicy } from '../policy/types.js';
import type { SnapshotCache } from './cache.js';
import { Debouncer, type DebounceOptions } from './debounce.js';
import { XdsError } from './errors.js';
import { identityMapFromInventory, workloadId, type WorkloadEntry } from './inventory.js';
import { agentKey, meshwardNodeKey, workloadKey } from './node-key.js';
import type { NodeInfo } from './node.js';
import { agentResource, type AgentWorkload } from './resources-agent.js';
import { ecdsResources, GENERIC_ECDS_NAMES, type WasmFilterOptions } from './resources-ecds.js';
import { Snapshot } from './snapshot.js';

export interface PolicyDistributorOptions {
  cache: SnapshotCache;
  /** How the ECDS resources load the filter (code, fail_open...). */
  wasm: WasmFilterOptions;
  /** Compile options, the same for every workload or per workload. */
  compileOptions?: CompileOptions | ((workload: WorkloadEntry) => CompileOptions);
  /** Debounce of update() (default {quietMs: 100, maxMs: 1000}). */
  debounce?: DebounceOptions;
  /** Called after each debounced publish. */
  onPublish?(result: PublishResult): void;
  /** Called when a debounced publish fails (nothing was published). */
  onError?(error: Error): void;
}

export interface PublishResult {
  workloads: number;
  agents: number;
  /** Snapshot keys whose content changed, and keys removed (workloads and nodes now gone). */
  changed: string[];
  removed: string[];
  durationMs: number;
}

export interface DistributorStats {
  publishes: number;
  failures: number;
  /** update() calls folded into a later publish by the debounce. */
  coalesced: number;
  lastPublish: PublishResult | undefined;
  lastError: string | undefined;
}

export class PolicyDistributor {
  private policies: readonly SecurityPolicy[] = [];
  private inventory: readonly WorkloadEntry[] = [];
  private podIndex = new Map<string, string>();
  private published = new Set<string>();
  private readonly debouncer: Debouncer;
  private readonly counters = { publishes: 0, failures: 0 };
  private lastPublish: PublishResult | undefined;
  private lastError: string | undefined;
  /** node → snapshot key with the current inventory's pods (XdsServerOptions.nodeKey). */
  readonly nodeKey: (node: NodeInfo) => string;

  constructor(private readonly options: PolicyDistributorOptions) {
    this.debouncer = new Debouncer(() => this.publishDebounced(), options.debounce ?? { quietMs: 100, maxMs: 1000 });
    this.nodeKey = meshwardNodeKey({ podWorkload: (ns, pod) => this.podIndex.get(`${ns}/${pod}`) });
  }

  /** New policies and/or inventory; published after the debounce. */
  update(input: { policies?: readonly SecurityPolicy[]; inventory?: readonly WorkloadEntry[] }): void {
    if (input.policies) this.policies = input.policies;
    if (input.inventory) this.setInventory(input.inventory);
    this.debouncer.trigger();
  }

  /** Compiles and publishes now. Throws (and publishes nothing) when a workload does not
   * compile or a snapshot is inconsistent. */
  publish(): PublishResult {
    this.debouncer.cancel();
    const started = performance.now();
    const snapshots = this.build();
    const changed = this.options.cache.setSnapshots(snapshots); // all or nothing
    const removed = [...this.published].filter((k) => !snapshots.has(k));
    for (const key of removed) this.options.cache.clearSnapshot(key);
    this.published = new Set(snapshots.keys());
    const result: PublishResult = {
      workloads: this.inventory.length,
      agents: [...snapshots.keys()].filter((k) => k.startsWith('agent/')).length,
      changed,
      removed,
      durationMs: performance.now() - started,
    };
    this.counters.publishes++;
    this.lastPublish = result;
    this.lastError = undefined;
    return result;
  }

  /** Publishes now if an update is pending. */
  flush(): void {
    this.debouncer.flush();
  }

  close(): void {
    this.debouncer.cancel();
  }

  /** `<ns>/<service account>` → workloads, for identityAuthorizer (authorize.ts). */
  identityMap(): Map<string, Set<string>> {
    return identityMapFromInventory(this.inventory);
  }

  stats(): DistributorStats {
    return { ...this.counters, coalesced: this.debouncer.coalesced, lastPublish: this.lastPublish, lastError: this.lastError };
  }

  private setInventory(inventory: readonly WorkloadEntry[]): void {
    const seen = new Set<string>();
    const podIndex = new Map<string, string>();
    for (const w of inventory) {
      const id = workloadId(w);
      if (seen.has(id)) throw new XdsError('XDS_OPTIONS_INVALID', `inventory: workload ${id} is listed twice`);
      seen.add(id);
      for (const pod of w.pods ?? []) podIndex.set(`${w.namespace}/${pod.name}`, w.name);
    }
    this.inventory = inventory;
    this.podIndex = podIndex;
  }

  private build(): Map<string, Snapshot> {
    const snapshots = new Map<string, Snapshot>();
    const byNode = new Map<string, AgentWorkload[]>();
    const failures: string[] = [];
    // Workloads selecting the same policies share all but their names: compiled once per selection.
    const compiler = new PolicyCompiler(this.policies);
    for (const w of this.inventory) {
      let compiled: CompileResult;
      try {
        const options = typeof this.options.compileOptions === 'function' ? this.options.compileOptions(w) : this.options.compileOptions;
        compiled = compiler.compile({ namespace: w.namespace, name: w.name, labels: w.labels }, options);
      } catch (err) {
        failures.push(`${workloadId(w)}: ${(err as Error).message}`);
        continue;
      }
      // Under its own names (meshward proxy --xds) and the generic ones (one mesh-wide EnvoyFilter).
      const resources = [...ecdsResources(w, compiled.json, this.options.wasm), ...ecdsResources(w, compiled.json, this.options.wasm, GENERIC_ECDS_NAMES)];
      snapshots.set(workloadKey(w.namespace, w.name), Snapshot.from(resources));
      const nodes = new Map<string, string[]>();
      for (const pod of w.pods ?? []) {
        if (!pod.node) continue;
        const list = nodes.get(pod.node) ?? [];
        list.push(pod.name);
        nodes.set(pod.node, list);
      }
      // The host agent's own part, only for workloads some node runs.
      const agent = nodes.size > 0 ? compileAgent(this.policies, { namespace: w.namespace, name: w.name, labels: w.labels }, typeof this.options.compileOptions === 'function' ? this.options.compileOptions(w) : this.options.compileOptions) : undefined;
      for (const [node, pods] of nodes) {
        const list = byNode.get(node) ?? [];
        list.push({ namespace: w.namespace, name: w.name, labels: w.labels, serviceAccount: w.serviceAccount, pods, configuration: compiled.json, version: compiled.version, agentConfiguration: agent?.json, agentVersion: agent?.version });
        byNode.set(node, list);
      }
    }
    if (failures.length > 0) throw new XdsError('XDS_COMPILE_FAILED', `nothing published: ${failures.join('; ')}`, failures);
    for (const [node, workloads] of byNode) snapshots.set(agentKey(node), Snapshot.from([agentResource(node, workloads)]));
    return snapshots;
  }

  private publishDebounced(): void {
    try {
      const result = this.publish();
      this.options.onPublish?.(result);
    } catch (err) {
      this.counters.failures++;
      this.lastError = (err as Error).message;
      this.options.onError?.(err as Error);
    }
  }
}
