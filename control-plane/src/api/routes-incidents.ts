// GET /v1/incidents, /v1/incidents/{id} (with its events), POST /v1/incidents/{id}/resolve.
import type { Correlator } from '../correlate/correlator.js';
import type { Incident } from '../correlate/incident.js';
import type { EventStore } from '../store/store.js';
import { notFound } from './api-error.js';
import { optInt, optSeverity, optString, optTime, workloadFilter } from './params.js';
import { eventItem } from './routes-events.js';
import type { Route } from './router.js';

export function incidentRoutes(store: EventStore, correlator: Correlator): Route[] {
  return [
    {
      method: 'GET', path: '/v1/incidents', auth: 'api',
      async handle({ query: q }) {
        const status = optString(q, 'status', /^(open|resolved)$/) as 'open' | 'resolved' | undefined;
        const page = await store.queryIncidents({ sinceMs: optTime(q, 'since'), status, minSeverity: optSeverity(q, 'severity'), ...workloadFilter(q), limit: optInt(q, 'limit', 1, 1000), cursor: optString(q, 'cursor') });
        return { body: { incidents: page.items.map((r) => JSON.parse(r.doc) as Incident), ...(page.next ? { next: page.next } : {}) } };
      },
    },
    {
      method: 'GET', path: '/v1/incidents/:id', auth: 'api',
      async handle({ params }) {
        const row = await store.getIncident(params.id);
        if (!row) throw notFound(`incident ${params.id}`);
        const events = await store.queryEvents({ incident: params.id, ascending: true, limit: 1000 });
        return { body: { incident: JSON.parse(row.doc) as Incident, events: events.items.map(eventItem) } };
      },
    },
    {
      method: 'POST', path: '/v1/incidents/:id/resolve', auth: 'api',
      async handle({ params }) {
        const incident = await correlator.resolve(params.id);
        if (!incident) throw notFound(`incident ${params.id}`);
        return { body: { incident } };
      },
    },
  ];
}
