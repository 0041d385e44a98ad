// Process-wide shared queues (proxy-wasm-cpp-host shared_queue.cc):
// - a queue is named by (vm_id, name); tokens are process-wide, start at 1 and are never 0;
// - registering an existing name reuses its token and keeps its items, but moves the
//   "queue ready" notification to the registering root context;
// - resolve finds a queue by (vm_id, name), from any VM (an empty vm_id means the caller's);
// - enqueue appends and posts proxy_on_queue_ready(root_context_id, token) to the registering VM
//   on a later turn of the event loop (Envoy posts it to the owning dispatcher);
// - dequeue answers Empty for an empty queue and NotFound for an unknown token.

import { WasmResult } from './status.js';

export interface QueueOwner {
  /** Delivers proxy_on_queue_ready to root context `contextId`, if it still exists. */
  queueReady(contextId: number, token: number): void;
  readonly closed: boolean;
}

interface Queue {
  vmId: string;
  name: string;
  owner: QueueOwner;
  contextId: number;
  items: Uint8Array[];
}

export class SharedQueues {
  private nextToken = 1;
  private readonly tokens = new Map<string, number>();
  private readonly queues = new Map<number, Queue>();

  private key(vmId: string, name: string): string {
    return `${vmId.length}:${vmId}/${name}`;
  }

  register(vmId: string, name: string, owner: QueueOwner, contextId: number): number {
    const k = this.key(vmId, name);
    let token = this.tokens.get(k);
    if (token === undefined) {
      do {
        token = this.nextToken;
        this.nextToken = (this.nextToken + 1) >>> 0;
      } while (token === 0 || this.queues.has(token));
      this.tokens.set(k, token);
      this.queues.set(token, { vmId, name, owner, contextId, items: [] });
    } else {
      const q = this.queues.get(token)!;
      q.owner = owner;
      q.contextId = contextId;
    }
    return token;
  }

  resolve(vmId: string, name: string): number {
    return this.tokens.get(this.key(vmId, name)) ?? 0;
  }

  dequeue(token: number): { result: WasmResult; value?: Uint8Array } {
    const q = this.queues.get(token);
    if (!q) return { result: WasmResult.NotFound };
    const value = q.items.shift();
    if (value === undefined) return { result: WasmResult.Empty };
    return { result: WasmResult.Ok, value };
  }

  enqueue(token: number, value: Uint8Array): WasmResult {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(value);
    const { owner, contextId } = q;
    setImmediate(() => {
      if (!owner.closed) owner.queueReady(contextId, token);
    });
    return WasmResult.Ok;
  }

  deleteVmId(vmId: string): void {
    for (const [token, q] of this.queues) {
      if (q.vmId === vmId) {
        this.queues.delete(token);
        this.tokens.delete(this.key(q.vmId, q.name));
      }
    }
  }
}

export const sharedQueues = new SharedQueues();
