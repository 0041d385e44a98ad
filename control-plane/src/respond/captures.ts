// Packet captures asked of the host agents (a response rule's `capture` action, or
// `POST /v1/captures`) and what came back: each agent on the workload's nodes captures its pods
// and uploads the pcap file in chunks over its event stream, then reports the result. Kept per
// capture and node, on disk under the data folder (else in memory), bounded: at most
// `maxBytes` per file (the rest is refused and counted) and the newest `keep` captures.
// A capture not answered within its duration plus `graceMs` is marked expired.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureRequest, CaptureResult } from '../events/ingest-grpc.js';

export type CaptureStatus = 'requested' | 'undelivered' | 'done' | 'failed' | 'expired';

export interface CapturePart {
  node: string;
  status: 'running' | 'done' | 'failed';
  message: string;
  /** Where the agent kept it (node:path). */
  location: string;
  packets: number;
  /** Bytes received here. */
  bytes: number;
  truncated: boolean;
}

export interface CaptureRecord extends CaptureRequest {
  requestedAt: string;
  status: CaptureStatus;
  parts: CapturePart[];
}

export interface CapturesOptions {
  /** Folder for the pcap files; in memory without it. */
  dir?: string;
  /** Largest file accepted per capture and node (default 64 MiB). */
  maxBytes?: number;
  /** Captures kept (default 50). */
  keep?: number;
  /** Time past the duration an agent has to answer (default 60 s). */
  graceMs?: number;
  /** Sends the request to the agents of the workload's nodes; false when none is connected. */
  send?(req: CaptureRequest): boolean;
}

export interface CaptureAsk {
  namespace: string;
  workload: string;
  pods?: string[];
  durationSeconds?: number;
  filter?: string;
  reason?: string;
  incident?: string;
}

export class Captures {
  private readonly records = new Map<string, CaptureRecord>();
  private readonly memory = new Map<string, Buffer[]>();
  private readonly o: Required<Omit<CapturesOptions, 'dir' | 'send'>> & Pick<CapturesOptions, 'dir' | 'send'>;
  readonly counters = { requested: 0, undelivered: 0, completed: 0, failed: 0, expired: 0, chunks: 0, bytes: 0, bytesRefused: 0, chunksUnknown: 0, removed: 0 };

  constructor(options: CapturesOptions = {}) {
    this.o = { maxBytes: 64 * 1024 * 1024, keep: 50, graceMs: 60_000, ...options };
    if (this.o.dir) mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
  }

  /** Records and sends a capture request; the record says whether any agent took it. */
  request(ask: CaptureAsk): CaptureRecord {
    this.counters.requested++;
    const req: CaptureRequest = {
      id: `cap-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
      namespace: ask.namespace,
      workload: ask.workload,
      pods: ask.pods ?? [],
      durationSeconds: ask.durationSeconds ?? 10,
      filter: ask.filter ?? '',
      reason: ask.reason ?? '',
      incident: ask.incident ?? '',
    };
    const sent = this.o.send?.(req) ?? false;
    const record: CaptureRecord = { ...req, requestedAt: new Date().toISOString(), status: sent ? 'requested' : 'undelivered', parts: [] };
    if (!sent) this.counters.undelivered++;
    this.records.set(record.id, record);
    this.prune();
    return record;
  }

  /** A piece of an agent's pcap file. */
  chunk(node: string, c: { id: string; offset: string | number; data: Buffer }): void {
    const record = this.records.get(c.id);
    if (!record) {
      this.counters.chunksUnknown++;
      return;
    }
    const part = this.part(record, node);
    if (part.bytes + c.data.length > this.o.maxBytes || Number(c.offset) !== part.bytes) {
      this.counters.bytesRefused += c.data.length;
      part.truncated = true;
      return;
    }
    this.counters.chunks++;
    this.counters.bytes += c.data.length;
    part.bytes += c.data.length;
    if (this.o.dir) appendFileSync(this.file(c.id, node), c.data);
    else {
      const key = `${c.id}/${node}`;
      let pieces = this.memory.get(key);
      if (!pieces) this.memory.set(key, (pieces = []));
      pieces.push(Buffer.from(c.data));
    }
  }

  /** An agent's answer. */
  result(r: CaptureResult): void {
    const record = this.records.get(r.id);
    if (!record) return;
    const part = this.part(record, r.node);
    part.status = r.ok ? 'done' : 'failed';
    part.message = r.message;
    part.location = r.location;
    part.packets = Number(r.packets);
    part.truncated ||= r.truncated;
    if (r.ok) this.counters.completed++;
    else this.counters.failed++;
    record.status = record.parts.some((p) => p.status === 'done') ? 'done' : record.parts.every((p) => p.status === 'failed') ? 'failed' : record.status;
  }

  get(id: string): CaptureRecord | undefined {
    const r = this.records.get(id);
    if (r) this.expire(r);
    return r;
  }

  list(): CaptureRecord[] {
    const all = [...this.records.values()];
    for (const r of all) this.expire(r);
    return all.reverse();
  }

  /** The pcap file of one node's part (the first done part by default). */
  pcap(id: string, node?: string): { node: string; bytes: Buffer } | undefined {
    const r = this.records.get(id);
    const part = r?.parts.find((p) => p.status === 'done' && (node === undefined || p.node === node));
    if (!r || !part) return undefined;
    if (this.o.dir) return { node: part.node, bytes: readFileSync(this.file(id, part.node)) };
    return { node: part.node, bytes: Buffer.concat(this.memory.get(`${id}/${part.node}`) ?? []) };
  }

  private part(record: CaptureRecord, node: string): CapturePart {
    let part = record.parts.find((p) => p.node === node);
    if (!part) {
      part = { node, status: 'running', message: '', location: '', packets: 0, bytes: 0, truncated: false };
      record.parts.push(part);
      if (this.o.dir) writeFileSync(this.file(record.id, node), Buffer.alloc(0), { mode: 0o600 });
    }
    return part;
  }

  private expire(r: CaptureRecord): void {
    if (r.status !== 'requested') return;
    if (Date.now() - Date.parse(r.requestedAt) > r.durationSeconds * 1000 + this.o.graceMs) {
      r.status = 'expired';
      this.counters.expired++;
    }
  }

  private file(id: string, node: string): string {
    return join(this.o.dir!, `${id}--${node.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcap`);
  }

  private prune(): void {
    while (this.records.size > this.o.keep) {
      const [oldest] = this.records.keys();
      const r = this.records.get(oldest)!;
      for (const p of r.parts) {
        if (this.o.dir) rmSync(this.file(r.id, p.node), { force: true });
        this.memory.delete(`${r.id}/${p.node}`);
      }
      this.records.delete(oldest);
      this.counters.removed++;
    }
  }
}
