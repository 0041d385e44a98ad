// Attribution from a real container runtime: a private dockerd (its own socket, data root and
// exec root; no bridge, no iptables) runs a busybox container labelled as cri-dockerd labels
// Kubernetes containers; the agent finds it from the process's real docker cgroup path and
// names pod, namespace and container through Docker's API. Skips, saying why, when docker.io or
// busybox-static is not installed (scripts/host-deps.mjs installs them) or dockerd cannot start.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, copyFileSync, chmodSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { MemorySink } from '../../host-agent/src/events/event-sink.js';
import { Agent } from '../../host-agent/src/agent.js';
import { waitUntil } from '../support/wait.js';
import { skipReason } from './support-agent.js';

const BASE = '/var/lib/meshward-test-docker';
const SOCK = `${BASE}/docker.sock`;
const BUSYBOX = '/bin/busybox';

function dockerSkip(): string | undefined {
  const base = skipReason();
  if (base) return base;
  for (const bin of ['dockerd', 'docker', 'containerd', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed (docker.io; node scripts/host-deps.mjs installs it)`;
  }
  if (!existsSync(BUSYBOX) || !/static/.test(spawnSync('file', ['-L', BUSYBOX], { encoding: 'utf8' }).stdout ?? 'static')) {
    return 'busybox-static is not installed (node scripts/host-deps.mjs installs it)';
  }
  return undefined;
}

const skip = dockerSkip();
const docker = (...args: string[]): string => execFileSync('docker', ['-H', `unix://${SOCK}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

describe('host agent: a real Docker container', { skip, timeout: 90_000 }, () => {
  let dockerd: ChildProcess | undefined;
  let containerId = '';
  let agent: Agent;
  const sink = new MemorySink();
  let startError: string | undefined;

  before(async () => {
    rmSync(BASE, { recursive: true, force: true });
    mkdirSync(`${BASE}/rootfs/bin`, { recursive: true });
    dockerd = spawn('dockerd', ['-H', `unix://${SOCK}`, '--data-root', `${BASE}/data`, '--exec-root', `${BASE}/exec`, '--pidfile', `${BASE}/docker.pid`, '--bridge=none', '--iptables=false', '--ip6tables=false', '--containerd-namespace', 'mwtest', '--containerd-plugins-namespace', 'mwtest-plugins'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    dockerd.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    try {
      await waitUntil(() => spawnSync('docker', ['-H', `unix://${SOCK}`, 'version'], { stdio: 'ignore' }).status === 0 || dockerd!.exitCode !== null, 'dockerd', 30_000);
      if (dockerd.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
      copyFileSync(BUSYBOX, `${BASE}/rootfs/bin/busybox`);
      chmodSync(`${BASE}/rootfs/bin/busybox`, 0o755);
      for (const tool of ['sh', 'sleep', 'echo', 'id']) symlinkSync('busybox', `${BASE}/rootfs/bin/${tool}`);
      execFileSync('sh', ['-c', `tar -C ${BASE}/rootfs -c . | docker -H unix://${SOCK} import - meshward-test/busybox:1`], { stdio: 'ignore' });
    } catch (err) {
      startError = (err as Error).message;
      return;
    }
    agent = new Agent({ sink, dockerSocket: SOCK, files: false, ports: false, processes: { reportAll: true } });
    await agent.start();
    containerId = docker('run', '-d', '--network', 'none', '--label', 'io.kubernetes.pod.name=payments-7d9f8c6b5-x2k4q', '--label', 'io.kubernetes.pod.namespace=shop', '--label', 'io.kubernetes.container.name=api', 'meshward-test/busybox:1', '/bin/sleep', '600');
  });

  after(async () => {
    await agent?.stop();
    if (containerId) spawnSync('docker', ['-H', `unix://${SOCK}`, 'rm', '-f', containerId], { stdio: 'ignore' });
    if (dockerd && dockerd.exitCode === null) {
      dockerd.kill('SIGTERM');
      await new Promise((r) => dockerd!.once('exit', r));
    }
    spawnSync('sh', ['-c', `grep ${BASE} /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l`]);
    rmSync(BASE, { recursive: true, force: true });
  });

  it('attributes the container from its docker cgroup path and names it through Docker\'s API', async (t) => {
    if (startError) return t.skip(`dockerd could not start: ${startError.slice(0, 300)}`);
    await agent.containerReady(containerId, 30_000);
    const c = agent.context!.containers.get(containerId)!;
    assert.equal(c.ref.runtime, 'docker');
    assert.equal(c.attribution?.source, 'docker');
    assert.deepEqual(c.attribution?.pod, { namespace: 'shop', name: 'payments-7d9f8c6b5-x2k4q', uid: undefined });
    assert.deepEqual(c.attribution?.workload, { namespace: 'shop', name: 'payments' });
    // Not ending in a command: busybox sh would exec its last command in place, and the args
    // read from /proc could then already be the sleep's (the proc connector carries none).
    docker('exec', containerId, '/bin/sh', '-c', 'echo hi; sleep 0.2; echo done');
    const e = await sink.waitFor((e) => e.kind === 'process.exec' && (e.process as { exe: string }).exe === '/bin/busybox' && (e.process as { args: string[] }).args.includes('echo hi; sleep 0.2; echo done'), 20_000, 'the exec in the container');
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'payments', pod: 'payments-7d9f8c6b5-x2k4q', container: 'api' });
  });
});
