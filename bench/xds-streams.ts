// xDS at scale: N concurrent ADS streams, each on its own connection, from clients in a separate
// process. Two figures per N, each next to a floor measured in the same run with the same
// client code:
// - xds.push_all_acked: from a policy change (recompiling every workload and publishing the
//   snapshots) to every stream's ACK of the push; the floor is a bare @grpc/grpc-js server
//   writing one identical message, encoded once per push, to every stream and counting the
//   replies that ACK it (decoding each, the least an xDS server must do to know it was ACKed).
// - xds.idle_stream_memory: server RSS per idle stream (after every stream got its first
//   configuration and ACKed it); the floor holds bare grpc-js streams that got one message. Also
//   the marginal cost: the RSS the second half of the streams added, per stream.
//
// Every server and each server's clients run in child processes of their own (this file, with a
// role argument), so each server starts from a fresh heap; both servers hold their streams at
// once and their changes alternate (measure()). N is a parameter; the default runs
// 1,000, 5,000 and 10,000. Each stream needs a descriptor on each side: the children inherit
// `ulimit -n` (a process cannot raise it past the hard limit), and N is skipped, with a line
// saying so, when it would not fit. XDS_BENCH_CPU_PROF=server-meshward (or server-floor,
// clients) runs that child with --cpu-prof.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadPolicies } from '../control-plane/src/policy/index.js';
import {
  discoveryCodecs,
  ecdsResources,
  meshwardRules,
  METHOD,
  PolicyDistributor,
  SnapshotCache,
  TYPE_URL,
  XdsServer,
  type DeltaDiscoveryResponseMsg,
  type DiscoveryResponseMsg,
  type WorkloadEntry,
} from '../control-plane/src/xds/index.js';
import { emit, median, round } from './figure.js';

export interface XdsStreamsOptions {
  /** Stream counts to measure (default 1000, 5000, 10000). */
  counts?: number[];
  /** Streams per workload: each workload's configuration is compiled once and sent to this many
   * streams (default 10, as 10 replicas). */
  streamsPerWorkload?: number;
  /** 'delta' (what `meshward proxy` uses, default) or 'sotw'. */
  protocol?: 'delta' | 'sotw';
  /** Policy changes measured per N and server, after one unmeasured change each; the median is
   * reported. Default: about 100,000 stream pushes per server, at least 10 (100 at 1,000
   * streams, whose changes take tens of ms and swing by half between neighbours). */
  rounds?: number;
}

const SELF = fileURLToPath(import.meta.url);
const NAMESPACE = 'bench';

/** The bench's policy; `change` (its number, -1 before any) goes into a path so that every
 * change is new content: alternating only the mode would repeat earlier documents, which a cache
 * keyed on content could answer without compiling. */
function policies(mode: 'monitor' | 'protect', change = -1) {
  return loadPolicies(`apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: bench, namespace: ${NAMESPACE}}
spec:
  selector: {matchLabels: {tier: bench}}
  mode: ${mode}
  ingress:
    - name: reads
      from: [{principal: "spiffe://cluster.local/ns/${NAMESPACE}/sa/frontend"}]
      http: [{methods: [GET], paths: ["/api/orders", "/api/orders/*", "/api/v${change + 1}/orders"]}]
    - name: admin
      from: [{principal: "spiffe://cluster.local/ns/${NAMESPACE}/sa/admin"}]
      http: [{methods: [GET, POST, DELETE], paths: ["/**"]}]
`);
}

const workloadName = (i: number): string => `w${i}`;

// ---- orchestration (the bench process) ---------------------------------------------------------

interface ServerReport {
  ms: number;
  publishMs: number;
  /** CPU time (user + system) the server process spent on the change. */
  cpuMs: number;
  nacks: number;
}

interface MemoryReport {
  rss: number;
  heapUsed: number;
}

type Msg = { type: string; [k: string]: unknown };

