// Packet captures on request (the control plane's CaptureRequest: a response rule's `capture`
// action, `POST /v1/captures`, `meshward capture --workload`): the TCP traffic of one workload's
// pods on this node, from a capture ring on every interface of each pod's network namespace,
// written as one pcap file. Bounded: a capture lasts at most `maxSeconds`, writes at most
// `maxBytes` (then stops, marked truncated), and at most `maxConcurrent` run at once; older
// files past `keep` are deleted. Each bound has a counter.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import type { NativePacketRing } from '../native/native.js';
import { parseCaptureFilter } from './capture-filter.js';
import { PcapWriter } from './pcap-writer.js';
import { openPodRings } from './pod-rings.js';

export interface CaptureOrder {
  id: string;
  namespace: string;
  workload: string;
  /** Only these pods (empty: every pod of the workload on this node). */
  pods: string[];
  durationSeconds: number;
  filter: string;
}

export interface CaptureOutcome {
  id: string;
  ok: boolean;
  message: string;
  /** The file on this node ("" when nothing was written). */
  file: string;
  packets: number;
  bytes: number;
  truncated: boolean;
}

export interface CaptureServiceOptions {
  /** Where pcap files are written (created when missing). */
  dir: string;
  maxSeconds?: number;
  maxBytes?: number;
  maxConcurrent?: number;
  /** Capture files kept in `dir` (the oldest go first). */
  keep?: number;
  /** How long a ring holds a partly filled block before handing it up. */
  blockTimeoutMs?: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DEFAULT_SECONDS = 10;

export class CaptureService {
  private running = 0;
  private readonly o: Required<CaptureServiceOptions>;
  readonly counters = { requested: 0, completed: 0, failed: 0, refusedBusy: 0, truncated: 0, bytes: 0, packets: 0, filesDeleted: 0 };

  constructor(
    private readonly ctx: Pick<AgentContext, 'native' | 'containers' | 'procRoot' | 'log'>,
    options: CaptureServiceOptions,
  ) {
    this.o = { maxSeconds: 300, maxBytes: 64 * 1024 * 1024, maxConcurrent: 2, keep: 20, blockTimeoutMs: 100, ...options };
  }

  /** Captures in progress (their rings are open from the moment run() was called). */
  get active(): number {
    return this.running;
  }

  async run(order: CaptureOrder): Promise<CaptureOutcome> {
    this.counters.requested++;
    const fail = (message: string): CaptureOutcome => {
      this.counters.failed++;
      return { id: order.id, ok: false, message, file: '', packets: 0, bytes: 0, truncated: false };
    };
    if (!ID.test(order.id)) return fail(`capture id "${order.id.slice(0, 80)}" is not a plain name`);
    const filter = parseCaptureFilter(order.filter);
    if (!filter.ok) return fail(filter.reason);
    if (this.running >= this.o.maxConcurrent) {
      this.counters.refusedBusy++;
      return fail(`${this.running} captures are running on this node, the most allowed at once (${this.o.maxConcurrent})`);
    }
    const pods = this.podsOf(order);
    if (pods.length === 0) {
      return fail(`no running container of ${order.namespace}/${order.workload}${order.pods.length ? ` (pods ${order.pods.join(', ')})` : ''} on this node`);
    }
    this.running++;
    try {
      return await this.capture(order, pods, filter.ports);
    } catch (err) {
      return fail(`capture failed: ${(err as Error).message}`);
    } finally {
      this.running--;
    }
  }

  /** One container per network namespace: the containers of a pod share theirs. */
  private podsOf(order: CaptureOrder): ContainerInfo[] {
    const byNetns = new Map<number, ContainerInfo>();
    for (const c of this.ctx.containers.all()) {
      if (!c.attribution || c.netnsInode === 0 || byNetns.has(c.netnsInode)) continue;
      const w = workloadOf(c);
      if (w.namespace !== order.namespace || w.name !== order.workload) continue;
      if (order.pods.length > 0 && !order.pods.includes(c.attribution.pod?.name ?? '')) continue;
      byNetns.set(c.netnsInode, c);
    }
    return [...byNetns.values()];
  }

  private async capture(order: CaptureOrder, pods: ContainerInfo[], ports: number[]): Promise<CaptureOutcome> {
    mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    const file = join(this.o.dir, `${order.id}.pcap`);
    const writer = new PcapWriter(file);
    const rings: NativePacketRing[] = [];
    let truncated = false;
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const skipped: string[] = [];
    try {
      const ringOptions = { ports, blockSize: 1 << 20, blockCount: 4, blockTimeoutMs: this.o.blockTimeoutMs };
      const onBlocks = (blocks: Buffer[]): void => {
        if (truncated) return;
        for (const b of blocks) writer.writeRingBlock(b, false);
        if (writer.bytes >= this.o.maxBytes) {
          truncated = true;
          stop();
        }
      };
      for (const c of pods) {
        const podRings = openPodRings(this.ctx.native, this.ctx.procRoot, c.anchorPid, ringOptions, onBlocks, (ifname, err) => {
          skipped.push(`${c.attribution?.pod?.name ?? c.ref.id.slice(0, 12)}/${ifname}: ${err.message}`);
        });
        rings.push(...podRings);
      }
      if (rings.length === 0) throw new Error(`no interface could be captured (${skipped.join('; ') || 'the pods have none but lo'})`);
      const seconds = Math.min(order.durationSeconds > 0 ? order.durationSeconds : DEFAULT_SECONDS, this.o.maxSeconds);
      const timer = setTimeout(stop, seconds * 1000);
      await stopped;
      clearTimeout(timer);
      // A ring hands up a partly filled block after its timeout: wait for the last one.
      if (!truncated) await new Promise((r) => setTimeout(r, this.o.blockTimeoutMs * 2));
    } finally {
      for (const r of rings) r.close();
      writer.close();
    }
    if (truncated) this.counters.truncated++;
    this.counters.completed++;
    this.counters.bytes += writer.bytes;
    this.counters.packets += writer.packets;
    this.prune();
    const notes = [truncated ? `stopped at the ${this.o.maxBytes}-byte limit` : '', skipped.length ? `not captured: ${skipped.join('; ')}` : ''].filter(Boolean);
    this.ctx.log('info', 'capture written', { id: order.id, file, packets: writer.packets, truncated });
    return {
      id: order.id,
      ok: true,
      message: `${writer.packets} packets from ${pods.length} pod(s)${notes.length ? `; ${notes.join('; ')}` : ''}`,
      file,
      packets: writer.packets,
      bytes: writer.bytes,
      truncated,
    };
  }

  /** Keeps the newest `keep` capture files. */
  private prune(): void {
    const files = readdirSync(this.o.dir)
      .filter((f) => f.endsWith('.pcap'))
      .map((f) => ({ path: join(this.o.dir, f), at: statSync(join(this.o.dir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const f of files.slice(this.o.keep)) {
      rmSync(f.path, { force: true });
      this.counters.filesDeleted++;
    }
  }
}
