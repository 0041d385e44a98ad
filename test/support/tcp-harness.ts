// `meshward proxy --tcp` in one process, through the same code path as the CLI, in front of a
// real server (PostgreSQL, MariaDB, Redis) on port 0, with an events collector and a peers file
// giving each loopback source address an identity: callers bind 127.0.0.2, 127.0.0.3, ... .
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMeshwardProxy, type MeshwardProxy, type ProxyCommandOptions } from '../../cli/commands/proxy.js';
import { createLogger } from '../../cli/logger.js';
import { FILTER_WASM } from '../../cli/paths.js';
import { EventsCollector } from './events-collector.js';

export const READER = 'spiffe://cluster.local/ns/shop/sa/orders';
export const ADMIN = 'spiffe://cluster.local/ns/shop/sa/admin';
/** Source addresses the peers file maps to READER and ADMIN. */
export const READER_IP = '127.0.0.2';
export const ADMIN_IP = '127.0.0.3';

export interface TcpHarness {
  proxy: MeshwardProxy;
  events: EventsCollector;
  port: number;
  logs: string[];
  dir: string;
  metric(name: string): number;
  close(): Promise<void>;
}

export interface TcpHarnessOptions extends Partial<Omit<ProxyCommandOptions, 'policies' | 'logger'>> {
  upstream: string;
  policy: string;
  /** Extra peers lines (YAML list entries). */
  peers?: string;
}

export async function startTcpHarness(o: TcpHarnessOptions): Promise<TcpHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'meshward-tcp-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, o.policy);
  const peersFile = join(dir, 'peers.yaml');
  writeFileSync(peersFile, `- {ip: ${READER_IP}, principal: "${READER}", namespace: shop, workload: orders}\n- {ip: ${ADMIN_IP}, principal: "${ADMIN}", namespace: shop, workload: admin}\n${o.peers ?? ''}`);
  const events = await new EventsCollector().start();
  const logs: string[] = [];
  const logger = createLogger('info', (l) => logs.push(l), (l) => logs.push(l));
  const proxy = await startMeshwardProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: o.upstream,
    policies: [policyFile],
    workload: o.workload ?? { namespace: 'shop', name: 'db' },
    labels: o.labels ?? { app: 'db' },
    mode: o.mode,
    fail: 'closed',
    eventsUrl: events.url,
    tls: o.tls,
    peersFile,
    upstreamProtocol: 'auto',
    noFilter: o.noFilter ?? false,
    tcp: true,
    egress: o.egress,
    wasm: FILTER_WASM,
    logger,
    watch: false,
  });
  return {
    proxy,
    events,
    port: proxy.proxy.address.port,
    logs,
    dir,
    metric: (name) => Number(proxy.proxy.stats().filter[name] ?? -1),
    async close() {
      await proxy.close();
      await events.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A socket to `port` from the loopback address `from` (so the peers file names the caller). */
export function socketFrom(from: string): net.Socket {
  const s = new net.Socket();
  const connect = s.connect.bind(s) as (...a: unknown[]) => net.Socket;
  (s as unknown as { connect: (...a: unknown[]) => net.Socket }).connect = (...args: unknown[]) => {
    if (typeof args[0] === 'number') return connect({ port: args[0], host: typeof args[1] === 'string' ? args[1] : '127.0.0.1', localAddress: from });
    const opts = args[0] as net.TcpNetConnectOpts;
    return connect({ ...opts, localAddress: from });
  };
  return s;
}

/** Resolves with the next `n` bytes... a tiny reader for raw protocol tests. */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly socket: net.Socket;
  closed = false;

  constructor(port: number, from: string) {
    this.socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('error', () => {});
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Write one byte at a time, each its own packet (setNoDelay), waiting for each to drain. */
  async writeSplit(data: Buffer, step = 1): Promise<void> {
    this.socket.setNoDelay(true);
    for (let i = 0; i < data.length; i += step) {
      await new Promise<void>((r) => this.socket.write(data.subarray(i, i + step), () => r()));
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Wait until `done(buffer)` returns a length to take, then take it. */
  async read(done: (b: Buffer) => number | undefined, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = done(this.buf);
      if (n !== undefined) {
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
      }
      if (this.closed) throw new Error(`connection closed; have ${this.buf.toString('latin1')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`read timed out; have ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
