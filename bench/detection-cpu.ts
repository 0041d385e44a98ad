// The detection engine's CPU cost in the host, without sockets, against a no-op module
// measured in the same run: a benign GET with 15 headers whose values repeat (the engine
// remembers clean values) and whose values are all new (cold), a 4 KB JSON POST, and body scan
// throughput over 256 KiB request bodies (prose text and JSON).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeaderList, HttpStreamSink, WasmPluginHandle } from '../host-agent/src/wasm-host/api.js';
import { createVm } from '../host-agent/src/wasm-host/index.js';
import { compile, loadPolicies } from '../control-plane/src/index.js';
import { FILTER_WASM, REPO_ROOT } from '../cli/paths.js';
import { emit, median, round } from './figure.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress: [{name: anyone}]
  waf: {action: block, paranoia: 1}
`;

const SINK: HttpStreamSink = {
  requestHeaders() {}, requestData() {}, requestTrailers() {},
  responseHeaders() {}, responseData() {}, responseTrailers() {}, reset() {},
};
const connection = { id: 1, sourceAddress: '127.0.0.1', sourcePort: 40000, destinationAddress: '127.0.0.1', destinationPort: 8080 };

function getRequest(i: number, cold: boolean): HeaderList {
  const v = cold ? `${i}` : '';
  return [
    [':authority', 'orders.shop.svc.cluster.local'], [':path', `/api/orders/12345?expand=items${v}&currency=EUR`], [':method', 'GET'], [':scheme', 'http'],
    ['user-agent', `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.${v} Safari/537.36`],
    ['accept', 'application/json, text/plain, */*'], ['accept-language', 'en-GB,en;q=0.9,de;q=0.8'], ['accept-encoding', 'gzip, deflate, br'],
    ['referer', `https://shop.example.com/orders?page=${v}2`], ['cookie', `session=2f1c9e0a7b3d4e5f${v}; theme=dark; consent=yes`],
    ['x-request-id', '7c1f0f5e-3b0a-4f55-9a36-0d2e1b8c9a77'], ['x-forwarded-proto', 'https'], ['x-b3-traceid', '80f198ee56343ba864fe8b2a57d3eff7'],
    ['x-b3-spanid', 'e457b5a2e4d86bd1'], ['authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl'],
  ];
}

const WORDS = "the quick brown fox jumps over a lazy dog while customers select items from the list and order them quickly but carefully -- it's fine".split(' ');
function makeRandom(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}
function sentence(rnd: () => number): string {
  const n = 6 + Math.floor(rnd() * 12);
  return Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ') + (rnd() < 0.3 ? ", don't you think?" : '.');
}
function jsonBody(size: number, rnd: () => number): Buffer {
  const items: unknown[] = [];
  let n = 12;
  while (n < size - 200) {
    const it = { id: Math.floor(rnd() * 1e6), name: sentence(rnd).slice(0, 24), note: sentence(rnd), tags: ['gift', 'express'], price: Math.round(rnd() * 10000) / 100 };
    n += JSON.stringify(it).length + 1;
    items.push(it);
  }
  return Buffer.from(JSON.stringify({ items }));
}
function textBody(size: number, rnd: () => number): Buffer {
  let s = '';
  while (s.length < size) s += sentence(rnd) + ' ';
  return Buffer.from(s.slice(0, size));
}

function cpu(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const u = process.cpuUsage(start);
  return u.user + u.system;
}

function perGet(plugin: WasmPluginHandle, n: number, cold: boolean): number {
  return cpu(() => {
    for (let i = 0; i < n; i++) {
      const s = plugin.createHttpStream({ connection, protocol: 'HTTP/1.1' }, SINK);
      s.decodeHeaders(getRequest(i, cold), true);
      s.encodeHeaders([[':status', '200'], ['content-type', 'application/json'], ['content-length', '512']], true);
      s.complete();
    }
  }) / n;
}

function perPost(plugin: WasmPluginHandle, bodies: Buffer[], contentType: string, n: number): number {
  const headers: HeaderList = [[':authority', 'orders'], [':path', '/api/orders'], [':method', 'POST'], [':scheme', 'http'], ['content-type', contentType]];
  return cpu(() => {
    for (let i = 0; i < n; i++) {
      const s = plugin.createHttpStream({ connection, protocol: 'HTTP/1.1' }, SINK);
      s.decodeHeaders(headers.slice(), false);
      s.decodeData(bodies[i % bodies.length], true);
      s.encodeHeaders([[':status', '200']], true);
      s.complete();
    }
  }) / n;
}

