// The exec storm: short processes started as fast as the machine can, in parallel loops inside
// a pod, counted by the loops themselves (each iteration is one fork and exec of /usr/bin/true),
// against what the agent saw for that container. Shared by the test and `npm run bench`.
import type { Agent } from '../../host-agent/src/agent.js';
import type { Pod } from '../support/pods.js';
import { waitUntil } from '../support/wait.js';

export interface StormResult {
  loops: number;
  execsPerLoop: number;
  /** Execs the loops made (their own count), and what the agent counted for the container. */
  started: number;
  seen: number;
  lost: number;
  seconds: number;
  execsPerSecond: number;
  /** Agent process CPU during the storm (user + system), in seconds. */
  agentCpuSeconds: number;
  overruns: number;
  queueDropped: number;
}

export async function execStorm(agent: Agent, pod: Pod, loops: number, execsPerLoop: number): Promise<StormResult> {
  const monitor = agent.processMonitor!;
  const before = monitor.execCount(pod.containerId);
  const status0 = monitor.status().counters;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // `exec` of the loop's own shell counts as one, then one per /usr/bin/true.
  const script = `i=0; while [ $i -lt ${execsPerLoop} ]; do /usr/bin/true; i=$((i+1)); done; echo $i`;
  const runs = await Promise.all(Array.from({ length: loops }, () => pod.exec('/bin/sh', ['-c', script])));
  const seconds = (performance.now() - t0) / 1000;
  let made = 0;
  for (const r of runs) {
    if (r.code !== 0) throw new Error(`exec loop failed: ${r.stderr}`);
    made += Number(r.stdout.trim()) + 1;
  }
  await waitUntil(() => monitor.execCount(pod.containerId) - before >= made, 'the agent to count every exec', 10_000).catch(() => undefined);
  const cpu = process.cpuUsage(cpu0);
  const seen = monitor.execCount(pod.containerId) - before;
  const status1 = monitor.status().counters;
  return {
    loops,
    execsPerLoop,
    started: made,
    seen,
    lost: Math.max(0, made - seen),
    seconds,
    execsPerSecond: made / seconds,
    agentCpuSeconds: (cpu.user + cpu.system) / 1e6,
    overruns: (status1.overruns ?? 0) - (status0.overruns ?? 0),
    queueDropped: (status1.queueDropped ?? 0) - (status0.queueDropped ?? 0),
  };
}
