// The agent wired to a control plane: its configuration over ADS (this node's AgentConfig, with
// the compiled `processes` section), its events over the agent stream into the control plane's
// store; and `meshward agent --policy` without a control plane, printing events as JSON lines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type RunningControlPlane } from '../../control-plane/src/index.js';
import { FILTER_WASM, REPO_ROOT } from '../../cli/paths.js';
import { Agent } from '../../host-agent/src/agent.js';
import { GrpcEventSink } from '../../host-agent/src/events/event-sink-grpc.js';
import { subscribeAgent, type AgentSubscription } from '../../host-agent/src/xds/index.js';
import { inventoryOf, Pod } from '../support/pods.js';
import { AgentPods, skipReason } from './support-agent.js';

const skip = skipReason();
const NODE = 'node-a';

const policy = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: monitor
  processes:
    mode: protect
    allow: [/usr/bin/sleep, /usr/bin/dash]
`;

describe('host agent: configuration over ADS and events over the agent stream', { skip, timeout: 60_000 }, () => {
  const pods = new AgentPods();
  let pod: Pod;
  let dir: string;
  let cp: RunningControlPlane;
  let agent: Agent;
  let sink: GrpcEventSink;
  let sub: AgentSubscription;

  before(async () => {
    pod = pods.pod({ name: 'orders-1' });
    dir = mkdtempSync(join(tmpdir(), 'mw-agent-cp-'));
    writeFileSync(join(dir, 'orders.yaml'), policy);
    writeFileSync(join(dir, 'inventory.yaml'), `workloads:\n  - {namespace: shop, name: orders, pods: [{name: orders-1, node: ${NODE}}]}\n`);
    writeFileSync(join(dir, 'agent-inventory.yaml'), inventoryOf([pod], () => 'orders').replace(/ {4}workload: orders\n/, ''));
    cp = await startControlPlane({
      policies: [join(dir, 'orders.yaml')],
      inventory: join(dir, 'inventory.yaml'),
      xds: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      wasm: { code: { local: { filename: FILTER_WASM } } },
      apiToken: 'test-api-token',
      events: { agentEvents: { host: '127.0.0.1', port: 0 } },
      logger: { log() {} },
    });
    sink = new GrpcEventSink({ server: cp.agentEvents!.address, node: NODE, token: 'test-api-token', flushIntervalMs: 50 });
    agent = new Agent({ sink, inventory: join(dir, 'agent-inventory.yaml'), dockerSocket: false, ports: false, files: false });
    sub = subscribeAgent({ server: `127.0.0.1:${cp.xds.port}`, nodeName: NODE }, (config, version) => agent.store.applyAgentConfig(config, version));
    await sub.ready;
    await agent.start();
    await pods.ready([pod], agent);
  });

  after(async () => {
    await sub?.close();
    await agent?.stop();
    await sink?.close();
    await cp?.close();
    await pods.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the compiled processes section from the AgentConfig: the pod\'s workload is named by the control plane', () => {
    const p = agent.store.policyFor({ namespace: 'shop', name: 'orders' });
    assert.equal(p.doc.processes.mode, 'protect');
    assert.deepEqual(p.doc.processes.allow, ['/usr/bin/sleep', '/usr/bin/dash']);
    assert.deepEqual(agent.context!.containers.get(pod.containerId)!.attribution!.workload, { namespace: 'shop', name: 'orders' }, 'from the AgentConfig pods');
  });

  it('refuses an unlisted exec and the event reaches the control plane\'s store over the agent stream', async () => {
    const r = await pod.exec('/usr/bin/id', []);
    assert.notEqual(r.code, 0);
    await sink.flush();
    let found = false;
    for (let i = 0; i < 100 && !found; i++) {
      const page = await cp.store.queryEvents({ kind: 'process.violation', namespace: 'shop', workload: 'orders' });
      found = page.items.some((row) => (JSON.parse(row.doc) as { action: string }).action === 'block');
      if (!found) await sink.flush(200);
    }
    assert.ok(found, `stored: ${JSON.stringify(sink.stats())}`);
    assert.equal(sink.stats().dropped, 0);
  });
});

describe('meshward agent --policy (no control plane)', { skip, timeout: 120_000 }, () => {
  it('compiles the policy for the inventory\'s workloads and prints events as JSON lines', async () => {
    const pod = new Pod({ name: 'cart-1' }).create();
    const dir = mkdtempSync(join(tmpdir(), 'mw-agent-cli-'));
    writeFileSync(join(dir, 'p.yaml'), policy.replace(/orders/g, 'cart'));
    writeFileSync(join(dir, 'inv.yaml'), inventoryOf([pod], () => 'cart'));
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/meshward.js'), 'agent', '--policy', join(dir, 'p.yaml'), '--inventory', join(dir, 'inv.yaml'), '--disable', 'files,ports,traffic,inline,channels', '--docker-socket', join(dir, 'none.sock')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      let err = '';
      const seen = (re: RegExp, what: string, stream: () => string) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stdout: ${out.slice(-1500)} stderr: ${err.slice(-1000)}`)), 15_000);
          const check = () => re.test(stream()) && (clearTimeout(t), resolve());
          child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), check()));
          child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), check()));
          check();
        });
      await seen(/meshward agent running/, 'the agent to start', () => err);
      pod.spawn('/usr/bin/sleep', ['600']);
      // The container is armed once its first process is attributed; an unlisted exec is then refused.
      let refused = false;
      // (Before the marks are in place an exec runs and is killed after it started: not this.)
      // (Alone it arms within a second; a loaded machine starves the agent for much longer.)
      const deadline = Date.now() + 60_000;
      while (!refused && Date.now() < deadline) refused = /Operation not permitted|Permission denied/.test((await pod.exec('/usr/bin/id', [])).stderr);
      assert.ok(refused, `no exec refused; agent stderr: ${err.slice(-3000)} stdout: ${out.slice(-1500)}`);
      await seen(/"kind":"process.violation".*"action":"block"|"action":"block".*"kind":"process.violation"/, 'the refusal on stdout', () => out);
      const line = out.split('\n').find((l) => l.includes('"process.violation"') && l.includes('"block"'))!;
      const e = JSON.parse(line) as { workload: { name: string; pod: string }; mode: string };
      assert.deepEqual([e.workload.name, e.workload.pod, e.mode], ['cart', 'cart-1', 'protect']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      pod.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
