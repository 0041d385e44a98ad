// `meshward replay` reproduces the verdicts seen live. Traffic goes through a live `meshward proxy`
// (protect: a request outside the policy and an SQL injection blocked, a card number in a
// response reported) while two captures record it on lo: `meshward capture` (the host agent's
// capture ring, pcap) and tshark (pcapng). tshark opens the first; `meshward replay` of each,
// with the same policy and peers, gives every request the verdict the proxy gave it and emits the
// same events.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMeshwardProxy, type MeshwardProxy } from '../../cli/commands/proxy.js';
import { startOrdersApp } from '../../cli/demo/orders-app.js';
import { createLogger } from '../../cli/logger.js';
import { EXAMPLES, FILTER_WASM } from '../../cli/paths.js';
import { ensureDebianPrograms } from '../support/debian-programs.js';
import { request, waitUntil } from '../support/control-plane-harness.js';
import { BIN } from '../support/up-process.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/orders", "/api/orders/*"]}]
    - name: admin
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      http: [{methods: [GET, POST, DELETE], paths: ["/**"]}]
  dlp: {action: alert, sensors: [credit-card]}
`;

/** A Redis the storefront may only read, behind \`meshward proxy --tcp\`. */
const CACHE_POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: cache, namespace: shop}
spec:
  selector: {matchLabels: {app: cache}}
  mode: protect
  ingress:
    - name: storefront-reads
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/storefront"}]
      redis: [{commands: [GET, PING]}]
`;

