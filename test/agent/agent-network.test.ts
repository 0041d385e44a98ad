// Issue 7, "Done when": a new listener is reported; an SQL injection sent between two pods
// outside any proxy is detected by passive capture (the filter, run by the agent on the
// reassembled connection). Two pods joined by a veth pair.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FILTER_WASM } from '../../cli/paths.js';
import { TrafficMonitor } from '../../host-agent/src/capture/monitor-traffic.js';
import { InlineMonitor } from '../../host-agent/src/inline/monitor-inline.js';
import { ChannelGuard } from '../../host-agent/src/channel-guard/channel-guard.js';
import type { Pod } from '../support/pods.js';
import { AgentPods, skipReason, toolsMissing, workloadPolicy, type TestAgent } from './support-agent.js';

const skip = skipReason();

const POLICY = (inspection: 'passive' | 'inline') => `
apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: protect
  ingress:
    - name: web
      http: [{methods: [GET, POST]}]
  processes: {mode: discover}
  files: {mode: discover}
  ports: {mode: monitor, allow: [{port: 8080}]}
  traffic: {inspection: ${inspection}, ports: [8080]}
`;

function get(pod: Pod, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `import urllib.request, urllib.error, sys
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
`;
  return pod.exec('/usr/bin/python3', ['-c', script, url]);
}

describe('host agent: ports and passive inspection between pods', { skip }, () => {
  const pods = new AgentPods();
  let web: Pod;
  let orders: Pod;
  let t: TestAgent;
  let traffic: TrafficMonitor;

  before(async () => {
    [web, orders] = pods.pair({ name: 'web-1' }, { name: 'orders-1' });
    t = await pods.startAgent({
      ports: { intervalMs: 100 },
      monitors: [(ctx) => (traffic = new TrafficMonitor(ctx, { wasm: FILTER_WASM }))],
    });
    orders.spawn('/usr/bin/python3', ['-m', 'http.server', '8080', '--bind', '0.0.0.0']);
    await pods.ready([web]);
  });

  after(() => pods.close());

  it('reports a new listener in a pod with its process; an allowed one is quiet', async () => {
    t.applyPolicy(POLICY('passive'));
    orders.spawn('/usr/bin/python3', ['-m', 'http.server', '8081', '--bind', '0.0.0.0']);
    // This pod's listener: the agent sees every container on the host, other runs' pods too.
    const ours = (e: object): boolean => (e as { container?: { id?: string } }).container?.id === orders.containerId;
    const e = await t.sink.waitFor((e) => e.kind === 'port.listen' && (e.socket as { port: number }).port === 8081 && ours(e), 5000, 'the listener');
    assert.equal(e.action, 'alert', JSON.stringify(e));
    assert.match((e.process as { exe: string }).exe, /\/usr\/bin\/python3/);
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'orders', pod: 'orders-1', container: 'app' });
    assert.ok(!t.sink.events.some((x) => x.kind === 'port.listen' && (x.socket as { port: number }).port === 8080 && x.action !== 'allow' && ours(x)), '8080 is allowed');
  });

  it('detects an SQL injection between two pods by passive capture (alert, never block)', async () => {
    await traffic.settled();
    assert.ok(traffic.capturing(t.agent.context!.containers.get(orders.containerId)!.netnsInode));
    const ok = await get(web, `http://${orders.ip}:8080/`);
    assert.equal(ok.stdout.trim(), '200', ok.stderr);
    const attack = await get(web, `http://${orders.ip}:8080/?id=1%27%20OR%20%271%27%3D%271`);
    assert.equal(attack.stdout.trim(), '200', 'passive: the request went through');
    const e = await t.sink.waitFor((e) => e.kind === 'http.attack', 5000, 'the SQL injection');
    assert.equal(e.attack?.class, 'sqli');
    assert.equal(e.action, 'alert');
    assert.equal(e.evidence.inspection, 'passive');
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'orders', pod: 'orders-1', container: 'app' });
    assert.equal((e.source as { ip: string }).ip, web.ip);
    const s = traffic.status().counters;
    assert.equal(s.gaps, 0);
    assert.equal(s.kernelDrops, 0);
  });
});

