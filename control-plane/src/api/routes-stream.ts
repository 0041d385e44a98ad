// GET /v1/events/stream: Server-Sent Events of the events as they are stored (events/
// event-stream.ts holds the buffering, drops and heartbeats). Authenticated like every /v1 route
// (authorization: Bearer; browsers read it with fetch, since EventSource cannot send headers).
import type { EventStream } from '../events/event-stream.js';
import { ApiError } from './api-error.js';
import { optSeverity, optString, workloadFilter } from './params.js';
import type { Route } from './router.js';

export function streamRoute(stream: EventStream): Route {
  return {
    method: 'GET',
    path: '/v1/events/stream',
    auth: 'api',
    handle({ query: q, req }) {
      const filter = {
        ...workloadFilter(q),
        kind: optString(q, 'kind', /^[a-z0-9.*-]+$/),
        minSeverity: optSeverity(q, 'severity'),
        flows: optString(q, 'flows', /^[01]$/) === '1',
      };
      for (const k of Object.keys(filter) as Array<keyof typeof filter>) if (filter[k] === undefined) delete filter[k];
      return {
        stream(res) {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
          const sub = stream.subscribe(res, filter);
          if (!sub) {
            // Refused after the head went out: say why in the stream and end it.
            res.end(`event: error\ndata: ${JSON.stringify(new ApiError(503, 'UNAVAILABLE', 'too many event stream clients').body())}\n\n`);
            return;
          }
          req.on('close', () => stream.unsubscribe(sub));
          res.on('error', () => stream.unsubscribe(sub));
        },
      };
    },
  };
}