const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** Sends RESP commands one at a time over one connection from \`from\`; the first line of each reply. */
async function redisSession(port: number, from: string, commands: string[][]): Promise<string[]> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  await once(socket, 'connect');
  const replies: string[] = [];
  let buf = '';
  socket.on('data', (c: Buffer) => (buf += c.toString('latin1')));
  for (const c of commands) {
    buf = '';
    socket.write(resp(...c));
    await waitUntil(() => buf.includes('\r\n'), `the reply to ${c[0]}`, 5000);
    replies.push(buf.split('\r\n')[0]);
  }
  socket.end();
  await once(socket, 'close');
  return replies;
}

/** The traffic, with the status the live proxy must give each request. */
const TRAFFIC: Array<{ method: string; path: string; from: string; status: number }> = [
  { method: 'GET', path: '/api/orders', from: '127.0.0.1', status: 200 },
  { method: 'DELETE', path: '/api/orders/1', from: '127.0.0.3', status: 403 },
  { method: 'GET', path: "/api/orders?id=1'%20OR%20'1'%3D'1", from: '127.0.0.66', status: 403 },
  { method: 'GET', path: '/api/orders/export', from: '127.0.0.66', status: 200 },
  { method: 'DELETE', path: '/api/orders/2', from: '127.0.0.4', status: 200 },
];

interface Ev {
  kind: string;
  action: string;
  http?: { method?: string; path?: string };
  rule?: { id?: string } | null;
  source?: { ip?: string };
}

/** The live proxy's per-request events (its flow records count a tick's requests: replay leaves them out). */
function perRequest(into: Ev[], line: string): void {
  const e = JSON.parse(line) as Ev;
  if (!e.kind.startsWith('flow.')) into.push(e);
}

const eventKey = (e: Ev) => `${e.kind} ${e.action} ${e.http?.method ?? ''} ${e.http?.path ?? ''} ${e.rule?.id ?? ''} ${e.source?.ip ?? ''}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a capture process and resolves once it says it captures (on stderr). */
async function startCapture(cmd: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${err}`)));
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (ready.test(err)) resolve();
    });
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, `${cmd} ${args.join(' ')}: ${err}`);
    },
  };
}

describe('meshward replay reproduces the live verdicts', { timeout: 600_000, skip: isRoot ? false : 'captures need root (CAP_NET_RAW)' }, () => {
  let dir: string;
  let app: { url: string; close(): Promise<void> };
  let proxy: MeshwardProxy;
  let cache: MeshwardProxy;
  let cacheFile: string;
  let cacheReplies: string[] = [];
  const liveTcp: Ev[] = [];
  const live: Ev[] = [];
  const statuses: number[] = [];
  let ringPcap: string;
  let tsharkPcapng: string;
  let policyFile: string;
  let marker: net.Server;
  let proxyPort = 0;
  let cachePort = 0;

  before(async () => {
    ensureDebianPrograms('tshark');
    dir = mkdtempSync(join(tmpdir(), 'meshward-replay-'));
    policyFile = join(dir, 'orders.yaml');
    writeFileSync(policyFile, POLICY);
    ringPcap = join(dir, 'ring.pcap');
    tsharkPcapng = join(dir, 'tshark.pcapng');
    app = await startOrdersApp();
    proxy = await startMeshwardProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: app.url,
      policies: [policyFile],
      workload: { namespace: 'shop', name: 'orders' },
      labels: { app: 'orders' },
      fail: 'closed',
      upstreamProtocol: 'auto',
      noFilter: false,
      wasm: FILTER_WASM,
      peersFile: join(EXAMPLES, 'up/peers.yaml'),
      logger: createLogger('error', (line) => perRequest(live, line), () => {}),
      watch: false,
    });
    cacheFile = join(dir, 'cache.yaml');
    writeFileSync(cacheFile, CACHE_POLICY);
    cache = await startMeshwardProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: 'tcp://127.0.0.1:6379',
      tcp: true,
      policies: [cacheFile],
      workload: { namespace: 'shop', name: 'cache' },
      labels: { app: 'cache' },
      fail: 'closed',
      upstreamProtocol: 'auto',
      noFilter: false,
      wasm: FILTER_WASM,
      peersFile: join(EXAMPLES, 'up/peers.yaml'),
      logger: createLogger('error', (line) => perRequest(liveTcp, line), () => {}),
      watch: false,
    });
    cachePort = cache.proxy.address.port;
    const port = (proxyPort = proxy.proxy.address.port);
    const ring = await startCapture(process.execPath, [BIN, 'capture', '--output', ringPcap, '--port', String(port), '--port', String(cachePort)], /capturing TCP/);
    // tshark says "Capturing on" a moment before its filter sees packets: it is ready once it
    // printed a packet of a marker connection, made to a port of our own until it shows.
    marker = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => marker.listen(0, '127.0.0.1', r));
    const markerPort = (marker.address() as AddressInfo).port;
    const tshark = await startCapture('tshark', ['-i', 'lo', '-f', `tcp port ${port} or tcp port ${cachePort} or tcp port ${markerPort}`, '-w', tsharkPcapng, '-P', '-l'], /Capturing on/);
    let seen = '';
    tshark.child.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    const deadline = Date.now() + 15_000;
    while (!seen.includes(String(markerPort))) {
      if (Date.now() > deadline) throw new Error('tshark showed no packet of the marker connection');
      await new Promise<void>((r) => net.connect(markerPort, '127.0.0.1').once('close', () => r()).once('error', () => r()));
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      for (const t of TRAFFIC) statuses.push((await request(`http://127.0.0.1:${port}${t.path}`, { method: t.method, from: t.from })).status);
      // The filter flushes its events on a short timer; wait for the leak, the last one.
      cacheReplies = await redisSession(cachePort, '127.0.0.3', [['PING'], ['GET', 'meshward:replay'], ['DEL', 'meshward:replay'], ['PING']]);
      await waitUntil(() => live.some((e) => e.kind === 'dlp.leak'), 'the live events', 10_000);
      await waitUntil(() => liveTcp.some((e) => e.kind === 'tcp.policy'), 'the live TCP event', 10_000);
    } finally {
      await ring.stop();
      await tshark.stop();
    }
  });
  after(async () => {
    await proxy?.close();
    await cache?.close();
    await app?.close();
    marker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the live proxy gave the expected verdicts and events', () => {
    assert.deepEqual(statuses, TRAFFIC.map((t) => t.status));
    assert.deepEqual(live.map((e) => e.kind).sort(), ['dlp.leak', 'http.attack', 'http.policy']);
  });

  it('the live TCP proxy refused the DEL and kept the connection', () => {
    assert.deepEqual(cacheReplies.map((r) => r.slice(0, 4)), ['+PON', '$-1', '-ERR', '+PON']);
    assert.deepEqual(liveTcp.map((e) => `${e.kind} ${e.action}`), ['tcp.policy block']);
  });

  it('tshark opens the capture `meshward capture` wrote, with every request in it', () => {
    const r = spawnSync('tshark', ['-r', ringPcap, '-Y', 'http.request', '-T', 'fields', '-e', 'ip.src', '-e', 'http.request.method', '-e', 'http.request.uri'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows.map(([ip, m, uri]) => `${ip} ${m} ${decodeURIComponent(uri)}`), TRAFFIC.map((t) => `${t.from} ${t.method} ${decodeURIComponent(t.path)}`));
  });

  for (const [name, file] of [['meshward capture (pcap)', () => ringPcap], ['tshark (pcapng)', () => tsharkPcapng]] as const) {
    it(`replaying the ${name} capture gives each request its live verdict and the same events`, () => {
      const r = run(['replay', file(), '--policy', policyFile, '--workload', 'shop/orders', '--labels', 'app=orders', '--peers', join(EXAMPLES, 'up/peers.yaml'), '--port', String(proxyPort), '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.trim(), `no output from replaying ${file()} (${statSync(file()).size} bytes): ${r.stderr}`);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; request?: string; verdict?: string; status?: number; event?: Ev });
      const verdicts = lines.filter((l) => l.type === 'verdict');
      // Node's client sends ' as %27: requests compare decoded.
      assert.deepEqual(verdicts.map((v) => `${decodeURIComponent(v.request!)} ${v.verdict}${v.status ? ` ${v.status}` : ''}`), TRAFFIC.map((t, i) => `${t.method} ${decodeURIComponent(t.path)} ${statuses[i] === 403 ? 'blocked 403' : 'allowed'}`));
      const replayed = lines.filter((l) => l.type === 'event').map((l) => eventKey(l.event!)).sort();
      assert.deepEqual(replayed, live.map(eventKey).sort());
    });
  }

  for (const [name, file] of [['meshward capture (pcap)', () => ringPcap], ['tshark (pcapng)', () => tsharkPcapng]] as const) {
    it(`replaying the TCP stream of the ${name} capture through the network filter gives the live events`, () => {
      const r = run(['replay', file(), '--policy', cacheFile, '--workload', 'shop/cache', '--labels', 'app=cache', '--peers', join(EXAMPLES, 'up/peers.yaml'), '--port', String(cachePort), '--json']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; protocol?: string; event?: Ev & Record<string, unknown> });
      assert.deepEqual(lines.filter((l) => l.type === 'verdict').map((l) => `${l.protocol} ${(l as { verdict?: string }).verdict}`), ['tcp blocked']);
      const strip = (e: Record<string, unknown>) => JSON.stringify({ ...e, id: undefined, time: undefined, source: { ...(e.source as object), port: undefined }, destination: undefined, connection: undefined, duration_ms: undefined });
      const replayed = lines.filter((l) => l.type === 'event').map((l) => l.event!);
      assert.deepEqual(replayed.map((e) => `${e.kind} ${e.action}`), liveTcp.map((e) => `${e.kind} ${e.action}`));
      assert.deepEqual(replayed.map(strip), (liveTcp as unknown as Array<Record<string, unknown>>).map(strip));
    });
  }

  it('prints a table by default', () => {
    const r = run(['replay', ringPcap, '--policy', policyFile, '--workload', 'shop/orders', '--labels', 'app=orders', '--peers', join(EXAMPLES, 'up/peers.yaml'), '--port', String(proxyPort)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5 connections \(5 HTTP, 0 TCP\), 5 requests/);
    assert.match(r.stdout, /127\.0\.0\.3:\d+\s+127\.0\.0\.1:\d+\s+DELETE \/api\/orders\/1\s+blocked 403/);
    assert.match(r.stdout, /dlp\.leak\s+high\s+alert\s+127\.0\.0\.66\s+GET \/api\/orders\/export\s+dlp\/credit-card/);
  });
});
