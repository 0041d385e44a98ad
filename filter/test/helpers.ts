// Test helpers: run the compiled filter (filter/build/meshward.wasm) in the project's proxy-wasm
// host, drive requests through it, collect its logs and events, and serve an events cluster on
// a real loopback port.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVm } from '../../host-agent/src/wasm-host/index.js';
import type {
  ConnectionInfo,
  HeaderList,
  HttpCallCluster,
  HttpStreamInfo,
  LogLevel,
  PropertyMap,
  PropertyValue,
  VmOptions,
  WasmPluginHandle,
  WasmVmHandle,
} from '../../host-agent/src/wasm-host/api.js';
import type { FilterConfig, IngressRule } from '../../control-plane/src/compile/filter-config.js';

export const WASM_PATH = new URL('../../../filter/build/meshward.wasm', import.meta.url);

type WasmModule = VmOptions['module'];
// The project compiles without the DOM lib, where TypeScript declares `WebAssembly`.
const WA = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule } }).WebAssembly;
let compiled: WasmModule | undefined;

/** The filter, compiled once for all the VMs of a test file. */
export function wasmModule(): WasmModule {
  compiled ??= new WA.Module(readFileSync(WASM_PATH));
  return compiled;
}

export type Json = Record<string, unknown>;

/** A valid configuration in protect mode with no rules and events in the log. */
export function config(overrides: Partial<FilterConfig> = {}): FilterConfig {
  return {
    schema: 1,
    version: 'sha256:0123',
    workload: { namespace: 'shop', name: 'orders' },
    mode: 'protect',
    policies: ['shop/orders'],
    ingress: [],
    events: {
      cluster: '',
      authority: 'meshward-control-plane',
      path: '/v1/events',
      token: '',
      batchSize: 100,
      flushIntervalMs: 1000,
      bufferLimit: 1000,
      timeoutMs: 5000,
    },
    limits: { maxBodyBytes: 65536, maxEventFieldBytes: 1024 },
    ...overrides,
  };
}

/** One rule with defaults: any source, any operation. */
export function rule(overrides: Partial<IngressRule> & { name: string }): IngressRule {
  return { id: `shop/orders/${overrides.name}`, from: [], http: [], grpc: [], ...overrides };
}

export interface LogLine {
  level: LogLevel;
  message: string;
}

export interface Filter {
  vm: WasmVmHandle;
  plugin: WasmPluginHandle;
  logs: LogLine[];
  /** Events written to the proxy log (`meshward.event <json>`), parsed. */
  loggedEvents(): Json[];
  metric(name: string): number;
  close(): Promise<void>;
}

export interface StartOptions {
  logLevel?: LogLevel;
  clusters?: Record<string, HttpCallCluster>;
  nodeMetadata?: Record<string, PropertyValue>;
}

export async function startFilter(cfg: FilterConfig | string, options: StartOptions = {}): Promise<Filter> {
  const logs: LogLine[] = [];
  const vm = await createVm({
    module: wasmModule(),
    vmId: 'meshward-test',
    logger: { log: (level, message) => logs.push({ level, message }) },
    logLevel: options.logLevel ?? 'info',
  });
  const started = vm.startPlugin({
    name: 'meshward',
    rootId: 'meshward',
    configuration: typeof cfg === 'string' ? cfg : JSON.stringify(cfg),
    clusters: options.clusters,
    nodeMetadata: options.nodeMetadata ?? { NAME: { type: 'string', value: 'orders-7d9f-x2' } },
  });
  if (!started.plugin) {
    await vm.close();
    const why = logs.map((l) => l.message).join('\n');
    throw new Error(`the filter rejected its configuration: ${started.result.reason ?? ''}\n${why}`);
  }
  const plugin = started.plugin;
  return {
    vm,
    plugin,
    logs,
    loggedEvents: () => eventsFromLogs(logs),
    metric: (name) => Number(plugin.metrics().get(name)?.value ?? -1n),
    async close() {
      await plugin.close();
      await vm.close();
    },
  };
}

export function eventsFromLogs(logs: LogLine[]): Json[] {
  const out: Json[] = [];
  for (const l of logs) {
    const at = l.message.indexOf('meshward.event ');
    if (at >= 0) out.push(JSON.parse(l.message.slice(at + 'meshward.event '.length)) as Json);
  }
  return out;
}

/** Who calls: the downstream connection and peer metadata of a request. */
export interface Peer {
  principal?: string;
  localPrincipal?: string;
  sourceAddress?: string;
  sourcePort?: number;
  namespace?: string;
  workload?: string;
  protocol?: HttpStreamInfo['protocol'];
  properties?: PropertyMap;
}

export const FRONTEND: Peer = {
  principal: 'spiffe://cluster.local/ns/shop/sa/frontend',
  workload: 'frontend',
  sourceAddress: '10.0.0.2',
  sourcePort: 43122,
};

let nextConnectionId = 1;

