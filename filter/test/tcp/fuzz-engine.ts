// Fuzzing the network filter's parsers (identification, PostgreSQL, MySQL, Redis, the SQL
// classifier behind them) through the compiled module in the proxy-wasm host: inputs mutated
// from the checked-in corpus (filter/test/corpus/tcp/<target>/), delivered in random pieces in
// both directions, many per connection, in protect mode with statement rules and small limits
// so that every path (holding, truncation, denial, rewrite, overflow) is taken. The VM must
// never trap, and its linear memory must stop growing once warm. Used by the test suite (a
// short run) and by `npm run fuzz:tcp` (10^6 inputs per target).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVm } from '../../../host-agent/src/wasm-host/index.js';
import type { NetworkFilterStream, WasmPluginHandle, WasmPluginNetwork, WasmVmHandle } from '../../../host-agent/src/wasm-host/api.js';
import { config, prng, rule, wasmModule } from '../helpers.js';

export const TARGETS = ['identify', 'postgres', 'mysql', 'redis'] as const;
export type Target = (typeof TARGETS)[number];

export const CORPUS_DIR = new URL('../../../../filter/test/corpus/tcp/', import.meta.url).pathname;

export interface FuzzResult {
  target: Target;
  inputs: number;
  connections: number;
  trapped: boolean;
  memoryWarm: number;
  memoryEnd: number;
  ms: number;
  failure?: string;
}

interface Seed {
  /** 'c' client bytes, 's' server bytes */
  dir: 'c' | 's';
  bytes: Buffer;
}

/** Corpus files: <name>.c.bin (client) or <name>.s.bin (server). */
export function loadCorpus(target: Target): Seed[] {
  const dir = join(CORPUS_DIR, target);
  return readdirSync(dir).filter((f) => f.endsWith('.bin')).sort().map((f) => ({
    dir: f.endsWith('.s.bin') ? 's' : 'c',
    bytes: readFileSync(join(dir, f)),
  }));
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0d, 0x0a, 0x2a, 0x24, 0x3b, 0x27, 0x22, 0x2d];

export function mutate(rnd: () => number, input: Buffer, seeds: Seed[]): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const at = b.length === 0 ? 0 : Math.floor(rnd() * b.length);
    switch (Math.floor(rnd() * 9)) {
      case 0: if (b.length) b[at] ^= 1 << Math.floor(rnd() * 8); break;
      case 1: if (b.length) b[at] = INTERESTING[Math.floor(rnd() * INTERESTING.length)]; break;
      case 2: b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256))), b.subarray(at)]); break;
      case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rnd() * 16)))]); break;
      case 4: { const n = Math.floor(rnd() * 32); b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]); break; }
      case 5: { const o = seeds[Math.floor(rnd() * seeds.length)].bytes; const s = Math.floor(rnd() * o.length); b = Buffer.concat([b.subarray(0, at), o.subarray(s, s + Math.floor(rnd() * 64))]); break; }
      case 6: b = b.subarray(0, at); break;
      case 7: if (b.length >= at + 4) b.writeUInt32BE([0xffffffff, 0x7fffffff, 0x00ffffff, 0x10000, 4, 0][Math.floor(rnd() * 6)], at); break;
      default: if (b.length >= at + 3) b.writeUIntLE(Math.floor(rnd() * 0xffffff), at, 3); break;
    }
  }
  return b;
}

function fuzzConfig(): string {
  const c = config({
    mode: 'protect',
    ingress: [
      rule({
        name: 'reader',
        postgres: [{ statements: ['SELECT', 'INSERT', 'SESSION', 'TRANSACTION'], tables: ['orders', 'items', 'audit_*'] }],
        mysql: [{ statements: ['SELECT', 'INSERT'], tables: ['orders'] }],
        redis: [{ commands: ['get', 'set', '@read', 'multi', 'exec', 'ping'], keys: ['session:*'] }],
        protocols: ['postgres', 'mysql', 'redis', 'http', 'tls', 'ssh'],
      }),
    ],
  });
  return JSON.stringify({ ...c, egress: [{ id: 'e', name: 'e', to: [{ fqdn: '*.example.com', ports: [443] }] }], tcp: { threats: 'block', maxStatementBytes: 256, maxIdentifyBytes: 128 } });
}

class Sink {
  closed = false;
  upstreamWrite(): void {}
  downstreamWrite(): void {}
  close(): void {
    this.closed = true;
  }
}

