// Event ingest throughput and incident query latency, through a real control plane
// (startControlPlane: HTTP ingest, validation, the SQLite store, learning, correlation and
// anomaly detection all running) and a load generator in a worker thread posting batches of 100
// events over keep-alive HTTP, as filters do, retrying a batch answered 503 (queue full).
// Figures:
// - events.ingest_throughput: events/s acknowledged as stored, sustained for
//   BENCH_EVENTS_SECONDS (default 60), checked afterwards: every acknowledged event is in the
//   store (lost = 0). Baseline: the same events inserted straight into a fresh SQLite store
//   (no HTTP, no validation, no processors), measured in the same run.
// - events.incident_query_latency: GET /v1/incidents?limit=100 and GET /v1/incidents/{id} over
//   HTTP with BENCH_INCIDENTS incidents (default 10,000) stored; p50/p99 ms. Baseline: the same
//   query on the store without HTTP.
import http from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startControlPlane } from '../control-plane/src/index.js';
import { ingested, type MeshwardEvent } from '../control-plane/src/events/event-types.js';
import { openSqliteStore } from '../control-plane/src/store/index.js';
import { FILTER_WASM } from '../cli/paths.js';
import { emit, round } from './figure.js';

const BATCH = 100;
const CONCURRENCY = 8;

function benchEvent(worker: number, n: number, now: number): MeshwardEvent {
  const caller = n % 16;
  return {
    id: `bench-${worker}-${n}`,
    time: new Date(now).toISOString(),
    kind: n % 50 === 0 ? 'http.policy' : 'http.flow',
    severity: n % 50 === 0 ? 'medium' : 'info',
    action: n % 50 === 0 ? 'alert' : 'allow',
    mode: 'discover',
    workload: { namespace: 'bench', name: `svc-${n % 8}`, pod: `svc-${n % 8}-0`, container: '' },
    source: { ip: `10.1.0.${caller}`, port: 40000 + (n % 1000), principal: `spiffe://cluster.local/ns/bench/sa/caller-${caller}`, namespace: 'bench', workload: `caller-${caller}` },
    destination: { ip: '10.2.0.1', port: 8080, principal: '', workload: `svc-${n % 8}` },
    protocol: 'http',
    http: { method: n % 5 === 0 ? 'POST' : 'GET', path: `/api/items/${n % 1000}`, host: 'svc.bench', version: 'HTTP/1.1' },
    rule: null,
    attack: null,
    policy: { version: 'sha256:bench' },
    evidence: { reason: 'discover' },
  };
}

interface LoadResult {
  acked: number;
  rejected: number;
  retries: number;
  batchLatencies: number[];
}

