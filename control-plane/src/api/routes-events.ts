// GET /v1/events, /v1/events/{id} and /v1/flows: stored events, newest first, and the observed
// flows (who called which workload how, with verdicts) the dashboard draws its map from.
import type { EventStore, EventRow } from '../store/store.js';
import { severityOfRank } from '../events/event-types.js';
import { badRequest, notFound } from './api-error.js';
import { optInt, optSeverity, optString, optTime, workloadFilter } from './params.js';
import type { Route } from './router.js';
import { StoreError } from '../store/store.js';
import type { EventStream } from '../events/event-stream.js';
import { streamRoute } from './routes-stream.js';

export interface EventItem {
  event: Record<string, unknown>;
  receivedMs: number;
  incident: string | null;
}

export const eventItem = (r: EventRow): EventItem => ({ event: JSON.parse(r.doc) as Record<string, unknown>, receivedMs: r.receivedMs, incident: r.incidentId });

async function cursorSafe<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof StoreError && err.code === 'STORE_CURSOR_INVALID') throw badRequest(err.message, { parameter: 'cursor' });
    throw err;
  }
}

/** `overflow`: allowed requests the filters could not count, by workload (ingest's flowsOverflowBy). */
export function eventRoutes(store: EventStore, stream?: EventStream, overflow?: () => Record<string, number>): Route[] {
  return [
    // Before /v1/events/:id, which would take "stream" for an id.
    ...(stream ? [streamRoute(stream)] : []),
    {
      method: 'GET',
      path: '/v1/events',
      auth: 'api',
      async handle({ query: q }) {
        const page = await cursorSafe(store.queryEvents({
          sinceMs: optTime(q, 'since'),
          untilMs: optTime(q, 'until'),
          ...workloadFilter(q),
          kind: optString(q, 'kind', /^[a-z0-9.*-]+$/),
          minSeverity: optSeverity(q, 'severity'),
          action: optString(q, 'action', /^(allow|alert|block|kill)$/),
          incident: optString(q, 'incident'),
          peer: optString(q, 'peer'),
          limit: optInt(q, 'limit', 1, 1000),
          cursor: optString(q, 'cursor'),
          ascending: q.get('order') === 'asc',
        }));
        return { body: { events: page.items.map(eventItem), ...(page.next ? { next: page.next } : {}) } };
      },
    },
    {
      method: 'GET',
      path: '/v1/events/:id',
      auth: 'api',
      async handle({ params }) {
        const row = await store.getEvent(params.id);
        if (!row) throw notFound(`event ${params.id}`);
        return { body: eventItem(row) };
      },
    },
    {
      method: 'GET',
      path: '/v1/flows',
      auth: 'api',
      async handle({ query: q }) {
        const r = await store.flows({ sinceMs: optTime(q, 'since') ?? Date.now() - 3600_000, untilMs: optTime(q, 'until'), ...workloadFilter(q), limit: optInt(q, 'limit', 1, 100_000) });
        return { body: { ...r, flowsOverflow: overflow?.() ?? {} } };
      },
    },
  ];
}

export { severityOfRank };
