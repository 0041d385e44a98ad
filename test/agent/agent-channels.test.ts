// The control-channel guard beyond IPv4 (agent-network.test.ts has the IPv4 Kubernetes API):
// an IPv6 connection from a pod to a guarded IPv6 address, reported then refused; and a node's
// runtime socket bind-mounted into a pod: the mount reported when the pod starts, a connection
// by a process not allowed reported with its container and process, an allowed process quiet,
// protect killing the offender, and protect masking the socket (connect() refused) when no
// process of the workload may use it. Real pods (test/support/pods.ts), a real unix listener on
// a tmpfs of its own (as /run is on a node).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChannelGuard } from '../../host-agent/src/channel-guard/channel-guard.js';
import { podPairIPv6, type Pod } from '../support/pods.js';
import { waitUntil } from '../support/wait.js';
import { AgentPods, skipReason, toolsMissing, workloadPolicy, type TestAgent } from './support-agent.js';

const skip = skipReason() ?? toolsMissing('iptables', 'ip6tables', 'nsenter');

/** A process started in a pod that prints one line and then waits for its stdin to close. */
interface Client {
  pid: number;
  line: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  end(): void;
}

function startClient(pod: Pod, cmd: string, args: string[]): Client {
  const child = pod.spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    void exit.then(() => reject(new Error(`${cmd} ended without a line: ${err.trim()}`)));
  });
  line.catch(() => undefined);
  return { pid: child.pid!, line, exit, end: () => child.stdin?.end() };
}

const PY_UNIX = `import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected", flush=True)
except OSError as e:
    print("refused", e.errno, flush=True); sys.exit(0)
sys.stdin.read()
`;
const PERL_UNIX = `use IO::Socket::UNIX; $| = 1;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or do { print "refused $!\\n"; exit 0 };
print "connected\\n"; <STDIN>;
`;

/** A stand-in for containerd: a unix listener on a tmpfs of its own, bind-mounted into pods. */
class FakeRuntime {
  readonly dir = `/run/meshward-rt-${randomBytes(3).toString('hex')}`;
  readonly path = `${this.dir}/containerd.sock`;
  readonly accepted: Socket[] = [];
  private server: Server | undefined;
  private readonly mounts: string[] = [];

