// Webhook delivery: JSON POSTs signed with HMAC-SHA256, retried with exponential backoff and
// jitter on network errors, 429 and 5xx; other 4xx answers fail at once (a retry would not help).
// Deliveries wait in a bounded queue; beyond it they are dropped and counted.
//
// Signature: `x-meshward-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
// `x-meshward-timestamp` (Unix seconds), so a receiver can refuse replays; `x-meshward-delivery`
// is the delivery id, the same on every attempt.
import { createHmac, randomUUID } from 'node:crypto';

export interface WebhookSinkOptions {
  name: string;
  url: string;
  /** HMAC key; without it deliveries are not signed. */
  secret?: string;
  /** Attempts per delivery (default 5). */
  maxAttempts?: number;
  /** First retry delay (default 500 ms), doubled each time up to maxDelayMs (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Deliveries waiting, at most (default 1000). */
  queueLimit?: number;
}

export interface WebhookStats {
  queued: number;
  delivered: number;
  retried: number;
  failed: number;
  /** Deliveries refused because the queue was full. */
  dropped: number;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

interface Delivery {
  id: string;
  body: string;
  attempt: number;
}

export class WebhookSink {
  private readonly queue: Delivery[] = [];
  private readonly counters = { delivered: 0, retried: 0, failed: 0, dropped: 0 };
  private running = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly idle: Array<() => void> = [];

  constructor(readonly o: WebhookSinkOptions) {}

  /** Queues one payload; false when the queue is full (counted as dropped). */
  send(payload: unknown): boolean {
    if (this.closed || this.queue.length + this.running >= (this.o.queueLimit ?? 1000)) {
      this.counters.dropped++;
      return false;
    }
    this.queue.push({ id: randomUUID(), body: JSON.stringify(payload), attempt: 0 });
    this.pump();
    return true;
  }

  stats(): WebhookStats {
    return { queued: this.queue.length + this.running + this.timers.size, ...this.counters };
  }

  /** Resolves when nothing waits or is in flight (deliveries finished or failed). */
  async drain(): Promise<void> {
    if (this.queue.length + this.running + this.timers.size === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private pump(): void {
    // Four at a time per sink: enough for bursts, not a stampede on a recovering receiver.
    while (this.running < 4 && this.queue.length > 0) {
      const d = this.queue.shift()!;
      this.running++;
      void this.attempt(d).finally(() => {
        this.running--;
        this.pump();
        if (this.queue.length + this.running + this.timers.size === 0) for (const w of this.idle.splice(0)) w();
      });
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    d.attempt++;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'meshward-webhook/1', 'x-meshward-delivery': d.id, 'x-meshward-timestamp': String(timestamp), 'x-meshward-attempt': String(d.attempt) };
    if (this.o.secret) headers['x-meshward-signature'] = sign(this.o.secret, timestamp, d.body);
    let retry: boolean;
    try {
      const res = await fetch(this.o.url, { method: 'POST', headers, body: d.body, signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.counters.delivered++;
        return;
      }
      retry = res.status === 429 || res.status >= 500;
    } catch {
      retry = true;
    }
    if (!retry || d.attempt >= (this.o.maxAttempts ?? 5) || this.closed) {
      this.counters.failed++;
      return;
    }
    this.counters.retried++;
    const base = Math.min(this.o.maxDelayMs ?? 30_000, (this.o.baseDelayMs ?? 500) * 2 ** (d.attempt - 1));
    const delay = base / 2 + Math.random() * (base / 2); // jitter: receivers recovering see spread retries
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.queue.unshift(d);
      this.pump();
    }, delay);
    this.timers.add(t); // kept referenced: close() clears it, and a pending delivery should hold the process

  }
}