export async function benchDetectionCpu(): Promise<void> {
  const { json } = compile(loadPolicies(POLICY, 'bench-policy.yaml'), { namespace: 'shop', name: 'orders', labels: { app: 'orders' } }, {});
  const noopVm = await createVm({ module: readFileSync(join(REPO_ROOT, 'dist/fixtures/noop-filter.wasm')) });
  const noop = noopVm.startPlugin({ name: 'noop', configuration: '' }).plugin!;
  const vm = await createVm({ module: readFileSync(FILTER_WASM), logger: { log() {} } });
  const started = vm.startPlugin({ name: 'meshward', configuration: json });
  if (!started.plugin) throw new Error(`bench: filter rejected its configuration: ${started.result.reason}`);
  const plugin = started.plugin;
  try {
    // GETs: warm (values repeat) and cold (every value new).
    perGet(plugin, 2000, false);
    perGet(noop, 2000, false);
    // Rounds of 2,000 requests through the no-op module, then warm, then cold, alternated; the
    // median round (one pass of 20,000 each gave 7 and 14.6 us for the same build).
    const gets: Array<{ base: number; warm: number; cold: number }> = [];
    for (let r = 0; r < 11; r++) {
      const base = perGet(noop, 2000, false);
      gets.push({ base, warm: perGet(plugin, 2000, false) - base, cold: perGet(plugin, 2000, true) - base });
    }
    const baseGet = median(gets.map((g) => g.base));
    for (const [kind, note] of [['warm', 'header values repeat (remembered clean)'], ['cold', 'every value new']] as const) {
      const xs = gets.map((g) => g[kind]);
      emit({
        bench: kind === 'warm' ? 'detection.cpu_per_benign_get' : 'detection.cpu_per_benign_get_cold', value: round(median(xs)), unit: 'us',
        baseline: { name: 'host with a no-op module', value: round(baseGet) }, headers: 15, note, rounds: xs.length,
        range_us: [round(Math.min(...xs)), round(Math.max(...xs))],
      });
    }
    // 4 KB JSON POSTs, all different.
    const rnd = makeRandom(7);
    const small = Array.from({ length: 2000 }, () => jsonBody(4096, rnd));
    perPost(plugin, small.slice(0, 200), 'application/json', 200);
    const basePost = perPost(noop, small, 'application/json', 2000);
    const post = perPost(plugin, small, 'application/json', 2000);
    emit({ bench: 'detection.cpu_per_json_post_4k', value: round(post - basePost), unit: 'us', baseline: { name: 'host with a no-op module', value: round(basePost) }, body_bytes: small[0].length });
    // Throughput over 256 KiB bodies: rounds of 16 requests through each module, alternated,
    // the median round reported (one pass of 64 requests swung by a third on a shared machine).
    for (const [kind, make, ct] of [['text', textBody, 'text/plain'], ['json', jsonBody, 'application/json']] as const) {
      const bodies = Array.from({ length: 16 }, () => make(256 * 1024, rnd));
      perPost(plugin, bodies, ct, 16);
      const rounds: Array<{ base: number; t: number; mbps: number }> = [];
      for (let r = 0; r < 15; r++) {
        const base = perPost(noop, bodies, ct, 16);
        const t = perPost(plugin, bodies, ct, 16);
        rounds.push({ base, t, mbps: bodies[0].length / (t - base) }); // bytes per microsecond = MB/s
      }
      rounds.sort((a, b) => a.mbps - b.mbps);
      const mid = rounds[Math.floor(rounds.length / 2)];
      emit({
        bench: `detection.body_scan_throughput_${kind}`, value: round(mid.mbps, 0), unit: 'MB/s',
        baseline: { name: 'host with a no-op module, per request', value: round(mid.base) }, body_bytes: bodies[0].length,
        filter_us_per_request: round(mid.t - mid.base), rounds: rounds.length,
        range_mbps: [round(rounds[0].mbps, 0), round(rounds[rounds.length - 1].mbps, 0)],
      });
    }
  } finally {
    await plugin.close();
    await noop.close();
    await vm.close();
    await noopVm.close();
  }
}
