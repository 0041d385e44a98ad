// A stand-in for the control plane's event ingest: an HTTP server on port 0 that keeps every
// batch the filter posts to /v1/events, so tests can wait for the events they expect.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CollectedEvent {
  id: string;
  kind: string;
  action: string;
  mode: string;
  severity: string;
  [field: string]: unknown;
}

export interface EventBatch {
  schema: number;
  dropped: number;
  events: CollectedEvent[];
  headers: http.IncomingHttpHeaders;
}

export class EventsCollector {
  readonly batches: EventBatch[] = [];
  private server!: http.Server;
  private waiters: Array<() => void> = [];
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/events') {
          res.writeHead(404).end();
          return;
        }
        const batch = JSON.parse(body) as Omit<EventBatch, 'headers'>;
        this.batches.push({ ...batch, headers: req.headers });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get events(): CollectedEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  /** Resolves once an event satisfying `match` has arrived (the filter flushes on its tick). */
  async waitFor(match: (e: CollectedEvent) => boolean, timeoutMs = 10_000): Promise<CollectedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => [e.kind, e.action]))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