export function streamInfo(peer: Peer = {}): HttpStreamInfo {
  const connection: ConnectionInfo = {
    id: nextConnectionId++, // each stream of these tests is its own connection, as in Envoy
    sourceAddress: peer.sourceAddress ?? '10.0.0.2',
    sourcePort: peer.sourcePort ?? 43122,
    destinationAddress: '10.0.0.3',
    destinationPort: 8080,
  };
  if (peer.principal !== undefined || peer.localPrincipal !== undefined) {
    connection.tls = {
      version: 'TLSv1.3',
      mtls: peer.principal !== undefined,
      peerUriSan: peer.principal,
      localUriSan: peer.localPrincipal ?? 'spiffe://cluster.local/ns/shop/sa/orders',
    };
  }
  const properties: PropertyMap = { ...(peer.properties ?? {}) };
  if (peer.workload !== undefined) properties['downstream_peer.workload'] = { type: 'string', value: peer.workload };
  if (peer.namespace !== undefined) properties['downstream_peer.namespace'] = { type: 'string', value: peer.namespace };
  return { connection, protocol: peer.protocol ?? 'HTTP/1.1', properties };
}

export interface Outcome {
  /** The request headers reached the upstream. */
  forwarded: boolean;
  /** `:status` of the response the client got (the upstream's 200 or a local reply). */
  status?: number;
  responseHeaders: HeaderList;
  responseBody: string;
  responseTrailers: HeaderList;
  requestData: Uint8Array[];
  resets: string[];
}

/** Header values are byte strings (one char per byte, as Node gives them): text as its UTF-8. */
export function latin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function header(list: HeaderList, name: string): string | undefined {
  return list.find(([n]) => n === name)?.[1];
}

/** One request through the filter. A forwarded request gets `200 ok` from the "upstream". */
export function request(
  filter: Filter,
  headers: HeaderList,
  peer: Peer = FRONTEND,
  body: Uint8Array[] = [],
): Outcome {
  const outcome: Outcome = {
    forwarded: false,
    responseHeaders: [],
    responseBody: '',
    responseTrailers: [],
    requestData: [],
    resets: [],
  };
  const chunks: Uint8Array[] = [];
  const stream = filter.plugin.createHttpStream(streamInfo(peer), {
    requestHeaders: () => {
      outcome.forwarded = true;
    },
    requestData: (data) => {
      outcome.requestData.push(data);
    },
    requestTrailers: () => {},
    responseHeaders: (h) => {
      outcome.responseHeaders = h;
      const s = header(h, ':status');
      if (s !== undefined) outcome.status = Number(s);
    },
    responseData: (data) => {
      chunks.push(data);
    },
    responseTrailers: (t) => {
      outcome.responseTrailers = t;
    },
    reset: (reason) => {
      outcome.resets.push(reason);
    },
  });
  stream.decodeHeaders(headers, body.length === 0);
  body.forEach((chunk, i) => stream.decodeData(chunk, i === body.length - 1));
  if (outcome.forwarded && outcome.status === undefined) {
    stream.encodeHeaders([[':status', '200'], ['content-type', 'text/plain']], false);
    stream.encodeData(new TextEncoder().encode('ok'), true);
  }
  stream.complete();
  outcome.responseBody = Buffer.concat(chunks).toString('utf8');
  return outcome;
}

export function get(path: string, host = 'orders.shop'): HeaderList {
  return [[':method', 'GET'], [':path', path], [':authority', host], [':scheme', 'http'], ['user-agent', 'test']];
}

export function call(method: string, path: string, host = 'orders.shop', extra: HeaderList = []): HeaderList {
  return [[':method', method], [':path', path], [':authority', host], [':scheme', 'http'], ...extra];
}

export function grpc(path: string, host = 'orders.shop'): HeaderList {
  return [
    [':method', 'POST'], [':path', path], [':authority', host], [':scheme', 'http'],
    ['content-type', 'application/grpc'], ['te', 'trailers'],
  ];
}

/** Poll until `check` holds (or fail after `ms`). */
export async function waitFor(check: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ReceivedBatch {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
  body: Json;
}

/** An events cluster on 127.0.0.1:0. `answer` picks the status for each POST (default 200);
 * `delayMs` holds each answer back. */
export class EventsServer {
  readonly batches: ReceivedBatch[] = [];
  answer: (n: number) => number = () => 200;
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  private server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const n = this.batches.length;
        let body: Json = {};
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Json;
        } catch {
          body = { unparsable: Buffer.concat(parts).toString('utf8') };
        }
        this.batches.push({ headers: req.headers, method: req.method ?? '', url: req.url ?? '', body });
        const status = this.answer(n);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end('{}');
        }, this.delayMs);
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Every event received, in order. */
  events(): Json[] {
    return this.batches.flatMap((b) => (b.body.events as Json[] | undefined) ?? []);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A small deterministic PRNG (mulberry32) for the fuzz tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
