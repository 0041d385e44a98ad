// Issue 7, "Done when": a shell started in a pod is reported with its container and parent; in
// protect mode an unlisted binary is refused before it runs. Real pods: network namespace,
// kubepods cgroup, overlay root; the agent with its native monitors.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../support/pods.js';
import { AgentPods, skipReason, type TestAgent } from './support-agent.js';

const skip = skipReason();

describe('host agent: processes in pods', { skip }, () => {
  const pods = new AgentPods();
  let pod: Pod;
  let other: Pod;
  let t: TestAgent;

  before(async () => {
    pod = pods.pod({ name: 'orders-1', driver: 'systemd' });
    other = pods.pod({ name: 'billing-1', driver: 'cgroupfs' });
    t = await pods.startAgent();
    await pods.ready([pod, other]);
  });

  after(() => pods.close());

  it('attributes each pod from its kubepods cgroup (systemd and cgroupfs drivers) to its workload', () => {
    const ctx = t.agent.context!;
    const a = ctx.containers.get(pod.containerId)!;
    assert.equal(a.ref.podUid, pod.uid);
    assert.equal(a.ref.driver, 'systemd');
    assert.equal(a.ref.runtime, 'containerd');
    assert.deepEqual(a.attribution?.workload, { namespace: 'shop', name: 'orders' });
    assert.equal(a.attribution?.containerName, 'app');
    const b = ctx.containers.get(other.containerId)!;
    assert.equal(b.ref.driver, 'cgroupfs');
    assert.equal(b.ref.podUid, other.uid);
    assert.deepEqual(b.attribution?.workload, { namespace: 'shop', name: 'billing' });
  });

  it('reports a shell started in a pod with its container, parent, user and arguments', async () => {
    const r = await pod.exec('/bin/sh', ['-c', 'echo started; sleep 0.2']);
    assert.equal(r.code, 0);
    const e = await t.sink.waitFor(
      (e) => e.kind === 'process.exec' && e.workload.pod === 'orders-1' && (e.process as { exe: string }).exe === '/usr/bin/dash',
      5000,
      'the shell exec',
    );
    const p = e.process as { pid: number; args: string[]; uid: number; parents: Array<{ exe: string }> };
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'orders', pod: 'orders-1', container: 'app' });
    assert.equal(e.mode, 'discover');
    assert.equal(e.action, 'allow');
    assert.ok(p.args.includes('echo started; sleep 0.2'), JSON.stringify(p.args));
    assert.equal(p.uid, 0);
    assert.ok(p.parents.length >= 1, 'the parent chain is given');
    assert.equal((e.container as { id: string }).id, pod.containerId);
  });

  it('reports a shell spawned by a server process in every mode (built-in rule)', async () => {
    const r = await pod.exec('/usr/bin/python3', ['-c', 'import subprocess; subprocess.run(["/bin/sh", "-c", "sleep 0.2"])']);
    assert.equal(r.code, 0, r.stderr);
    const e = await t.sink.waitFor((e) => e.rule?.id === 'builtin/shell-from-server' && e.workload.pod === 'orders-1', 5000, 'shell-from-server');
    assert.equal(e.kind, 'process.violation');
    assert.equal(e.action, 'alert');
    assert.equal(e.attack?.technique, 'T1059.004');
    assert.match((e.process as { parents: Array<{ exe: string }> }).parents[0].exe, /python3/);
  });

  it('reports the path of processes that exit at once, gone before /proc could be read', async () => {
    // Ten new binaries, each run once by a loop: each exits in well under a millisecond, while
    // the agent reads /proc once per round (every 2 to 10 ms under load). Their paths come from the
    // fanotify exec notifications; their arguments are gone with them (nothing else holds them).
    const tag = randomBytes(3).toString('hex');
    mkdirSync(`${pod.root}/usr/local/bin`, { recursive: true });
    const names = Array.from({ length: 10 }, (_, i) => `/usr/local/bin/quick-${tag}-${i}`);
    for (const n of names) copyFileSync('/usr/bin/true', pod.root + n);
    const filled0 = t.agent.processMonitor!.status().counters.execPathsFilled ?? 0;
    const r = await pod.exec('/bin/sh', ['-c', names.join('; ')]);
    assert.equal(r.code, 0, r.stderr);
    const events = [];
    for (const n of names) {
      const e = await t.sink.waitFor((e) => e.kind === 'process.exec' && (e.process as { exe: string }).exe === n, 5000, `the exec of ${n}`);
      assert.equal(e.workload.pod, 'orders-1');
      assert.equal((e.container as { id: string }).id, pod.containerId);
      events.push(e.process as { exe: string; args: string[]; partial?: boolean });
    }
    const gone = events.filter((p) => p.partial);
    assert.ok(gone.length >= 1, `at least one was gone before /proc was read: ${JSON.stringify(events)}`);
    for (const p of gone) assert.deepEqual(p.args, [], 'no arguments are invented for a gone process');
    assert.ok((t.agent.processMonitor!.status().counters.execPathsFilled ?? 0) - filled0 >= gone.length, 'their paths came from the exec notifications');
  });

  it('in protect mode refuses an unlisted binary before it runs, and lets listed ones run', async () => {
    t.applyPolicy(`
apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders-runtime, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: protect
  processes:
    allow: [/usr/bin/sleep, /usr/bin/dash, /usr/bin/echo]
`);
    assert.equal(t.agent.store.policyFor({ namespace: 'shop', name: 'orders' }).doc.processes.mode, 'protect');
    const refused = await pod.exec('/usr/bin/id', []);
    assert.notEqual(refused.code, 0);
    assert.equal(refused.stdout, '', 'id never ran');
    assert.match(refused.stderr, /Operation not permitted|Permission denied/);
    const e = await t.sink.waitFor((e) => e.kind === 'process.violation' && e.action === 'block' && (e.process as { exe: string }).exe === '/usr/bin/id', 5000, 'the refusal');
    assert.equal(e.mode, 'protect');
    assert.equal(e.evidence.refused, 'before exec');
    const allowed = await pod.exec('/usr/bin/echo', ['fine']);
    assert.equal(allowed.code, 0);
    assert.equal(allowed.stdout, 'fine\n');
    // The other pod's workload has no policy: still discover, nothing refused.
    const free = await other.exec('/usr/bin/id', ['-u']);
    assert.equal(free.stdout, '0\n');
  });
});
