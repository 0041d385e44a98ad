// Shared by the agent's end-to-end suites: pods, an agent over them, policies compiled the way
// the control plane compiles them, and a skip reason when the machine cannot do it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, compileAgent, loadPolicies } from '../../control-plane/src/index.js';
import { Agent, type AgentOptions } from '../../host-agent/src/agent.js';
import { MemorySink } from '../../host-agent/src/events/event-sink.js';
import { loadPrivilegedNative } from '../../host-agent/src/native/native.js';
import { inventoryOf, Pod, podPair, podSupport, type PodOptions } from '../support/pods.js';

export function skipReason(): string | undefined {
  const pods = podSupport();
  if (!pods.ok) return pods.reason;
  const n = loadPrivilegedNative();
  if (!n.ok) return n.reason;
  return undefined;
}

/** Why a suite that runs these system tools cannot run here (npm test's pretest installs them). */
export function toolsMissing(...bins: string[]): string | undefined {
  const missing = bins.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  return missing.length ? `missing ${missing.join(', ')} (node scripts/host-deps.mjs installs them)` : undefined;
}

export interface TestAgent {
  agent: Agent;
  sink: MemorySink;
  dir: string;
  /** Compiles policy YAML for the pods' workloads and applies it, as an AgentConfig would. */
  applyPolicy(yaml: string): void;
  stop(): Promise<void>;
}

/** A policy for the shop workload `workload` in `mode` with its processes in discover (the
 * suite's own commands run, learned), followed by `more`: further `spec` lines. */
export function workloadPolicy(workload: string, mode: 'monitor' | 'protect', more = ''): string {
  return `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${workload}, namespace: shop}
spec:
  selector: {workloads: [${workload}]}
  mode: ${mode}
  processes: {mode: discover}
${more}`;
}

/** The workload a test pod belongs to: its name without the replica number (orders-1: orders). */
export const workloadOfPod = (p: Pod): string => p.name.replace(/-\d+$/, '');

export async function startAgent(pods: Pod[], options: Partial<AgentOptions> = {}): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-agent-'));
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, inventoryOf(pods, workloadOfPod));
  const sink = new MemorySink();
  const agent = new Agent({ sink, inventory, dockerSocket: false, ...options });
  await agent.start();
  const applyPolicy = (yaml: string): void => {
    const policies = loadPolicies(yaml, 'policy.yaml');
    const seen = new Set<string>();
    const inputs = [];
    for (const p of pods) {
      const w = { namespace: p.namespace, name: workloadOfPod(p), labels: { app: workloadOfPod(p) } };
      const key = `${w.namespace}/${w.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inputs.push({
        namespace: w.namespace,
        name: w.name,
        pods: pods.filter((q) => workloadOfPod(q) === w.name).map((q) => q.name),
        filterConfiguration: compile(policies, w).json,
        agentConfiguration: compileAgent(policies, w).json,
      });
    }
    agent.store.replace(inputs);
  };
  return {
    agent,
    sink,
    dir,
    applyPolicy,
    async stop() {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The pods of a suite and the agent over them: made in before(), undone by close() in after()
 * however far before() got (the agent stopped, then every pod destroyed).
 */
export class AgentPods {
  readonly pods: Pod[] = [];
  private started: TestAgent | undefined;

  /** A new pod: network namespace, cgroup, root filesystem. */
  pod(options: PodOptions): Pod {
    const p = new Pod(options).create();
    this.pods.push(p);
    return p;
  }

  /** Two new pods joined by a veth pair (podPair). */
  pair(a: PodOptions, b: PodOptions): [Pod, Pod] {
    const pods: [Pod, Pod] = [this.pod(a), this.pod(b)];
    podPair(...pods);
    return pods;
  }

  /** The agent over the pods made so far (startAgent). */
  async startAgent(options: Partial<AgentOptions> = {}): Promise<TestAgent> {
    this.started = await startAgent(this.pods, options);
    return this.started;
  }

  /**
   * Starts a long sleep in each of `idle` (a process for the agent to attribute; the other pods
   * run one of their own by now), then waits until `agent` has attributed every pod's container.
   */
  async ready(idle: Pod[], agent: Agent | undefined = this.started?.agent): Promise<void> {
    if (!agent) throw new Error('ready() before the agent started');
    for (const p of idle) p.spawn('/usr/bin/sleep', ['600']);
    for (const p of this.pods) await agent.containerReady(p.containerId);
  }

  async close(): Promise<void> {
    try {
      await this.started?.stop();
    } finally {
      for (const p of this.pods) p.destroy();
    }
  }
}