async function loadWorker(): Promise<void> {
  const { url, token, seconds, index } = workerData as { url: string; token: string; seconds: number; index: number };
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const result: LoadResult = { acked: 0, rejected: 0, retries: 0, batchLatencies: [] };
  const deadline = Date.now() + seconds * 1000;
  let next = 0;
  const post = (body: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const loop = async () => {
    while (Date.now() < deadline) {
      const now = Date.now();
      const events = Array.from({ length: BATCH }, () => benchEvent(index, next++, now));
      const body = JSON.stringify({ schema: 1, workload: { namespace: 'bench', name: 'svc-0' }, dropped: 0, events });
      const started = performance.now();
      for (;;) {
        const r = await post(body);
        if (r.status === 200) {
          const parsed = JSON.parse(r.text) as { accepted: number; duplicates: number; rejected: unknown[] };
          result.acked += parsed.accepted + parsed.duplicates;
          result.rejected += parsed.rejected.length;
          break;
        }
        if (r.status !== 503) throw new Error(`ingest answered ${r.status}: ${r.text}`);
        result.retries++;
        await new Promise((res) => setTimeout(res, 100)); // shorter than Retry-After: measures recovery, not the filter's tick
      }
      if (result.batchLatencies.length < 200_000) result.batchLatencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  agent.destroy();
  parentPort!.postMessage(result);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export async function benchEventsIngest(o: { seconds?: number; incidents?: number } = {}): Promise<void> {
  const seconds = o.seconds ?? Number(process.env.BENCH_EVENTS_SECONDS ?? '60');
  const dir = mkdtempSync(join(tmpdir(), 'meshward-bench-events-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'inventory.yaml'), `workloads:\n${Array.from({ length: 8 }, (_, i) => `  - {namespace: bench, name: svc-${i}}\n`).join('')}`);
  const token = 'bench-token';
  const cp = await startControlPlane({
    policies: [join(dir, 'policies')],
    inventory: join(dir, 'inventory.yaml'),
    xds: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    wasm: { code: { local: { filename: FILTER_WASM } }, failOpen: false },
    logger: { log: () => {} },
    dataDir: join(dir, 'data'),
    apiToken: token,
  });
  try {
    // Baseline: raw inserts into a fresh SQLite store, same events, same transaction size.
    const raw = await openSqliteStore(join(dir, 'raw.db'));
    const now = Date.now();
    const rawEvents = Array.from({ length: 100_000 }, (_, i) => ingested(benchEvent(99, i, now), 'http'));
    const rawStarted = performance.now();
    for (let i = 0; i < rawEvents.length; i += 2000) await raw.insertEvents(rawEvents.slice(i, i + 2000));
    const rawPerSecond = rawEvents.length / ((performance.now() - rawStarted) / 1000);
    await raw.close();

    const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'events-load', url: `http://127.0.0.1:${cp.http.address.port}/v1/events`, token, seconds, index: 0 } });
    const result = await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    await cp.ingest.flush();
    const stored = (await cp.store.stats()).events;
    const stats = cp.ingest.stats();
    const derived = stats.eventsDerived;
    emit({
      bench: 'events.ingest_throughput',
      value: round(result.acked / seconds, 0),
      unit: 'events/s',
      baseline: { name: 'sqlite insert only (no HTTP, validation, processors)', value: round(rawPerSecond, 0) },
      seconds,
      backend: 'sqlite',
      acknowledged: result.acked,
      stored: stored - derived,
      lost: result.acked - (stored - derived),
      rejected: result.rejected,
      retried503: result.retries,
      batchP50Ms: round(pct(result.batchLatencies, 50)),
      batchP99Ms: round(pct(result.batchLatencies, 99)),
      goal: '>= 10000 events/s, lost 0',
    });

    // Incidents: BENCH_INCIDENTS stored, then the API's list and detail queries.
    const count = o.incidents ?? Number(process.env.BENCH_INCIDENTS ?? '10000');
    const base = Date.now() - count * 1000;
    const rows = Array.from({ length: count }, (_, i) => {
      const doc = { id: `inc-bench-${i}`, status: 'open', title: `initial-access → execution on bench/svc-${i % 8}`, severity: 'high', namespace: 'bench', workload: `svc-${i % 8}`, workloads: [`bench/svc-${i % 8}`], peers: [], processes: [], tactics: ['initial-access', 'execution'], firstMs: base + i * 1000, lastMs: base + i * 1000 + 500, eventCount: 2, steps: [], stepsOverflow: 0 };
      return { id: doc.id, status: 'open' as const, severity: 3, namespace: 'bench', workload: doc.workload, firstMs: doc.firstMs, lastMs: doc.lastMs, updatedMs: Date.now(), doc: JSON.stringify(doc) };
    });
    for (let i = 0; i < rows.length; i += 1000) await cp.store.saveIncidents(rows.slice(i, i + 1000));
    for (let i = 0; i < 200; i++) await cp.store.linkEvents(`inc-bench-${count - 1 - i}`, [`bench-0-${i * 2}`, `bench-0-${i * 2 + 1}`]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const timeGet = (path: string) => new Promise<number>((resolve, reject) => {
      const started = performance.now();
      http.get(`http://127.0.0.1:${cp.http.address.port}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${path}: ${res.statusCode}`))));
      }).on('error', reject);
    });
    const list: number[] = [];
    const detail: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < 200; i++) {
      list.push(await timeGet('/v1/incidents?limit=100&severity=high&workload=bench/svc-3'));
      detail.push(await timeGet(`/v1/incidents/inc-bench-${count - 1 - i}`));
      const t = performance.now();
      await cp.store.queryIncidents({ limit: 100, minSeverity: 3, namespace: 'bench', workload: 'svc-3' });
      direct.push(performance.now() - t);
    }
    agent.destroy();
    emit({
      bench: 'events.incident_query_latency',
      value: round(pct(list, 99)),
      unit: 'ms (p99, list of 100)',
      baseline: { name: 'the same query on the store, no HTTP (p99)', value: round(pct(direct, 99)) },
      incidents: count,
      listP50Ms: round(pct(list, 50)),
      detailP50Ms: round(pct(detail, 50)),
      detailP99Ms: round(pct(detail, 99)),
    });
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'events-load') await loadWorker();
