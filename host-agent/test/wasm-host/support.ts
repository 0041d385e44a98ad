// Test support for the wasm-host suites: fixture loading, a logger the tests can wait on, a
// recording HTTP/TCP sink, and decoders for property values. Waiting is event-driven: a wait
// resolves when the awaited log line or sink call happens, and a guard timer (which also keeps
// the event loop alive while a test waits) fails the test instead of hanging it.

import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createVm } from '../../src/wasm-host/index.js';
import type {
  ConnectionInfo,
  HeaderList,
  HostLogger,
  HttpStreamSink,
  LogLevel,
  NetworkStreamSink,
  PluginOptions,
  VmOptions,
  WasmPluginHandle,
  WasmPluginNetwork,
  WasmVmHandle,
} from '../../src/wasm-host/index.js';

const FIXTURES = new URL('../../../fixtures/', import.meta.url);

export function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`${name}.wasm`, FIXTURES));
}

export interface LogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/** Waits for `check` to return a value, re-checking whenever `emitter` emits `event`. */
function waitOn<T>(emitter: EventEmitter, event: string, check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const onEvent = () => {
      const v = check();
      if (v !== undefined) {
        clearTimeout(guard);
        emitter.off(event, onEvent);
        resolve(v);
      }
    };
    const guard = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.on(event, onEvent);
  });
}

/**
 * Awaits `p` while a ref'd timer keeps the event loop alive: the host's own timers (ticks) are
 * unref'd, so a test waiting only on them would otherwise end early. Fails after `timeoutMs`.
 */
export async function guarded<T>(p: Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  let guard: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(guard);
  }
}

export class Logs implements HostLogger {
  readonly lines: LogLine[] = [];
  private readonly events = new EventEmitter();

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level, message, fields });
    this.events.emit('line');
  }

  messages(): string[] {
    return this.lines.map((l) => l.message);
  }

  /** Lines starting with `prefix`. */
  matching(prefix: string): string[] {
    return this.messages().filter((m) => m.startsWith(prefix));
  }

  /** The value of the last "key=value" line logged by the module. */
  value(key: string): string | undefined {
    const lines = this.matching(`${key}=`);
    return lines.length === 0 ? undefined : lines[lines.length - 1].slice(key.length + 1);
  }

  /** Like value(), but fails when the key was never logged. */
  get(key: string): string {
    const v = this.value(key);
    if (v === undefined) throw new Error(`the module never logged "${key}="; logged:\n${this.messages().join('\n')}`);
    return v;
  }

  waitFor(prefix: string, timeoutMs = 5000): Promise<string> {
    return waitOn(this.events, 'line', () => this.matching(prefix).at(-1), `a log line starting with "${prefix}"`, timeoutMs);
  }

  /** Clears what was seen so far (keeps waiting on new lines). */
  clear(): void {
    this.lines.length = 0;
  }
}

export type SinkEvent =
  | ['requestHeaders', HeaderList, boolean]
  | ['requestData', string, boolean]
  | ['requestTrailers', HeaderList]
  | ['responseHeaders', HeaderList, boolean]
  | ['responseData', string, boolean]
  | ['responseTrailers', HeaderList]
  | ['reset', string]
  | ['pauseRequestBody']
  | ['resumeRequestBody']
  | ['pauseResponseBody']
  | ['resumeResponseBody'];

export class RecordingSink implements HttpStreamSink {
  readonly events: SinkEvent[] = [];
  private readonly emitter = new EventEmitter();

  private push(e: SinkEvent): void {
    this.events.push(e);
    this.emitter.emit('event');
  }

  requestHeaders(h: HeaderList, e: boolean): void {
    this.push(['requestHeaders', h, e]);
  }
  requestData(d: Uint8Array, e: boolean): void {
    this.push(['requestData', Buffer.from(d).toString('latin1'), e]);
  }
  requestTrailers(t: HeaderList): void {
    this.push(['requestTrailers', t]);
  }
  responseHeaders(h: HeaderList, e: boolean): void {
    this.push(['responseHeaders', h, e]);
  }
  responseData(d: Uint8Array, e: boolean): void {
    this.push(['responseData', Buffer.from(d).toString('latin1'), e]);
  }
  responseTrailers(t: HeaderList): void {
    this.push(['responseTrailers', t]);
  }
  reset(reason: string): void {
    this.push(['reset', reason]);
  }
  pauseRequestBody(): void {
    this.push(['pauseRequestBody']);
  }
  resumeRequestBody(): void {
    this.push(['resumeRequestBody']);
  }
  pauseResponseBody(): void {
    this.push(['pauseResponseBody']);
  }
  resumeResponseBody(): void {
    this.push(['resumeResponseBody']);
  }

  kinds(): string[] {
    return this.events.map((e) => e[0]);
  }

  first<K extends SinkEvent[0]>(kind: K): Extract<SinkEvent, [K, ...unknown[]]> | undefined {
    return this.events.find((e) => e[0] === kind) as Extract<SinkEvent, [K, ...unknown[]]> | undefined;
  }

  waitFor<K extends SinkEvent[0]>(kind: K, timeoutMs = 5000): Promise<Extract<SinkEvent, [K, ...unknown[]]>> {
    return waitOn(this.emitter, 'event', () => this.first(kind), `the sink call ${kind}`, timeoutMs);
  }
}