describe('host agent: inline inspection between pods', { skip: skip ?? toolsMissing('nft', 'nsenter') }, () => {
  const pods = new AgentPods();
  let web: Pod;
  let orders: Pod;
  let t: TestAgent;
  let inline: InlineMonitor;

  before(async () => {
    [web, orders] = pods.pair({ name: 'web-1' }, { name: 'orders-1' });
    t = await pods.startAgent({
      ports: false,
      monitors: [(ctx) => (inline = new InlineMonitor(ctx, { wasm: FILTER_WASM }))],
    });
    orders.spawn('/usr/bin/python3', ['-m', 'http.server', '8080', '--bind', '0.0.0.0']);
    await pods.ready([web]);
    t.applyPolicy(POLICY('inline'));
    await inline.settled();
  });

  after(() => pods.close());

  it('steers the pod\'s inbound traffic through the filter with nftables and blocks an SQL injection in protect', async () => {
    const ok = await get(web, `http://${orders.ip}:8080/`);
    assert.equal(ok.stdout.trim(), '200', ok.stderr);
    const attack = await get(web, `http://${orders.ip}:8080/?id=1%27%20OR%20%271%27%3D%271`);
    assert.equal(attack.stdout.trim(), '403', 'blocked by the filter in the agent');
    const e = await t.sink.waitFor((e) => e.kind === 'http.attack', 5000, 'the blocked SQL injection');
    assert.equal(e.action, 'block');
    assert.equal(e.attack?.class, 'sqli');
    assert.equal(e.evidence.inspection, 'inline');
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'orders', pod: 'orders-1', container: 'app' });
    assert.ok(Number(inline.status().counters.httpConnections) >= 2);
  });

  it('removes its nftables table when the workload leaves inline mode', async () => {
    t.applyPolicy(POLICY('passive'));
    await inline.settled();
    const r = await orders.exec('/usr/sbin/nft', ['list', 'tables']);
    assert.doesNotMatch(r.stdout, /meshward_inline/);
    const direct = await get(web, `http://${orders.ip}:8080/?id=1%27%20OR%20%271%27%3D%271`);
    assert.equal(direct.stdout.trim(), '200', 'straight to the server again');
  });
});

describe('host agent: control-channel guard', { skip: skip ?? toolsMissing('iptables', 'nsenter') }, () => {
  const pods = new AgentPods();
  let web: Pod;
  let api: Pod;
  let t: TestAgent;
  let guard: ChannelGuard;

  const connect = (pod: Pod, ip: string, port: number) =>
    pod.exec('/usr/bin/python3', ['-c', `import socket
try:
    socket.create_connection(("${ip}", ${port}), 3).close(); print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print("refused", e.errno)
`]);

  before(async () => {
    [web, api] = pods.pair({ name: 'web-1' }, { name: 'apiserver-1', namespace: 'kube-system' });
    t = await pods.startAgent({
      ports: false,
      files: false,
      monitors: [(ctx) => (guard = new ChannelGuard(ctx, { channels: [{ name: 'kubernetes-api', address: api.ip, ports: [6443] }] }))],
    });
    api.spawn('/usr/bin/python3', ['-m', 'http.server', '6443', '--bind', '0.0.0.0']);
    await pods.ready([web]);
    await guard.settled();
  });

  after(() => pods.close());

  it('reports a connection from a pod to the (fake) Kubernetes API as a control-channel violation', async () => {
    t.applyPolicy(workloadPolicy('web', 'monitor'));
    // The server answers only once listening: retry until it does, through the guard each time.
    let r = await connect(web, api.ip, 6443);
    for (let i = 0; i < 50 && r.stdout.trim() !== 'connected'; i++) r = await connect(web, api.ip, 6443);
    assert.equal(r.stdout.trim(), 'connected', 'monitor lets it through');
    const e = await t.sink.waitFor((e) => e.kind === 'channel.violation', 5000, 'the channel violation');
    assert.equal(e.action, 'alert');
    assert.equal((e.channel as { name: string }).name, 'kubernetes-api');
    assert.match((e.process as { exe: string }).exe, /python3/);
    assert.deepEqual(e.workload, { namespace: 'shop', name: 'web', pod: 'web-1', container: 'app' });
    assert.deepEqual(e.destination, { ip: api.ip, port: 6443 });
  });

  it('refuses it in protect at once, and lets an allowed process through', async () => {
    t.applyPolicy(workloadPolicy('web', 'protect', `  channels:
    allow: [{channel: kubernetes-api, processes: [/usr/bin/kubectl]}]
`));
    const r = await connect(web, api.ip, 6443);
    // A dropped SYN alone would leave connect() retrying until its 3 s timeout; the destroyed
    // socket fails it with an error at once.
    assert.match(r.stdout.trim(), /^refused \d+$/, 'connect() failed with an error, not a timeout');
    await t.sink.waitFor((e) => e.kind === 'channel.violation' && e.action === 'block', 5000, 'the refusal');
    const other = await connect(web, api.ip, 8080);
    assert.match(other.stdout.trim(), /^refused/, 'nothing listens on 8080: an ordinary refusal, not a channel');
    assert.equal(t.sink.events.filter((e) => e.kind === 'channel.violation' && (e.destination as { port: number }).port === 8080).length, 0);
  });
});