  async start(): Promise<void> {
    mkdirSync(this.dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', this.dir]);
    this.server = createServer((s) => {
      this.accepted.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
  }

  /** Bind-mounts the socket at `inside` in the pod, as a hostPath volume does. */
  exposeTo(pod: Pod, inside: string): void {
    const target = `${pod.root}${inside}`;
    mkdirSync(target.slice(0, target.lastIndexOf('/')), { recursive: true });
    writeFileSync(target, '');
    execFileSync('mount', ['--bind', this.path, target]);
    this.mounts.push(target);
  }

  /** Bind-mounts the socket's directory at `inside` in the pod (hostPath /var/run). `inside`
   * must not cross a symbolic link of the pod's root (those resolve on the host here). */
  exposeDirTo(pod: Pod, inside: string): void {
    const target = `${pod.root}${inside}`;
    assert.equal(realpathSync(target.slice(0, target.lastIndexOf('/'))), target.slice(0, target.lastIndexOf('/')), 'no symbolic link on the way');
    mkdirSync(target, { recursive: true });
    execFileSync('mount', ['--bind', this.dir, target]);
    this.mounts.push(target);
  }

  async close(): Promise<void> {
    for (const s of this.accepted) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const m of this.mounts.reverse()) {
      // the guard's mask (if a test left one) and the bind itself
      for (let i = 0; i < 3; i++) if (spawnOk('umount', [m]) === false) break;
    }
    spawnOk('umount', [this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function spawnOk(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const RUNTIME_PATH = '/run/containerd/containerd.sock';

const policy = (mode: string, allow: string) => `
apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: tools, namespace: shop}
spec:
  selector: {workloads: [tools, ci, batch]}
  mode: ${mode}
  processes: {mode: discover}
  files: {mode: discover}
${allow}`;
const ALLOW_PYTHON = `  channels:
    allow: [{channel: container-runtime, processes: ["/usr/bin/python3*"]}]
`;

describe('host agent: control-channel guard on a runtime socket mounted into a pod', { skip }, () => {
  const pods = new AgentPods();
  let tools: Pod;
  let ci: Pod;
  let batch: Pod;
  let runtime: FakeRuntime;
  let t: TestAgent;
  let guard: ChannelGuard;

  /** Connects from the pod; resolves once connected (or refused) and the agent knows the pid. */
  async function connect(cmd: 'python' | 'perl'): Promise<Client & { first: string }> {
    const c = cmd === 'python' ? startClient(tools, '/usr/bin/python3', ['-c', PY_UNIX, RUNTIME_PATH]) : startClient(tools, '/usr/bin/perl', ['-e', PERL_UNIX, RUNTIME_PATH]);
    const first = await c.line;
    if (first !== 'connected') return { ...c, first }; // it ends at once: nothing to attribute
    const container = t.agent.context!.containers.get(tools.containerId)!;
    await waitUntil(() => container.pids.has(c.pid) && t.agent.context!.processes.get(c.pid)?.partial === false, 'the agent to see the client');
    return { ...c, first };
  }

  before(async () => {
    runtime = new FakeRuntime();
    await runtime.start();
    tools = pods.pod({ name: 'tools-1' });
    runtime.exposeTo(tools, RUNTIME_PATH);
    ci = pods.pod({ name: 'ci-1' });
    runtime.exposeDirTo(ci, '/srv/host-run');
    // As a hostPath with Bidirectional propagation: what is mounted on it propagates.
    execFileSync('mount', ['--make-shared', `${ci.root}/srv/host-run`]);
    batch = pods.pod({ name: 'batch-1' });
    t = await pods.startAgent({
      ports: false,
      files: false,
      monitors: [
        (ctx) =>
          (guard = new ChannelGuard(ctx, {
            channels: [],
            sockets: [{ name: 'container-runtime', path: runtime.path }],
            // One connection remembered per namespace: the kill test holds two, and reaches it.
            // Namespaces without a mounted socket are looked at every 5 intervals (500 ms).
            runtime: { maxSeen: 1, sweepEvery: 5 },
          })),
      ],
    });
    t.applyPolicy(policy('monitor', ALLOW_PYTHON));
    await pods.ready([tools, ci, batch]);
  });

  after(async () => {
    await pods.close();
    await runtime?.close();
  });

  it('reports the mount when the pod starts, with where the socket is inside', async () => {
    const e = await t.sink.waitFor((e) => e.kind === 'channel.exposed' && e.workload.name === 'tools', 5000, 'the exposure');
    assert.equal(e.action, 'alert');
    assert.equal(e.severity, 'medium', 'python3 may use it: a finding, not the worst');
    assert.deepEqual(e.channel, { name: 'container-runtime', socket: runtime.path, containerPath: RUNTIME_PATH });
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'tools', pod: 'tools-1', container: 'app' });
    assert.equal((e.evidence as { mount: string }).mount, 'socket');
    assert.equal(guard.runtime!.exposuresOf(tools.containerId).length, 1);
  });

  it('finds the socket under a mounted directory too (a hostPath of its directory)', async () => {
    const e = await t.sink.waitFor((e) => e.kind === 'channel.exposed' && e.workload.name === 'ci', 5000, 'the exposure through a directory');
    assert.deepEqual(e.channel, { name: 'container-runtime', socket: runtime.path, containerPath: '/srv/host-run/containerd.sock' });
    assert.equal((e.evidence as { mount: string; mountPoint: string }).mount, 'directory');
    assert.equal((e.evidence as { mount: string; mountPoint: string }).mountPoint, '/srv/host-run');
    assert.equal((e.evidence as { propagation?: string }).propagation, 'shared');
  });

  it('lets an allowed process connect quietly, and reports another with its container and process', async () => {
    const before = guard.status().counters.connections;
    const ok = await connect('python');
    assert.equal(ok.first, 'connected');
    guard.runtime!.scanNow(); // (the guard's timer may have seen it already: once either way)
    assert.equal(guard.status().counters.connections, before + 1, 'the connection was seen');
    assert.ok(!t.sink.events.some((e) => e.kind === 'channel.violation'), 'python3 is allowed');
    ok.end();

    const bad = await connect('perl');
    assert.equal(bad.first, 'connected', 'monitor does not refuse');
    guard.runtime!.scanNow();
    const e = await t.sink.waitFor((e) => e.kind === 'channel.violation', 5000, 'the violation');
    assert.equal(e.action, 'alert');
    assert.equal(e.protocol, 'unix');
    assert.deepEqual(e.process, { pid: bad.pid, exe: '/usr/bin/perl' });
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'tools', pod: 'tools-1', container: 'app' });
    assert.deepEqual((e.container as { id: string }).id, tools.containerId);
    assert.deepEqual(e.channel, { name: 'container-runtime', socket: runtime.path, containerPath: RUNTIME_PATH });
    bad.end();
    assert.equal((await bad.exit).signal, null, 'monitor kills nothing');
  });

  it('sees a connection made without a mount (through /proc/<pid>/root) at the slower look', async () => {
    // The pods share the host's pid namespace here, so the test process's root is one path away
    // from batch-1, which mounts nothing.
    assert.equal(guard.runtime!.exposuresOf(batch.containerId).length, 0);
    const path = `/proc/${process.pid}/root${runtime.path}`;
    const c = startClient(batch, '/usr/bin/perl', ['-e', PERL_UNIX, path]);
    try {
      assert.equal(await c.line, 'connected');
      const e = await t.sink.waitFor((e) => e.kind === 'channel.violation' && (e.process as { pid: number }).pid === c.pid, 5000, 'the violation');
      assert.equal(e.action, 'alert');
      assert.deepEqual(e.workload, { namespace: 'shop', name: 'batch', pod: 'batch-1', container: 'app' });
      assert.deepEqual(e.channel, { name: 'container-runtime', socket: runtime.path }, 'no path inside: no mount brings it');
    } finally {
      c.end();
      await c.exit;
    }
  });

  it('kills an unlisted process connected to it in protect, and spares the allowed one', async () => {
    t.applyPolicy(policy('protect', ALLOW_PYTHON));
    assert.equal(guard.runtime!.exposuresOf(tools.containerId)[0].masked, false, 'python3 may use it: not masked');
    const ok = await connect('python');
    // No scanNow: the guard's own dump (every 100 ms where a socket is exposed) finds it, maybe
    // before its "connected" line is read: the kill is what this waits for.
    const bad = startClient(tools, '/usr/bin/perl', ['-e', PERL_UNIX, RUNTIME_PATH]);
    assert.equal((await bad.exit).signal, 'SIGKILL');
    const e = await t.sink.waitFor((e) => e.kind === 'channel.violation' && e.action === 'kill' && (e.process as { pid: number }).pid === bad.pid, 5000, 'the kill');
    assert.deepEqual(e.process, { pid: bad.pid, exe: '/usr/bin/perl' });
    ok.end();
    assert.equal((await ok.exit).signal, null, 'the allowed process lives');
    assert.ok(guard.status().counters.seenOverflow >= 1, 'two connections at once, one remembered');
  });

  it('masks the socket before any connect() in protect when no process may use it, and unmasks it after', async () => {
    t.applyPolicy(policy('protect', ''));
    const e = await t.sink.waitFor((e) => e.kind === 'channel.exposed' && e.action === 'block', 5000, 'the mask');
    assert.equal(e.severity, 'high');
    const refused = await connect('python');
    assert.equal(refused.first, 'refused 111', 'ECONNREFUSED: the path is /dev/null now');
    assert.equal(guard.status().counters.masked, 1);
    assert.equal(guard.status().counters.maskSkippedShared, 1, 'ci\'s comes through a shared mount: not masked');
    assert.equal(guard.runtime!.exposuresOf(ci.containerId)[0].masked, false);

    t.applyPolicy(policy('monitor', ''));
    assert.equal(guard.status().counters.unmasked, 1);
    const again = await connect('python');
    assert.equal(again.first, 'connected', 'the socket is back');
    again.end();
    assert.equal(t.sink.events.filter((x) => x.kind === 'channel.exposed' && x.workload.name === 'tools').length, 2, 'unmasking is not a new exposure');
  });

  it('takes its masks off when it stops', async () => {
    t.applyPolicy(policy('protect', ''));
    assert.equal(guard.status().counters.masked, 2);
    assert.equal((await connect('python')).first, 'refused 111');
    await guard.stop();
    const back = await connect('python');
    assert.equal(back.first, 'connected', 'the pod reaches its socket again');
    back.end();
  });
});

describe('host agent: control-channel guard on IPv6', { skip }, () => {
  const pods = new AgentPods();
  let web: Pod;
  let api: Pod;
  let t: TestAgent;
  let port = 0;

  const connect = (ip: string) =>
    web.exec('/usr/bin/python3', ['-c', `import socket
try:
    socket.create_connection(("${ip}", ${port}), 3).close(); print("connected")
except OSError as e:
    print("refused", e.errno)
`]);

  before(async () => {
    [web, api] = pods.pair({ name: 'web-1' }, { name: 'apiserver-1', namespace: 'kube-system' });
    podPairIPv6(web, api);
    // The (fake) API server listens on a port the kernel picks, and says which once it listens.
    const server = api.spawn('/usr/bin/python3', ['-c', `import socket
s = socket.socket(socket.AF_INET6); s.bind(("::", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.close()
`]);
    port = await new Promise<number>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    let guard: ChannelGuard | undefined;
    t = await pods.startAgent({
      ports: false,
      files: false,
      monitors: [(ctx) => (guard = new ChannelGuard(ctx, { channels: [{ name: 'kubernetes-api', address: api.ip6, ports: [port] }], sockets: [] }))],
    });
    await pods.ready([web]);
    await guard!.settled();
  });

  after(() => pods.close());

  it('reports an IPv6 connection to a guarded IPv6 address with its process', async () => {
    t.applyPolicy(workloadPolicy('web', 'monitor'));
    const r = await connect(api.ip6);
    assert.equal(r.stdout.trim(), 'connected', r.stderr);
    const e = await t.sink.waitFor((e) => e.kind === 'channel.violation', 5000, 'the IPv6 channel violation');
    assert.equal(e.action, 'alert');
    assert.deepEqual(e.destination, { ip: api.ip6, port });
    assert.equal((e.source as { ip: string }).ip, web.ip6);
    assert.match((e.process as { exe: string }).exe, /python3/);
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'web', pod: 'web-1', container: 'app' });
  });

  it('refuses it in protect; the same server on its IPv4 address is no channel', async () => {
    t.applyPolicy(workloadPolicy('web', 'protect'));
    const r = await connect(api.ip6);
    assert.match(r.stdout.trim(), /^refused/, 'connect() failed');
    await t.sink.waitFor((e) => e.kind === 'channel.violation' && e.action === 'block', 5000, 'the refusal');
    const v4 = await connect(api.ip);
    assert.equal(v4.stdout.trim(), 'connected', 'the dual-stack server answers on IPv4, which is not guarded');
    assert.equal(t.sink.events.filter((e) => e.kind === 'channel.violation' && (e.destination as { ip: string }).ip === api.ip).length, 0);
  });
});
