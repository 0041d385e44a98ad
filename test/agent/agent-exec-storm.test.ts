// Issue 7, "Done when": an exec storm (two parallel loops of short processes in a pod, counted
// by the loops) loses no event: the agent counts every exec of the container, the kernel
// reports no overrun and no event is dropped on the way to JavaScript.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../support/pods.js';
import { execStorm } from './exec-storm.js';
import { AgentPods, skipReason, type TestAgent } from './support-agent.js';

const skip = skipReason();

describe('host agent: exec storm', { skip, timeout: 60_000 }, () => {
  const pods = new AgentPods();
  let pod: Pod;
  let t: TestAgent;

  before(async () => {
    pod = pods.pod({ name: 'storm-1' });
    t = await pods.startAgent({ files: false, ports: false });
    await pods.ready([pod]);
  });

  after(() => pods.close());

  it('counts every exec of two parallel loops, with no overrun and nothing dropped', async () => {
    const r = await execStorm(t.agent, pod, 2, 1500);
    assert.equal(r.started, 3002);
    assert.equal(r.overruns, 0);
    assert.equal(r.queueDropped, 0);
    assert.equal(r.lost, 0, `lost ${r.lost} of ${r.started} at ${Math.round(r.execsPerSecond)} exec/s`);
    // Beyond the loops' own count, at most the launchers' execs (nsenter, chroot, sh: each moves
    // into the pod's cgroup before its last exec, and /proc may be read after the move).
    assert.ok(r.seen - r.started <= 3 * r.loops, `seen ${r.seen}, started ${r.started}`);
    // Discover mode learned /usr/bin/true once, not 3,000 times.
    assert.equal(t.sink.events.filter((e) => e.kind === 'process.exec' && (e.process as { exe: string }).exe === '/usr/bin/true').length, 1);
  });
});
