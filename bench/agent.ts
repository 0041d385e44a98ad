// The host agent's figures (issue 7):
//   agent.exec_storm      exec events handled per second by the agent, with events lost (goal 0)
//                         and the loops' own rate; two parallel exec loops in a real pod
//   agent.exec_cpu        agent CPU per 1,000 exec/s, in % of one core (goal ≤ 10)
//   agent.passive_mbps    passive inspection throughput: captured blocks parsed, TCP reassembled,
//                         HTTP framed and run through meshward.wasm (goal ≥ 125 MB/s), against
//                         the same pipeline without the filter (the capture's own cost)
// Needs root and the native addon for the storm; the passive figure runs anywhere.
// BENCH_EXECS sets the execs per loop (default 5000), BENCH_PASSIVE_MB the payload (default 256).
import { readFileSync } from 'node:fs';
import { compile, loadPolicies } from '../control-plane/src/index.js';
import { FILTER_WASM } from '../cli/paths.js';
import { FilterHost } from '../host-agent/src/capture/filter-host.js';
import { forEachSegment, newParseStats } from '../host-agent/src/capture/packets.js';
import { newInspectorStats, PassiveConnection } from '../host-agent/src/capture/passive-inspector.js';
import { TcpReassembler, type FlowConsumer } from '../host-agent/src/capture/tcp-reassembly.js';
import { emit, round } from './figure.js';

export async function benchAgent(options: { execsPerLoop?: number; passiveMB?: number } = {}): Promise<void> {
  const execs = options.execsPerLoop ?? Number(process.env.BENCH_EXECS ?? '5000');
  if (execs > 0) await benchExecStorm(execs);
  await benchPassive(options.passiveMB ?? Number(process.env.BENCH_PASSIVE_MB ?? '256'));
}

async function benchExecStorm(execsPerLoop: number): Promise<void> {
  const { skipReason, startAgent } = await import('../test/agent/support-agent.js');
  const reason = skipReason();
  if (reason) {
    emit({ bench: 'agent.exec_storm', value: 0, unit: 'events/s', skipped: reason });
    return;
  }
  const { Pod } = await import('../test/support/pods.js');
  const { execStorm } = await import('../test/agent/exec-storm.js');
  const pod = new Pod({ name: 'bench-1' }).create();
  // The machine's own rate, before the agent watches: the baseline.
  const script = `i=0; while [ $i -lt ${execsPerLoop} ]; do /usr/bin/true; i=$((i+1)); done`;
  const b0 = performance.now();
  await Promise.all([pod.exec('/bin/sh', ['-c', script]), pod.exec('/bin/sh', ['-c', script])]);
  const baselineRate = (2 * execsPerLoop) / ((performance.now() - b0) / 1000);
  const t = await startAgent([pod], { files: false, ports: false });
  try {
    pod.spawn('/usr/bin/sleep', ['600']);
    await t.agent.containerReady(pod.containerId);
    const r = await execStorm(t.agent, pod, 2, execsPerLoop);
    emit({
      bench: 'agent.exec_storm',
      value: round(r.seen / r.seconds, 0),
      unit: 'events/s',
      baseline: { name: 'exec/s of the same loops without the agent', value: round(baselineRate, 0) },
      lost: r.lost,
      started: r.started,
      seen: r.seen,
      execsPerSecond: round(r.execsPerSecond, 0),
      overruns: r.overruns,
      loops: r.loops,
    });
    const perThousand = (r.agentCpuSeconds / r.seconds) / (r.execsPerSecond / 1000) * 100;
    emit({ bench: 'agent.exec_cpu', value: round(perThousand, 2), unit: '% of a core per 1000 exec/s', agentCpuSeconds: round(r.agentCpuSeconds, 3), seconds: round(r.seconds, 3) });
  } finally {
    await t.stop();
    pod.destroy();
  }
}

// --- passive inspection on synthetic captured blocks ---

const CLIENT = [10, 0, 0, 1];
const SERVER = [10, 0, 0, 2];
const MSS = 1448;

/** Captured blocks in the ring's record format, with `connections` HTTP/1.1 keep-alive
 * connections of `requests` exchanges each (a JSON POST and its JSON answer). */