class Child {
  private readonly queue: Msg[] = [];
  private readonly waiters: ((m: Msg) => void)[] = [];
  readonly exited: Promise<unknown>;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Msg) => {
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    this.exited = once(proc, 'exit');
  }

  static start(args: string[]): Child {
    // XDS_BENCH_CPU_PROF=<role> profiles that child (--cpu-prof into the working directory).
    const prof = process.env.XDS_BENCH_CPU_PROF === args[1] ? ['--cpu-prof'] : [];
    return new Child(fork(SELF, args, { execArgv: ['--expose-gc', ...prof], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  }

  async next(type: string): Promise<Msg> {
    const m = this.queue.shift() ?? (await Promise.race([new Promise<Msg>((r) => this.waiters.push(r)), this.exited.then(() => ({ type: 'exit' }) as Msg)]));
    if (m.type === 'error') throw new Error(String(m.message));
    if (m.type !== type) throw new Error(`expected ${type} from child, got ${JSON.stringify(m)}`);
    return m;
  }

  send(m: Msg): void {
    this.proc.send(m);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill();
    await this.exited;
  }
}

/** A server child with its clients connected: idle, every stream ACKed its first push. */
interface Running {
  server: Child;
  clients: Child;
  connectMs: number;
  /** RSS growth from before the first connection to all N idle, over N. */
  bytesPerStream: number;
  heapPerStream: number;
  /** RSS growth from N/2 to N idle streams, over N/2: the cost of one more stream, without
   * what grows once whatever the count (V8's young generation, compiled code). */
  marginalBytesPerStream: number;
}

async function startServer(kind: 'meshward' | 'floor', n: number, o: Required<XdsStreamsOptions>): Promise<Running> {
  const server = Child.start(['--role', `server-${kind}`, String(n), String(o.streamsPerWorkload), o.protocol]);
  let clients: Child | undefined;
  try {
    const { port } = (await server.next('listening')) as unknown as { port: number };
    server.send({ type: 'memory' });
    const before = (await server.next('memory')) as unknown as MemoryReport;
    const started = performance.now();
    clients = Child.start(['--role', 'clients', String(n), String(port), String(o.streamsPerWorkload), o.protocol]);
    const half = Math.floor(n / 2);
    await clients.next('connected');
    server.send({ type: 'ready', streams: half });
    await server.next('ready');
    server.send({ type: 'memory' });
    const halfway = (await server.next('memory')) as unknown as MemoryReport;
    clients.send({ type: 'more' });
    await clients.next('connected');
    server.send({ type: 'ready', streams: n });
    await server.next('ready');
    const connectMs = performance.now() - started;
    server.send({ type: 'memory' });
    const idle = (await server.next('memory')) as unknown as MemoryReport;
    return {
      server,
      clients,
      connectMs,
      bytesPerStream: (idle.rss - before.rss) / n,
      heapPerStream: (idle.heapUsed - before.heapUsed) / n,
      marginalBytesPerStream: (idle.rss - halfway.rss) / (n - half),
    };
  } catch (err) {
    await clients?.stop();
    await server.stop();
    throw err;
  }
}

async function change(kind: string, r: Running, round: number): Promise<ServerReport> {
  r.server.send({ type: 'change', round });
  const rep = (await r.server.next('changed')) as unknown as ServerReport;
  if (rep.nacks > 0) throw new Error(`${kind}: ${rep.nacks} NACKs during the bench`);
  return rep;
}

async function stop(r: Running | undefined): Promise<void> {
  await r?.clients.stop();
  await r?.server.stop();
}

interface Measured {
  ours: ServerReport[];
  floor: ServerReport[];
  oursIdle: Running;
  floorIdle: Running;
}

/** Both servers hold their N streams at once, and their changes alternate (floor first, then
 * ours first, and so on), so that a slower or faster stretch of the machine falls on both: on
 * this kind of VM, back-to-back runs of one build differed by a third. One unmeasured change
 * each comes first (JIT warm-up, young generation growth). Connecting and the idle memory are
 * measured for each server while the other is idle. */
async function measure(n: number, o: Required<XdsStreamsOptions>): Promise<Measured> {
  let floor: Running | undefined;
  let ours: Running | undefined;
  try {
    floor = await startServer('floor', n, o);
    ours = await startServer('meshward', n, o);
    const f: ServerReport[] = [];
    const m: ServerReport[] = [];
    await change('floor', floor, 0);
    await change('meshward', ours, 0);
    for (let r = 1; r <= o.rounds; r++) {
      if (r % 2 === 1) {
        f.push(await change('floor', floor, r));
        m.push(await change('meshward', ours, r));
      } else {
        m.push(await change('meshward', ours, r));
        f.push(await change('floor', floor, r));
      }
    }
    return { ours: m, floor: f, oursIdle: ours, floorIdle: floor };
  } finally {
    await stop(ours);
    await stop(floor);
  }
}

/** Descriptors a process may open (soft limit), or undefined when unknown. */
async function openFileLimit(): Promise<number | undefined> {
  try {
    const { readFileSync } = await import('node:fs');
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

export async function benchXdsStreams(options: XdsStreamsOptions = {}): Promise<void> {
  const base = {
    counts: options.counts ?? [1000, 5000, 10000],
    streamsPerWorkload: options.streamsPerWorkload ?? 10,
    protocol: options.protocol ?? 'delta',
  };
  const limit = await openFileLimit();
  for (const n of base.counts) {
    const o: Required<XdsStreamsOptions> = { ...base, rounds: options.rounds ?? Math.max(10, Math.ceil(100_000 / n)) };
    // Each server and each client process holds one descriptor per stream.
    if (limit !== undefined && n + 200 > limit) {
      process.stderr.write(`xds-streams: skipping ${n} streams: ulimit -n is ${limit} (each side needs one descriptor per stream)\n`);
      continue;
    }
    const { ours, floor, oursIdle, floorIdle } = await measure(n, o);
    const common = { streams: n, workloads: Math.ceil(n / o.streamsPerWorkload), protocol: o.protocol };
    const pushMs = median(ours.map((r) => r.ms));
    const floorMs = median(floor.map((r) => r.ms));
    const pairRatios = ours.map((r, i) => r.ms / floor[i].ms).sort((a, b) => a - b);
    const quartile = (q: number): number => round(pairRatios[Math.floor(q * (pairRatios.length - 1))], 2);
    emit({
      bench: 'xds.push_all_acked',
      value: round(pushMs, 1),
      unit: 'ms',
      baseline: { name: 'bare @grpc/grpc-js server pushing one identical message', value: round(floorMs, 1) },
      // Each of our changes over the floor's change beside it (alternated, so a slower stretch
      // of the machine falls on both): the median, and the lower and upper quartiles. The ratio
      // of the two medians is printed too; it moves with drift between rounds, the pairs less.
      ratio: quartile(0.5),
      pair_ratio_quartiles: [quartile(0.25), quartile(0.5), quartile(0.75)],
      ratio_of_medians: round(pushMs / floorMs, 2),
      rounds: o.rounds,
      compile_and_publish_ms: round(median(ours.map((r) => r.publishMs)), 1),
      // Less sensitive to other load on the machine than the times: the server's CPU time.
      server_cpu_ms: round(median(ours.map((r) => r.cpuMs)), 1),
      floor_server_cpu_ms: round(median(floor.map((r) => r.cpuMs)), 1),
      ...common,
    });
    emit({
      bench: 'xds.idle_stream_memory',
      value: round(oursIdle.bytesPerStream / 1024, 1),
      unit: 'KB/stream',
      baseline: { name: 'bare @grpc/grpc-js stream (RSS)', value: round(floorIdle.bytesPerStream / 1024, 1) },
      heap_kb_per_stream: round(oursIdle.heapPerStream / 1024, 1),
      floor_heap_kb_per_stream: round(floorIdle.heapPerStream / 1024, 1),
      // RSS added by the second half of the streams, per stream: without the fixed growth (about
      // 40 MB in both servers at the first thousand streams) that dominates the figure above at 1,000.
      marginal_kb_per_stream: round(oursIdle.marginalBytesPerStream / 1024, 1),
      floor_marginal_kb_per_stream: round(floorIdle.marginalBytesPerStream / 1024, 1),
      connect_all_ms: round(oursIdle.connectMs, 0),
      ...common,
    });
  }
}

// ---- children ---------------------------------------------------------------------------------

function reply(m: Msg): void {
  process.send!(m);
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function memory(): MemoryReport {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** The ACKs a server child counted, and the one wait on them: at(total, fn) calls fn once the
 * count reaches total (at once if it has). */
class AckCount {
  count = 0;
  private target = Infinity;
  private onTarget: (() => void) | undefined;

  add(): void {
    if (++this.count >= this.target) this.fire();
  }

  at(total: number, fn: () => void): void {
    this.target = total;
    this.onTarget = fn;
    if (this.count >= total) this.fire();
  }

  private fire(): void {
    const fn = this.onTarget;
    this.onTarget = undefined;
    this.target = Infinity;
    fn?.();
  }
}

/** What both server children answer alike: a memory reading, and 'ready' once every stream so
 * far (m.streams) got its first configuration and ACKed it. */
function answerIdle(m: Msg, acks: AckCount): void {
  if (m.type === 'memory') reply({ type: 'memory', ...memory() });
  if (m.type === 'ready') acks.at(Number(m.streams), () => reply({ type: 'ready' }));
}

/** Times a change from now to `streams` more ACKs, then reports it with `rest`. */
function timeChange(acks: AckCount, streams: number, rest: () => Omit<ServerReport, 'ms' | 'cpuMs'>): void {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  acks.at(acks.count + streams, () => reply({ type: 'changed', ms: performance.now() - t0, cpuMs: cpuMs(cpu0), ...rest() }));
}

/** The Meshward control plane: distributor → cache → server, one workload per
 * streamsPerWorkload streams. A change flips the policy's mode, so every workload's
 * configuration is recompiled and changes. */
async function serverMeshward(n: number, perWorkload: number): Promise<void> {
  const workloads = Math.ceil(n / perWorkload);
  const inventory: WorkloadEntry[] = Array.from({ length: workloads }, (_, i) => ({ namespace: NAMESPACE, name: workloadName(i), labels: { tier: 'bench' } }));
  const cache = new SnapshotCache({ rules: meshwardRules });
  const distributor = new PolicyDistributor({ cache, wasm: { code: { local: { filename: '/etc/meshward/meshward.wasm' } } } });
  distributor.update({ policies: policies('monitor'), inventory });
  distributor.publish();
  const acks = new AckCount();
  let nacks = 0;
  const server = await XdsServer.start({
    watcher: cache,
    nodeKey: distributor.nodeKey,
    hooks: {
      onAck: () => acks.add(),
      onNack: () => void nacks++,
    },
  });
  reply({ type: 'listening', port: server.port });
  let mode: 'monitor' | 'protect' = 'monitor';
  process.on('message', (m: Msg) => {
    answerIdle(m, acks);
    if (m.type === 'change') {
      mode = mode === 'monitor' ? 'protect' : 'monitor';
      nacks = 0;
      let publishMs = 0;
      timeChange(acks, n, () => ({ publishMs, nacks }));
      distributor.update({ policies: policies(mode, Number(m.round)) });
      publishMs = distributor.publish().durationMs;
    }
  });
}

/** The floor: a bare grpc-js server on the same method, answering each stream's first request
 * and then, on a change, writing one message (encoded once, a nonce of its own) to every stream
 * and counting the replies that ACK it (decoded, as any xDS server must to tell an ACK). */
async function serverFloor(n: number, protocol: 'delta' | 'sotw'): Promise<void> {
  const codecs = discoveryCodecs();
  // A message of the size Meshward sends: one workload's HTTP filter configuration.
  const { compile } = await import('../control-plane/src/compile/index.js');
  const compiled = compile(policies('protect'), { namespace: NAMESPACE, name: workloadName(0), labels: { tier: 'bench' } });
  const [http] = ecdsResources({ namespace: NAMESPACE, name: workloadName(0) }, compiled.json, { code: { local: { filename: '/etc/meshward/meshward.wasm' } } });
  // One message per push, the same for every stream, with a nonce of its own per push.
  const encode = (nonce: string): Buffer =>
    protocol === 'delta'
      ? codecs.deltaResponse.encode({ system_version_info: http.version, resources: [{ name: http.name, version: http.version, resource: { type_url: TYPE_URL.extensionConfig, value: http.body } }], type_url: TYPE_URL.extensionConfig, removed_resources: [], nonce })
      : codecs.response.encode({ version_info: http.version, resources: [{ type_url: TYPE_URL.extensionConfig, value: http.body }], type_url: TYPE_URL.extensionConfig, nonce });
  let pushes = 1;
  let nonce = String(pushes);
  let message = encode(nonce);
  const calls: grpc.ServerDuplexStream<Reply, Buffer>[] = [];
  const acks = new AckCount();
  const raw = (b: Buffer): Buffer => b;
  const server = new grpc.Server();
  const path = protocol === 'delta' ? METHOD.adsDelta : METHOD.adsSotw;
  // What any xDS server must do with a reply to know a push was ACKed, and no more: decode it
  // and see that it answers the latest push (its nonce) without error_detail.
  type Reply = { response_nonce: string; error_detail?: unknown };
  const decode: (b: Buffer) => Reply = protocol === 'delta' ? codecs.deltaRequest.decode : codecs.request.decode;
  server.addService(
    { Stream: { path, requestStream: true, responseStream: true, requestSerialize: raw, requestDeserialize: decode, responseSerialize: raw, responseDeserialize: raw } },
    {
      Stream: (call: grpc.ServerDuplexStream<Reply, Buffer>) => {
        let first = true;
        calls.push(call);
        call.on('data', (r: Reply) => {
          if (first) {
            first = false;
            call.write(message);
            return;
          }
          if (r.response_nonce === nonce && !r.error_detail) acks.add();
        });
        call.on('error', () => {});
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  reply({ type: 'listening', port });
  process.on('message', (m: Msg) => {
    answerIdle(m, acks);
    if (m.type === 'change') {
      timeChange(acks, n, () => ({ publishMs: 0, nacks: 0 }));
      nonce = String(++pushes);
      message = encode(nonce);
      for (const call of calls) call.write(message);
    }
  });
}

/** N xDS clients, each its own HTTP/2 connection with one ADS stream, written against
 * node:http2 (gRPC framing by hand) so the client process stays light; each ACKs every
 * response at once, as Envoy does. */
async function clients(n: number, port: number, perWorkload: number, protocol: 'delta' | 'sotw'): Promise<void> {
  const codecs = discoveryCodecs();
  const path = protocol === 'delta' ? METHOD.adsDelta : METHOD.adsSotw;
  const frame = (body: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(body.length, 1);
    return Buffer.concat([head, body]);
  };
  const sessions: http2.ClientHttp2Session[] = [];
  let connected = 0;
  const open = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const name = workloadName(Math.floor(i / perWorkload));
      const node = {
        id: `sidecar~10.0.${(i >> 8) & 255}.${i & 255}~${name}-${i}.${NAMESPACE}~${NAMESPACE}.svc.cluster.local`,
        metadata: { fields: { NAMESPACE: { stringValue: NAMESPACE }, WORKLOAD_NAME: { stringValue: name } } },
      };
      const resource = `meshward.http.${NAMESPACE}.${name}`;
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      sessions.push(session);
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', reject);
      let pending: Buffer = Buffer.alloc(0);
      let first = true;
      stream.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= 5) {
          const len = pending.readUInt32BE(1);
          if (pending.length < 5 + len) break;
          const body = pending.subarray(5, 5 + len);
          pending = pending.subarray(5 + len);
          if (protocol === 'delta') {
            const r: DeltaDiscoveryResponseMsg = codecs.deltaResponse.decode(body);
            stream.write(frame(codecs.deltaRequest.encode({ type_url: r.type_url, response_nonce: r.nonce, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {} })));
          } else {
            const r: DiscoveryResponseMsg = codecs.response.decode(body);
            stream.write(frame(codecs.request.encode({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: [resource] })));
          }
          if (first) {
            first = false;
            connected++;
            resolve();
          }
        }
      });
      if (protocol === 'delta') {
        stream.write(frame(codecs.deltaRequest.encode({ node, type_url: TYPE_URL.extensionConfig, resource_names_subscribe: [resource], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '' })));
      } else {
        stream.write(frame(codecs.request.encode({ node, type_url: TYPE_URL.extensionConfig, resource_names: [resource], version_info: '', response_nonce: '' })));
      }
    });
  // Open in waves: a burst of 10,000 SYNs would overflow the listen backlog.
  const wave = 250;
  const openUpTo = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += wave) {
      await Promise.all(Array.from({ length: Math.min(wave, to - i) }, (_, k) => open(i + k)));
    }
  };
  // Half first, the rest when asked: the server's memory is read in between (marginal cost).
  const half = Math.floor(n / 2);
  await openUpTo(0, half);
  reply({ type: 'connected', streams: connected });
  process.once('message', (m: Msg) => {
    if (m.type !== 'more') return;
    void openUpTo(half, n).then(() => reply({ type: 'connected', streams: connected }));
  });
  process.on('disconnect', () => {
    for (const s of sessions) s.destroy();
    process.exit(0);
  });
}

async function child(argv: string[]): Promise<void> {
  const [role, ...rest] = argv;
  process.on('SIGTERM', () => process.exit(0)); // a normal exit (writes --cpu-prof output)
  process.on('uncaughtException', (err) => {
    reply({ type: 'error', message: `${role}: ${err.stack ?? err.message}` });
    process.exit(1);
  });
  if (role === 'server-meshward') await serverMeshward(Number(rest[0]), Number(rest[1]));
  else if (role === 'server-floor') await serverFloor(Number(rest[0]), rest[2] as 'delta' | 'sotw');
  else if (role === 'clients') await clients(Number(rest[0]), Number(rest[1]), Number(rest[2]), rest[3] as 'delta' | 'sotw');
  else throw new Error(`unknown role ${role}`);
}

const roleAt = process.argv.indexOf('--role');
if (roleAt >= 0 && process.send) {
  void child(process.argv.slice(roleAt + 1));
} else if (process.argv[1] === SELF) {
  // `node dist/bench/xds-streams.js [N ...] [--sotw]`: this bench alone
  const counts = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
  await benchXdsStreams({ counts: counts.length > 0 ? counts : undefined, protocol: process.argv.includes('--sotw') ? 'sotw' : 'delta' });
}
