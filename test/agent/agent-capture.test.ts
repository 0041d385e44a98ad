// Packet captures through the host agent (issues 6 and 8): the control plane asks the agent of
// the workload's node, the agent captures the pod's interfaces, uploads the pcap over its event
// stream, and the file comes back through the API and `meshward capture`; the agent's limits
// (size, concurrency, filter syntax) are reached and counted.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCapture } from '../../cli/replay/pcap-reader.js';
import { Agent } from '../../host-agent/src/agent.js';
import { CaptureService } from '../../host-agent/src/capture/capture-service.js';
import { GrpcEventSink } from '../../host-agent/src/events/event-sink-grpc.js';
import { startCpHarness, waitUntilAsync, type CpHarness } from '../support/control-plane-harness.js';
import { inventoryOf, type Pod } from '../support/pods.js';
import { waitUntil } from '../support/wait.js';
import { AgentPods, skipReason, workloadOfPod } from './support-agent.js';

const skip = skipReason();
const NODE = 'node-a';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: monitor
`;

interface CaptureView {
  id: string;
  status: string;
  parts: Array<{ node: string; status: string; message: string; packets: number; bytes: number; truncated: boolean; location: string }>;
}

function get(pod: Pod, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = 'import urllib.request, sys\nprint(urllib.request.urlopen(sys.argv[1], timeout=5).status)\n';
  return pod.exec('/usr/bin/python3', ['-c', script, url]);
}

/** TCP ports of an Ethernet/IPv4 frame. */
function tcpPorts(frame: Uint8Array): [number, number] | undefined {
  if (frame.length < 54 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 6) return undefined;
  const ihl = (frame[14] & 0x0f) * 4;
  const t = 14 + ihl;
  return [(frame[t] << 8) | frame[t + 1], (frame[t + 2] << 8) | frame[t + 3]];
}

describe('host agent: packet capture on request, through the control plane', { skip, timeout: 90_000 }, () => {
  const pods = new AgentPods();
  let web: Pod;
  let orders: Pod;
  let h: CpHarness;
  let agent: Agent;
  let sink: GrpcEventSink;
  let captures: CaptureService;
  let dir: string;

  const api = async <T>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${h.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${h.token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const finished = async (id: string): Promise<CaptureView> => {
    let view: CaptureView | undefined;
    await waitUntilAsync(async () => {
      view = (await api<{ capture: CaptureView }>('GET', `/v1/captures/${id}`)).body.capture;
      return view.status !== 'requested';
    }, `capture ${id} answered`, 30_000);
    return view!;
  };

  before(async () => {
    [web, orders] = pods.pair({ name: 'web-1' }, { name: 'orders-1' });
    dir = mkdtempSync(join(tmpdir(), 'mw-capture-'));
    h = await startCpHarness({
      inventory: `workloads:\n  - {namespace: shop, name: orders, pods: [{name: orders-1, node: ${NODE}}]}\n  - {namespace: shop, name: web, pods: [{name: web-1, node: node-b}]}\n`,
      policies: { 'orders.yaml': POLICY },
      options: { events: { agentEvents: { host: '127.0.0.1', port: 0 } } },
    });
    sink = new GrpcEventSink({ server: h.cp.agentEvents!.address, node: NODE, token: h.cp.ingestAuth.nodeToken(NODE), flushIntervalMs: 50 });
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, inventoryOf(pods.pods, workloadOfPod));
    agent = new Agent({ sink, inventory, dockerSocket: false, ports: false, files: false });
    await agent.start();
    captures = new CaptureService(agent.context!, { dir: join(dir, 'captures'), maxConcurrent: 1, keep: 3 });
    sink.onCapture((req) => captures.run({ id: req.id, namespace: req.namespace, workload: req.workload, pods: req.pods, durationSeconds: req.duration_seconds, filter: req.filter }));
    orders.spawn('/usr/bin/python3', ['-m', 'http.server', '8080', '--bind', '0.0.0.0']);
    await pods.ready([web], agent);
    // An idle agent keeps its stream open: capture requests come down it.
    await waitUntil(() => h.cp.agentEvents!.stats().streamsActive === 1, 'the agent stream');
  });

  after(async () => {
    await agent?.stop();
    await sink?.close();
    await h?.close();
    await pods.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('captures the pod\'s traffic on its node and serves the pcap through the API and the CLI', async () => {
    const asked = await api<{ capture: CaptureView }>('POST', '/v1/captures', { namespace: 'shop', workload: 'orders', seconds: 2, filter: 'tcp port 8080' });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    await waitUntil(() => captures.active === 1, 'the agent capturing');
    const marker = `capture-marker-${Date.now()}`;
    const r = await get(web, `http://${orders.ip}:8080/${marker}`).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    // http.server answers 404 for a missing file; the request is what matters.
    assert.match(r.stdout + r.stderr, /404|200/);
    const view = await finished(asked.body.capture.id);
    assert.equal(view.status, 'done', JSON.stringify(view));
    assert.equal(view.parts.length, 1);
    assert.equal(view.parts[0].node, NODE);
    assert.match(view.parts[0].location, new RegExp(`^${NODE}:.*${view.id}\\.pcap$`));
    const res = await fetch(`${h.url}/v1/captures/${view.id}/pcap`, { headers: { authorization: `Bearer ${h.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.tcpdump.pcap');
    const pcap = Buffer.from(await res.arrayBuffer());
    assert.equal(pcap.length, view.parts[0].bytes);
    const frames = [...readCapture(pcap)];
    assert.equal(frames.length, view.parts[0].packets);
    assert.ok(frames.length >= 6, `a TCP exchange (got ${frames.length} frames)`);
    for (const f of frames) assert.ok(tcpPorts(f.data)?.includes(8080), 'only port 8080, as filtered');
    assert.ok(pcap.includes(Buffer.from(`GET /${marker}`)), 'the request itself is in the capture');
    // The same file through the CLI.
    const out = join(dir, 'cli.pcap');
    const cli = await h.cli(['capture', '--id', view.id, '--output', out]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(readFileSync(out), pcap);
  });

  it('`meshward capture --workload` starts one, waits for the agent and writes the file', async () => {
    const out = join(dir, 'workload.pcap');
    const cli = await h.cli(['capture', '--workload', 'shop/orders', '--duration', '1', '--output', out]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stderr, new RegExp(`${NODE}: done`));
    assert.doesNotThrow(() => [...readCapture(readFileSync(out))]);
  });

  it('refuses what it cannot do, with the reason: a filter beyond its syntax, a workload without an agent', async () => {
    const bad = await api<{ error: { code: string; message: string } }>('POST', '/v1/captures', { namespace: 'shop', workload: 'orders', filter: 'udp port 53' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /unsupported capture filter "udp port 53"/);
    const none = await api<{ error: { code: string; details: { capture: CaptureView } } }>('POST', '/v1/captures', { namespace: 'shop', workload: 'web', seconds: 1 });
    assert.equal(none.status, 409);
    assert.equal(none.body.error.code, 'NO_AGENT');
    assert.equal(none.body.error.details.capture.status, 'undelivered');
    const status = (await api<{ captures: { undelivered: number } }>('GET', '/v1/status')).body;
    assert.ok(status.captures.undelivered >= 1);
  });

  it('reaches its limits and counts them: one capture at a time, the size limit', async () => {
    const order = { namespace: 'shop', workload: 'orders', pods: [], filter: '' };
    const first = captures.run({ ...order, id: 'limit-1', durationSeconds: 2 });
    const second = await captures.run({ ...order, id: 'limit-2', durationSeconds: 1 });
    assert.equal(second.ok, false);
    assert.match(second.message, /1 captures are running on this node, the most allowed at once \(1\)/);
    assert.equal(captures.counters.refusedBusy, 1);
    assert.equal((await first).ok, true);

    const tiny = new CaptureService(agent.context!, { dir: join(dir, 'tiny'), maxBytes: 1 });
    const run = tiny.run({ ...order, id: 'tiny-1', durationSeconds: 30 });
    await waitUntil(() => tiny.active === 1, 'the tiny capture');
    await get(web, `http://${orders.ip}:8080/`).catch(() => undefined);
    const out = await run;
    assert.equal(out.ok, true, out.message);
    assert.equal(out.truncated, true, 'stopped at the limit, long before its 30 s');
    assert.match(out.message, /stopped at the 1-byte limit/);
    assert.equal(tiny.counters.truncated, 1);
    const none = await tiny.run({ ...order, workload: 'nobody', id: 'tiny-2', durationSeconds: 1 });
    assert.match(none.message, /no running container of shop\/nobody on this node/);
  });
});