function synthesize(connections: number, requests: number): { blocks: Buffer[]; payload: number } {
  const records: Buffer[] = [];
  let payload = 0;
  const frame = (fromClient: boolean, sport: number, seq: number, ack: number, flags: number, data: Buffer): void => {
    const f = Buffer.alloc(54 + data.length);
    f.writeUInt16BE(0x0800, 12);
    f[14] = 0x45;
    f.writeUInt16BE(40 + data.length, 16);
    f[22] = 64;
    f[23] = 6;
    Buffer.from(fromClient ? CLIENT : SERVER).copy(f, 26);
    Buffer.from(fromClient ? SERVER : CLIENT).copy(f, 30);
    f.writeUInt16BE(fromClient ? sport : 8080, 34);
    f.writeUInt16BE(fromClient ? 8080 : sport, 36);
    f.writeUInt32BE(seq >>> 0, 38);
    f.writeUInt32BE(ack >>> 0, 42);
    f[46] = 0x50;
    f[47] = flags;
    data.copy(f, 54);
    const rec = Buffer.alloc(20 + ((f.length + 3) & ~3));
    rec.writeUInt32LE(f.length, 0);
    rec.writeUInt32LE(f.length, 4);
    f.copy(rec, 20);
    records.push(rec);
    payload += data.length;
  };
  const body = Buffer.from(JSON.stringify({ order: { id: 12345, customer: 'c-981', items: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 3 + 1, note: 'deliver to the back door, ring twice' })) } }));
  const answer = Buffer.from(JSON.stringify({ ok: true, items: Array.from({ length: 80 }, (_, i) => ({ sku: `SKU-${i}`, price: 10 + i, name: `Product number ${i} in the catalogue` })) }));
  for (let c = 0; c < connections; c++) {
    const sport = 30000 + c;
    let cs = 1000;
    let ss = 5000;
    frame(true, sport, cs++, 0, 0x02, Buffer.alloc(0));
    frame(false, sport, ss++, cs, 0x12, Buffer.alloc(0));
    for (let r = 0; r < requests; r++) {
      const req = Buffer.concat([Buffer.from(`POST /api/orders?page=${r} HTTP/1.1\r\nhost: orders\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
      for (let o = 0; o < req.length; o += MSS) {
        const d = req.subarray(o, o + MSS);
        frame(true, sport, cs, ss, 0x18, d);
        cs += d.length;
      }
      const res = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${answer.length}\r\n\r\n`), answer]);
      for (let o = 0; o < res.length; o += MSS) {
        const d = res.subarray(o, o + MSS);
        frame(false, sport, ss, cs, 0x18, d);
        ss += d.length;
      }
    }
    frame(true, sport, cs, ss, 0x11, Buffer.alloc(0));
    frame(false, sport, ss, cs + 1, 0x11, Buffer.alloc(0));
  }
  // Pack into ~1 MiB blocks, as the ring hands them up.
  const blocks: Buffer[] = [];
  let cur: Buffer[] = [];
  let size = 0;
  for (const r of records) {
    if (size + r.length > 1 << 20 && cur.length > 0) {
      blocks.push(Buffer.concat(cur));
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += r.length;
  }
  if (cur.length) blocks.push(Buffer.concat(cur));
  return { blocks, payload };
}

export async function benchPassive(targetMB: number): Promise<void> {
  const { blocks, payload } = synthesize(64, 50);
  const rounds = Math.max(1, Math.round((targetMB * 1e6) / payload));
  const host = new FilterHost({ wasm: readFileSync(FILTER_WASM), onEvent: () => undefined, log: () => undefined });
  const config = compile(
    loadPolicies(`apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: monitor
  ingress: [{name: any}]
`),
    { namespace: 'shop', name: 'orders', labels: {} },
  ).json;
  const plugin = await host.plugin('shop/orders', config, 'passive');
  const run = (withFilter: boolean): number => {
    const parse = newParseStats();
    const stats = newInspectorStats();
    const nothing: FlowConsumer = { clientData() {}, serverData() {}, end() {} };
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      const r = new TcpReassembler({ open: (ep) => (withFilter ? new PassiveConnection(plugin, ep, stats) : nothing) });
      for (const b of blocks) forEachSegment(b, parse, (s) => r.segment(s));
    }
    const seconds = (performance.now() - t0) / 1000;
    return (payload * rounds) / 1e6 / seconds;
  };
  run(true); // warm-up (JIT, wasm tiers)
  const baseline = run(false);
  const mbps = run(true);
  emit({ bench: 'agent.passive_mbps', value: round(mbps, 1), unit: 'MB/s', baseline: { name: 'capture parse + reassembly, no filter', value: round(baseline, 1) }, payloadMB: round((payload * rounds) / 1e6, 1), requests: 64 * 50 * rounds });
  await host.close();
}