export interface TcpEvent {
  kind: 'upstreamWrite' | 'downstreamWrite' | 'close';
  data?: string;
  endStream?: boolean;
  side?: string;
  reason?: string;
}

export class RecordingTcpSink implements NetworkStreamSink {
  readonly events: TcpEvent[] = [];
  private readonly emitter = new EventEmitter();
  upstreamWrite(data: Uint8Array, endStream: boolean): void {
    this.events.push({ kind: 'upstreamWrite', data: Buffer.from(data).toString('latin1'), endStream });
    this.emitter.emit('event');
  }
  downstreamWrite(data: Uint8Array, endStream: boolean): void {
    this.events.push({ kind: 'downstreamWrite', data: Buffer.from(data).toString('latin1'), endStream });
    this.emitter.emit('event');
  }
  close(side: 'downstream' | 'upstream', reason: string): void {
    this.events.push({ kind: 'close', side, reason });
    this.emitter.emit('event');
  }
  waitFor(kind: TcpEvent['kind'], timeoutMs = 5000): Promise<TcpEvent> {
    return waitOn(this.emitter, 'event', () => this.events.find((e) => e.kind === kind), `the TCP sink call ${kind}`, timeoutMs);
  }
}

export const CONNECTION: ConnectionInfo = {
  id: 42,
  sourceAddress: '10.1.2.3',
  sourcePort: 51000,
  destinationAddress: '10.9.8.7',
  destinationPort: 8080,
};

export const GET: HeaderList = [
  [':authority', 'orders.test'],
  [':path', '/api/orders?id=7#frag'],
  [':method', 'GET'],
  [':scheme', 'http'],
  ['user-agent', 'curl/8'],
];

export const POST: HeaderList = [
  [':authority', 'orders.test'],
  [':path', '/api/orders'],
  [':method', 'POST'],
  [':scheme', 'http'],
  ['content-type', 'application/json'],
];

export const OK_RESPONSE: HeaderList = [
  [':status', '200'],
  ['content-type', 'text/plain'],
];

export interface Started {
  vm: WasmVmHandle;
  logs: Logs;
  plugin: WasmPluginHandle & WasmPluginNetwork;
  close(): Promise<void>;
}

/** Loads `abi.wasm` (or another fixture) and starts a plugin with the scenario as configuration. */
export async function start(
  scenario: string,
  plugin: Partial<PluginOptions> = {},
  vmOptions: Partial<VmOptions> & { fixture?: string } = {},
): Promise<Started> {
  const logs = new Logs();
  const vm = await createVm({
    module: fixture(vmOptions.fixture ?? 'abi'),
    vmId: vmOptions.vmId ?? `vm-${Math.random().toString(36).slice(2)}`,
    logger: logs,
    ...vmOptions,
  });
  const r = vm.startPlugin({ name: 'test-plugin', rootId: 'test-root', configuration: scenario, ...plugin });
  if (!r.plugin) {
    await vm.close();
    throw new Error(`the plugin did not start: ${r.result.reason}\n${logs.messages().join('\n')}`);
  }
  const p = r.plugin;
  return {
    vm,
    logs,
    plugin: p,
    async close() {
      await vm.close();
    },
  };
}

/** Runs `fn` with a plugin started as start() starts it, closing its VM whatever happens. */
export async function withPlugin<T>(
  scenario: string,
  fn: (s: Started) => Promise<T>,
  plugin: Partial<PluginOptions> = {},
  vmOptions: Partial<VmOptions> & { fixture?: string } = {},
): Promise<T> {
  const s = await start(scenario, plugin, vmOptions);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

export function httpStream(s: Started, sink = new RecordingSink(), connection = CONNECTION) {
  const stream = s.plugin.createHttpStream({ connection, protocol: 'HTTP/1.1' }, sink);
  return { stream, sink };
}

/** Property value decoders (the module logs values as hex). */
export const decode = {
  str: (hex: string) => Buffer.from(hex, 'hex').toString('utf8'),
  i64: (hex: string) => Buffer.from(hex, 'hex').readBigInt64LE(0),
  u64: (hex: string) => Buffer.from(hex, 'hex').readBigUInt64LE(0),
  f64: (hex: string) => Buffer.from(hex, 'hex').readDoubleLE(0),
  bool: (hex: string) => hex === '01',
  /** Serialized pairs -> list. */
  pairs(hex: string): HeaderList {
    const b = Buffer.from(hex, 'hex');
    const n = b.readUInt32LE(0);
    const sizes: number[] = [];
    for (let i = 0; i < n * 2; i++) sizes.push(b.readUInt32LE(4 + i * 4));
    let p = 4 + n * 8;
    const out: HeaderList = [];
    for (let i = 0; i < n; i++) {
      const k = b.toString('latin1', p, p + sizes[2 * i]);
      p += sizes[2 * i] + 1;
      const v = b.toString('latin1', p, p + sizes[2 * i + 1]);
      p += sizes[2 * i + 1] + 1;
      out.push([k, v]);
    }
    return out;
  },
};

/** The context id a module logged in "<event> <id> ...". */
export function idOf(line: string): number {
  return Number(line.split(' ')[1]);
}
