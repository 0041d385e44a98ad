// `npm run bench:detection`: the labelled corpus (test/detection/corpus/) replayed in one run
// through `meshward proxy` and through nginx + ModSecurity + OWASP CRS (paranoia 1, blocking),
// both in front of the same local upstream, which records what reached it. An attack counts as
// blocked when it never reached the upstream (a 403, or a 400 from the front's own parser); a
// benign request counts as passed when it reached the upstream and the client got 200.
// Requests with framing Node's HTTP parser refuses before any filter (corpus `hostOnly`) go to
// the filter in the proxy-wasm host directly for Meshward (the parser would block them for it,
// which says nothing about the filter) and as raw bytes to nginx. Prints one JSON line per class
// and label (`bench/figure.ts`), then the totals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMeshwardProxy } from '../cli/commands/proxy.js';
import { createLogger } from '../cli/logger.js';
import { FILTER_WASM } from '../cli/paths.js';
import { loadCorpus, replayCorpus, type CorpusEntry } from '../test/detection/corpus-replay.js';
import { emit, round } from './figure.js';
import { ensureModsecurity, startNginx } from './modsecurity.js';
import { rawRequest } from './raw-client.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: corpus, namespace: bench}
spec:
  selector: {matchLabels: {app: corpus}}
  mode: protect
  ingress:
    - name: anyone
  waf: {action: block, paranoia: 1}
`;
const CONCURRENCY = 8;

interface Upstream {
  port: number;
  seen: Set<string>;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    const id = req.headers['x-corpus-id'];
    if (typeof id === 'string') seen.add(id);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    req.on('error', () => res.destroy());
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Replay entries against a port; returns id -> client status. */
async function replay(port: number, entries: CorpusEntry[], tag: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const e = entries[next++];
      const status = await rawRequest(port, e, [['x-corpus-id', `${tag}:${e.id}`]]);
      out.set(e.id, status);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

interface Tally { total: number; meshward: number; modsecurity: number }

export async function benchDetection(): Promise<void> {
  const log = (line: string) => process.stderr.write(`bench:detection: ${line}\n`);
  ensureModsecurity(log);
  const corpus = loadCorpus();
  const viaProxy = corpus.filter((e) => !e.hostOnly);
  const viaHost = corpus.filter((e) => e.hostOnly);
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'meshward-bench-detection-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  const proxy = await startMeshwardProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: `http://127.0.0.1:${upstream.port}`,
    policies: [policy],
    workload: { namespace: 'bench', name: 'corpus' },
    labels: { app: 'corpus' },
    fail: 'closed',
    upstreamProtocol: 'http1',
    noFilter: false,
    wasm: FILTER_WASM,
    logger: createLogger('error', () => {}, () => {}),
    watch: false,
  });
  const nginx = await startNginx(upstream.port, true);
  try {
    log(`replaying ${corpus.length} requests through meshward proxy and nginx+ModSecurity`);
    const meshStatus = await replay(proxy.proxy.address.port, viaProxy, 'm');
    const hostVerdicts = await replayCorpus(viaHost, { paranoia: 1 });
    const modStatus = await replay(nginx.port, corpus, 'n');
    const tallies = new Map<string, Tally>();
    const count = (e: CorpusEntry, meshOk: boolean, modOk: boolean) => {
      const key = `${e.label}\t${e.class}`;
      const t = tallies.get(key) ?? { total: 0, meshward: 0, modsecurity: 0 };
      t.total++;
      if (meshOk) t.meshward++;
      if (modOk) t.modsecurity++;
      tallies.set(key, t);
    };
    const hostBlocked = new Map(hostVerdicts.map((v) => [v.entry.id, v.blocked]));
    for (const e of corpus) {
      const attack = e.label === 'attack';
      const meshReached = e.hostOnly ? !hostBlocked.get(e.id) : upstream.seen.has(`m:${e.id}`);
      const meshStatusOk = e.hostOnly ? true : meshStatus.get(e.id) === 200;
      const modReached = upstream.seen.has(`n:${e.id}`);
      const modStatusOk = modStatus.get(e.id) === 200;
      count(e, attack ? !meshReached : meshReached && meshStatusOk, attack ? !modReached : modReached && modStatusOk);
    }
    const totals: Record<string, Tally> = { attack: { total: 0, meshward: 0, modsecurity: 0 }, benign: { total: 0, meshward: 0, modsecurity: 0 } };
    for (const [key, t] of [...tallies.entries()].sort()) {
      const [label, cls] = key.split('\t');
      const rate = (n: number) => round((100 * n) / t.total, 1);
      emit({
        bench: `detection.${label === 'attack' ? 'true_positive' : 'true_negative'}.${cls}`,
        value: rate(t.meshward),
        unit: '%',
        baseline: { name: 'nginx+ModSecurity CRS 3.3.4 PL1', value: rate(t.modsecurity) },
        label,
        class: cls,
        requests: t.total,
        meshward: t.meshward,
        modsecurity: t.modsecurity,
      });
      totals[label].total += t.total;
      totals[label].meshward += t.meshward;
      totals[label].modsecurity += t.modsecurity;
    }
    for (const [label, t] of Object.entries(totals)) {
      emit({
        bench: `detection.${label === 'attack' ? 'true_positive' : 'true_negative'}.all`,
        value: round((100 * t.meshward) / t.total, 1),
        unit: '%',
        baseline: { name: 'nginx+ModSecurity CRS 3.3.4 PL1', value: round((100 * t.modsecurity) / t.total, 1) },
        label,
        requests: t.total,
        meshward: t.meshward,
        modsecurity: t.modsecurity,
      });
    }
  } finally {
    await nginx.close();
    await proxy.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('detection.js')) {
  await benchDetection();
}
