// Issue 7, "Done when": a write to a pod's /usr/bin and a read of its service-account token are
// reported; in protect mode the write is refused at open(). Real pods with overlay roots.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../support/pods.js';
import { AgentPods, skipReason, workloadPolicy, type TestAgent } from './support-agent.js';

const skip = skipReason();
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

describe('host agent: files in pods', { skip }, () => {
  const pods = new AgentPods();
  let pod: Pod;
  let t: TestAgent;

  before(async () => {
    pod = pods.pod({ name: 'cart-1' });
    // The token as the kubelet projects it: a symlink into a timestamped directory.
    // /var/run is an absolute symlink to /run: build under the pod's /run, never through it.
    const dir = pod.root + TOKEN_DIR.replace(/^\/var\/run\//, '/run/');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/..2024_01_01_00_00_00.000`, { recursive: true });
    writeFileSync(`${dir}/..2024_01_01_00_00_00.000/token`, 'eyJhbGciOiJSUzI1NiJ9.secret');
    symlinkSync('..2024_01_01_00_00_00.000', `${dir}/..data`);
    symlinkSync('..data/token', `${dir}/token`);
    t = await pods.startAgent({ processes: {} });
    await pods.ready([pod]);
  });

  after(() => pods.close());

  it('reports a write to the pod\'s /usr/bin (monitor)', async () => {
    t.applyPolicy(workloadPolicy('cart', 'monitor'));
    // The shell writes (and lives on): its executable is read while the event is handled.
    const r = await pod.exec('/bin/sh', ['-c', 'cat /usr/bin/true > /usr/bin/evil && echo done; sleep 0.3']);
    assert.equal(r.stdout, 'done\n', r.stderr);
    const e = await t.sink.waitFor((e) => e.kind === 'file.write' && (e.file as { path: string }).path === '/usr/bin/evil', 5000, 'the write');
    assert.equal(e.action, 'alert');
    assert.equal(e.severity, 'high');
    assert.equal((e.file as { category: string }).category, 'binary');
    assert.equal((e.process as { exe: string }).exe, '/usr/bin/dash');
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'cart', pod: 'cart-1', container: 'app' });
  });

  it('reports a read of the service-account token (monitor)', async () => {
    const r = await pod.exec('/bin/sh', ['-c', `read -r t < ${TOKEN_DIR}/token; echo "$t"; sleep 0.3`]);
    assert.equal(r.stdout, 'eyJhbGciOiJSUzI1NiJ9.secret\n');
    const e = await t.sink.waitFor((e) => e.kind === 'file.read' && e.workload.pod === 'cart-1', 5000, 'the token read');
    assert.match((e.file as { path: string }).path, /serviceaccount\/\.\.2024_01_01_00_00_00\.000\/token$/);
    assert.equal(e.attack?.technique, 'T1552.001');
    assert.equal((e.process as { exe: string }).exe, '/usr/bin/dash');
  });

  it('refuses, in protect mode, a write to /usr/bin at open() and lets listed writers and readers through', async () => {
    t.applyPolicy(workloadPolicy('cart', 'protect', `  files:
    writers: [{paths: [/etc/app.conf], processes: [/usr/bin/dash]}]
`));
    const refused = await pod.exec('/bin/sh', ['-c', 'echo x > /usr/bin/evil2']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Operation not permitted|Permission denied/);
    // O_CREAT makes the (empty) file before the open is put to the agent: no byte gets in.
    assert.ok(!existsSync(pod.root + '/usr/bin/evil2') || readFileSync(pod.root + '/usr/bin/evil2', 'utf8') === '', 'nothing was written');
    const e = await t.sink.waitFor((e) => e.kind === 'file.write' && e.action === 'block', 5000, 'the refusal');
    assert.equal((e.file as { path: string }).path, '/usr/bin/evil2');
    const listed = await pod.exec('/bin/sh', ['-c', 'echo ok > /etc/app.conf && cat /etc/app.conf']);
    assert.equal(listed.stdout, 'ok\n', listed.stderr);
    const reads = await pod.exec('/usr/bin/ls', ['/usr/bin/true']);
    assert.equal(reads.code, 0, 'reading watched directories is not refused');
  });
});
