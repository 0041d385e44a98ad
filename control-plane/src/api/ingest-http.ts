// POST /v1/events: the filters' batches ({"schema":1,"workload":{...},"dropped":N,
// "flowsOverflow":N,"events":[...]}).
// The filter retries a batch on any non-2xx answer, so the answers are chosen for that:
//   200  stored; invalid events were dropped alone and are listed with the reason (a retry would
//        not fix them)
//   400  the body is not a batch (BATCH_MALFORMED)
//   401  no token, or not the token of this workload: kept by the sender until its configuration
//        carries the right one
//   413  larger than the body limit
//   503  the queue is full or the control plane is stopping (Retry-After); nothing was kept
import type { EventIngest } from '../events/ingest.js';
import type { IngestAuth } from '../events/ingest-auth.js';
import { ApiError } from './api-error.js';
import type { RequestContext, Route } from './router.js';

export interface EventBatchBody {
  schema: 1;
  workload: { namespace: string; name: string };
  dropped?: number;
  /** Allowed requests the filter's flow table had no room for (docs/flows.md). */
  flowsOverflow?: number;
  events: unknown[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const malformed = (field: string, message: string) => new ApiError(400, 'BATCH_MALFORMED', `${field}: ${message}`, { field });

export function parseBatch(body: unknown, maxEvents: number): EventBatchBody {
  if (!isObject(body)) throw malformed('(body)', 'must be a JSON object {"schema":1,"workload":{...},"events":[...]}');
  if (body.schema !== 1) throw malformed('schema', `must be 1, found ${JSON.stringify(body.schema)}`);
  const w = body.workload;
  if (!isObject(w) || typeof w.namespace !== 'string' || typeof w.name !== 'string') throw malformed('workload', 'must be {"namespace": string, "name": string}');
  if (body.dropped !== undefined && (!Number.isInteger(body.dropped) || (body.dropped as number) < 0)) throw malformed('dropped', `must be a non-negative integer, found ${JSON.stringify(body.dropped)}`);
  if (body.flowsOverflow !== undefined && (!Number.isSafeInteger(body.flowsOverflow) || (body.flowsOverflow as number) < 0)) throw malformed('flowsOverflow', `must be a non-negative integer, found ${JSON.stringify(body.flowsOverflow)}`);
  if (!Array.isArray(body.events)) throw malformed('events', 'must be an array');
  if (body.events.length > maxEvents) throw new ApiError(413, 'BODY_TOO_LARGE', `events: ${body.events.length} events in one batch, at most ${maxEvents}`);
  return { schema: 1, workload: { namespace: w.namespace, name: w.name }, dropped: body.dropped as number | undefined, flowsOverflow: body.flowsOverflow as number | undefined, events: body.events };
}

export function ingestRoute(ingest: EventIngest, auth: IngestAuth, maxBodyBytes = 16 * 1024 * 1024): Route {
  return {
    method: 'POST',
    path: '/v1/events',
    auth: 'ingest',
    maxBodyBytes,
    async handle(ctx: RequestContext) {
      let body: unknown;
      try {
        body = await ctx.json();
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'BAD_REQUEST')) throw err; // 413: too large, not malformed
        ingest.countMalformed();
        throw new ApiError(400, 'BATCH_MALFORMED', err.message);
      }
      let batch: EventBatchBody;
      try {
        batch = parseBatch(body, ingest.maxBatchEvents);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'BATCH_MALFORMED') ingest.countMalformed();
        throw err;
      }
      const principal = auth.authenticate(ctx.req.headers.authorization, { workload: batch.workload });
      if (!principal) {
        ingest.countUnauthorized();
        throw new ApiError(401, 'UNAUTHENTICATED', `no valid token for workload ${batch.workload.namespace}/${batch.workload.name} (authorization: Bearer <the workload's events token or the API token>)`, undefined, { 'www-authenticate': 'Bearer' });
      }
      const result = await ingest.submit({ events: batch.events, principal, origin: 'http', dropped: batch.dropped, flowsOverflow: batch.flowsOverflow, workload: batch.workload });
      if (result.status === 'retry') {
        throw new ApiError(503, 'UNAVAILABLE', `${result.reason}; retry the whole batch`, { rejected: result.rejected }, { 'retry-after': String(Math.ceil(result.retryAfterMs / 1000)) });
      }
      return { status: 200, body: { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected } };
    },
  };
}