export interface FuzzOptions {
  target: Target;
  inputs: number;
  seed: number;
  /** Inputs delivered on one connection before it is closed. */
  perConnection?: number;
  /** Where an input that trapped is written. */
  crashDir?: string;
  /** Called before each piece is delivered (debugging a hang: the last call names it). */
  trace?: (connection: number, dir: 'c' | 's', piece: Buffer) => void;
}

/** Run one target; never throws for a trap (reported in the result). */
export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const rnd = prng(o.seed);
  const seeds = loadCorpus(o.target);
  if (seeds.length === 0) throw new Error(`no corpus for ${o.target}`);
  const vm: WasmVmHandle = await createVm({ module: wasmModule(), vmId: `fuzz-${o.target}`, logger: { log: () => {} }, logLevel: 'critical' });
  const started = vm.startPlugin({ name: 'meshward', rootId: 'meshward', configuration: fuzzConfig() });
  if (!started.plugin) throw new Error(`the filter refused the fuzz configuration: ${started.result.reason}`);
  const plugin = started.plugin as WasmPluginHandle & WasmPluginNetwork;
  const memory = () => (vm as unknown as { vm: { memory: { size: number } } }).vm.memory.size;
  const per = o.perConnection ?? 40;
  const t0 = Date.now();
  let inputs = 0;
  let connections = 0;
  let memoryWarm = 0;
  let failure: string | undefined;
  const principals = ['spiffe://cluster.local/ns/shop/sa/orders', 'spiffe://cluster.local/ns/shop/sa/other'];
  while (inputs < o.inputs && !vm.failed) {
    connections++;
    const sink = new Sink();
    const outbound = rnd() < 0.1;
    const stream: NetworkFilterStream = plugin.createNetworkStream({
      connection: { id: connections, sourceAddress: '10.0.0.2', sourcePort: 1000 + (connections % 60000), destinationAddress: '10.0.0.3', destinationPort: 5432 },
      properties: {
        'meshward_peer.principal': { type: 'string', value: principals[connections % 2] },
        ...(outbound ? { listener_direction: { type: 'int', value: 2 } } : {}),
      },
    }, sink);
    stream.onNewConnection();
    // The conversation starts with a well-formed opening most of the time, so that the parser
    // behind identification is reached; then mutated messages in both directions.
    const openers = seeds.filter((s) => s.bytes.length > 0);
    const last: Buffer[] = [];
    for (let k = 0; k < per && inputs < o.inputs && !sink.closed; k++) {
      const seed = k < 2 && rnd() < 0.8 ? openers[k % openers.length] : seeds[Math.floor(rnd() * seeds.length)];
      const input = k < 2 && rnd() < 0.5 ? seed.bytes : mutate(rnd, seed.bytes, seeds);
      last.push(input);
      inputs++;
      // deliver in 1-4 pieces
      let at = 0;
      const pieces = 1 + Math.floor(rnd() * 4);
      for (let p = 0; p < pieces && at <= input.length; p++) {
        const end = p === pieces - 1 ? input.length : at + Math.floor(rnd() * (input.length - at + 1));
        const part = input.subarray(at, end);
        o.trace?.(connections, seed.dir, part);
        if (seed.dir === 's') stream.onUpstreamData(part, false);
        else stream.onDownstreamData(part, false);
        at = end;
        if (vm.failed) break;
      }
      if (vm.failed) {
        failure = `trap on ${o.target} input #${inputs}`;
        if (o.crashDir) {
          mkdirSync(o.crashDir, { recursive: true });
          writeFileSync(join(o.crashDir, `${o.target}-${o.seed}-${inputs}.bin`), Buffer.concat(last));
        }
        break;
      }
    }
    if (rnd() < 0.3) stream.onUpstreamData(new Uint8Array(0), true);
    stream.onDownstreamClose('remote');
    if (connections === 200) memoryWarm = memory();
  }
  const result: FuzzResult = {
    target: o.target,
    inputs,
    connections,
    trapped: vm.failed,
    memoryWarm: memoryWarm || memory(),
    memoryEnd: memory(),
    ms: Date.now() - t0,
    failure,
  };
  await plugin.close();
  await vm.close();
  return result;
}

/** `fuzz` in a worker thread with a deadline: a hang is reported as a failure. */
export async function fuzzWithDeadline(o: FuzzOptions, deadlineMs: number): Promise<FuzzResult> {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: { ...o, trace: undefined } });
  return new Promise<FuzzResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ target: o.target, inputs: 0, connections: 0, trapped: true, memoryWarm: 0, memoryEnd: 0, ms: deadlineMs, failure: `no result within ${deadlineMs} ms: a parser loops (rerun with a trace to find the input)` });
    }, deadlineMs);
    worker.once('message', (r: FuzzResult) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
