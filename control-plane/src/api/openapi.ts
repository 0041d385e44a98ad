// The OpenAPI 3.1 document of the REST API, served at /v1/openapi.json. Each route of the router
// has one entry here (a test checks both ways), with its parameters, body and answers; error
// answers share one schema with a stable `code`.
import type { Route } from './router.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const q = (name: string, description: string, schema: Schema = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const p = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const json = (schema: Schema, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { $ref: '#/components/responses/Error' }]));
const yamlBody = { required: true, content: { 'application/yaml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object', required: ['yaml'], properties: { yaml: { type: 'string' }, since: { type: 'string' } } } } } };
const eventFilters = [
  q('since', 'from: a duration back (24h), an ISO time or epoch ms'), q('until', 'up to (same forms)'),
  q('workload', 'NAME or NS/NAME'), q('namespace', 'namespace'), q('kind', 'kind, or a prefix like anomaly.*'),
  q('severity', 'at least', { enum: ['info', 'low', 'medium', 'high', 'critical'] }), q('action', 'allow, alert, block, kill'),
  q('incident', 'incident id'), q('peer', 'source IP or principal'), q('limit', '1 to 1000 (default 100)', { type: 'integer' }),
  q('cursor', 'from the previous page'), q('order', 'asc for oldest first'),
];

interface Op {
  summary: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

export const OPERATIONS: Record<string, Op> = {
  'GET /v1/status': { summary: 'State of xDS, policy, ingest, store, learning, correlation and response', responses: { 200: json({ type: 'object' }), ...errors(401) } },
  'GET /v1/openapi.json': { summary: 'This document', responses: { 200: json({ type: 'object' }) } },
  'POST /v1/events': {
    summary: 'Ingest a batch of events from a filter (authorization: the workload\'s events token or the API token)',
    requestBody: { required: true, content: { 'application/json': { schema: ref('EventBatch') } } },
    responses: { 200: json(ref('IngestResult'), 'Stored; invalid events listed in rejected'), ...errors(400, 401, 413, 503) },
  },
  'GET /v1/events': { summary: 'Stored events, newest first', parameters: eventFilters, responses: { 200: json({ type: 'object', properties: { events: { type: 'array', items: ref('EventItem') }, next: { type: 'string' } } }), ...errors(400, 401) } },
  'GET /v1/events/stream': {
    summary: 'Events as they are stored (Server-Sent Events: event, dropped, heartbeat messages); flow records only with flows=1',
    parameters: [q('workload', 'NAME or NS/NAME'), q('namespace', 'namespace'), q('kind', 'kind, or a prefix like http.*'), q('severity', 'at least', { enum: ['info', 'low', 'medium', 'high', 'critical'] }), q('flows', '1 to include flow records', { enum: ['0', '1'] })],
    responses: { 200: { description: 'text/event-stream until the client goes', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(400, 401, 503) },
  },
  'GET /v1/events/{id}': { summary: 'One event', parameters: [p('id')], responses: { 200: json(ref('EventItem')), ...errors(401, 404) } },
  'GET /v1/flows': { summary: 'Observed flows (caller, operation, verdicts, requests counted from events and flow records) for the network map', parameters: [q('since', 'default 1h'), q('until', ''), q('workload', ''), q('namespace', ''), q('limit', '', { type: 'integer' })], responses: { 200: json({ type: 'object' }), ...errors(401) } },
  'GET /v1/incidents': { summary: 'Incidents, most recently active first', parameters: [q('since', ''), q('status', 'open or resolved'), q('severity', 'at least'), q('workload', ''), q('namespace', ''), q('limit', '', { type: 'integer' }), q('cursor', '')], responses: { 200: json({ type: 'object', properties: { incidents: { type: 'array', items: ref('Incident') }, next: { type: 'string' } } }), ...errors(400, 401) } },
  'GET /v1/incidents/{id}': { summary: 'One incident with its events', parameters: [p('id')], responses: { 200: json({ type: 'object', properties: { incident: ref('Incident'), events: { type: 'array', items: ref('EventItem') } } }), ...errors(401, 404) } },
  'POST /v1/incidents/{id}/resolve': { summary: 'Resolve an incident', parameters: [p('id')], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  'GET /v1/policies': { summary: 'Policies in force', responses: { 200: json({ type: 'object' }), ...errors(401) } },
  'GET /v1/policies/{namespace}/{name}': { summary: 'One policy, as object and YAML', parameters: [p('namespace'), p('name')], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  'PUT /v1/policies': { summary: 'Validate and apply SecurityPolicy YAML (policies folder or custom resource)', requestBody: yamlBody, responses: { 200: json({ type: 'object' }), ...errors(400, 401, 409, 501) } },
  'DELETE /v1/policies/{namespace}/{name}': { summary: 'Delete a policy', parameters: [p('namespace'), p('name')], responses: { 200: json({ type: 'object' }), ...errors(401, 404, 409, 501) } },
  'POST /v1/dry-run': { summary: 'Replay recorded traffic against a candidate policy in protect mode; what it would block', requestBody: yamlBody, responses: { 200: json(ref('DryRunReport')), ...errors(400, 401) } },
  'GET /v1/baselines': { summary: 'Learned baselines (summaries)', responses: { 200: json({ type: 'object' }), ...errors(401) } },
  'GET /v1/baselines/{namespace}/{name}': { summary: 'One workload\'s baseline', parameters: [p('namespace'), p('name')], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  'GET /v1/baselines/{namespace}/{name}/proposal': { summary: 'The learned SecurityPolicy (YAML)', parameters: [p('namespace'), p('name'), q('mode', 'discover, monitor (default) or protect')], responses: { 200: json({ type: 'object', properties: { yaml: { type: 'string' }, notes: { type: 'array', items: { type: 'string' } } } }), ...errors(400, 401, 404) } },
  'POST /v1/baselines/{namespace}/{name}/apply': { summary: 'Apply the learned policy', parameters: [p('namespace'), p('name')], requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { mode: { type: 'string' } } } } } }, responses: { 200: json({ type: 'object' }), ...errors(400, 401, 404, 501) } },
  'GET /v1/workloads': { summary: 'Workloads: policies, mode, state, baseline summary', responses: { 200: json({ type: 'object' }), ...errors(401) } },
  'GET /v1/workloads/{namespace}/{name}': { summary: 'One workload', parameters: [p('namespace'), p('name')], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  'PUT /v1/workloads/{namespace}/{name}/mode': { summary: 'Set the mode (protect needs a clean dry-run unless force)', parameters: [p('namespace'), p('name')], requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['mode'], properties: { mode: { type: ['string', 'null'] }, force: { type: 'boolean' }, since: { type: 'string' } } } } } }, responses: { 200: json({ type: 'object' }), ...errors(400, 401, 404, 409) } },
  'POST /v1/workloads/{namespace}/{name}/quarantine': { summary: 'Quarantine: a deny-all policy for the workload', parameters: [p('namespace'), p('name')], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  'POST /v1/captures': {
    summary: 'Ask the host agents of a workload\'s nodes for a packet capture of its pods (pcap filter subset: tcp, port N, or)',
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['namespace', 'workload'], properties: { namespace: { type: 'string' }, workload: { type: 'string' }, seconds: { type: 'integer', minimum: 1, maximum: 300 }, filter: { type: 'string' }, pods: { type: 'array', items: { type: 'string' } } } } } } },
    responses: { 202: json({ type: 'object', properties: { capture: ref('Capture') } }, 'Requested'), ...errors(400, 401, 404, 409) },
  },
  'GET /v1/captures': { summary: 'Captures, newest first', responses: { 200: json({ type: 'object', properties: { captures: { type: 'array', items: ref('Capture') } } }), ...errors(401) } },
  'GET /v1/captures/{id}': { summary: 'One capture and each node\'s part', parameters: [p('id')], responses: { 200: json({ type: 'object', properties: { capture: ref('Capture') } }), ...errors(401, 404) } },
  'GET /v1/captures/{id}/pcap': {
    summary: 'The pcap file of a finished capture (one node\'s part)',
    parameters: [p('id'), q('node', 'the node (default: the first finished)')],
    responses: { 200: { description: 'pcap', content: { 'application/vnd.tcpdump.pcap': { schema: { type: 'string', format: 'binary' } } } }, ...errors(401, 404, 409) },
  },
  'DELETE /v1/workloads/{namespace}/{name}/quarantine': { summary: 'Lift the quarantine', parameters: [p('namespace'), p('name')], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
};

export const openApiKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path.replace(/:([a-zA-Z]+)/g, '{$1}')}`;

export function openApiDocument(routes: ReadonlyArray<Pick<Route, 'method' | 'path' | 'auth'>>, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const key = openApiKey(r);
    const op = OPERATIONS[key];
    if (!op) continue;
    const path = key.slice(key.indexOf(' ') + 1);
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = { ...op, operationId: key.replace(/[^A-Za-z0-9]+/g, '_'), security: r.auth === 'none' ? [] : [{ bearer: [] }] };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Meshward control plane API', version, description: 'Events, incidents, baselines, policies and dry-run. Authorization: Bearer <API token> (MESHWARD_API_TOKEN). Errors: {"error": {"code", "message", "details"}}.' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: { Error: { description: 'An error with a stable code', content: { 'application/json': { schema: ref('Error') } } } },
      schemas: {
        Error: {
          type: 'object', required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { enum: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'BAD_REQUEST', 'BODY_TOO_LARGE', 'BATCH_MALFORMED', 'POLICY_INVALID', 'CONFLICT', 'UNAVAILABLE', 'NOT_CONFIGURED', 'NO_AGENT', 'NOT_READY', 'INTERNAL'] }, message: { type: 'string' }, details: {} } } },
        },
        Event: {
          type: 'object', required: ['id', 'time', 'kind', 'severity', 'action', 'mode', 'workload'], additionalProperties: true,
          properties: {
            id: { type: 'string' }, time: { type: 'string', format: 'date-time' }, kind: { type: 'string' },
            severity: { enum: ['info', 'low', 'medium', 'high', 'critical'] }, action: { enum: ['allow', 'alert', 'block', 'kill'] }, mode: { enum: ['discover', 'monitor', 'protect'] },
            workload: { type: 'object', required: ['namespace', 'name'], properties: { namespace: { type: 'string' }, name: { type: 'string' }, pod: { type: 'string' }, container: { type: 'string' } } },
            source: { type: 'object' }, destination: { type: 'object' }, protocol: { type: 'string' }, rule: { type: ['object', 'null'] }, attack: { type: ['object', 'null'] }, evidence: { type: 'object' },
          },
        },
        EventItem: { type: 'object', properties: { event: ref('Event'), receivedMs: { type: 'integer' }, incident: { type: ['string', 'null'] } } },
        EventBatch: { type: 'object', required: ['schema', 'workload', 'events'], properties: { schema: { const: 1 }, workload: { type: 'object' }, dropped: { type: 'integer', minimum: 0 }, flowsOverflow: { type: 'integer', minimum: 0, description: 'allowed requests the filter\'s flow table had no room for since the last accepted batch' }, events: { type: 'array', items: ref('Event') } } },
        IngestResult: { type: 'object', properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' }, rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, id: { type: 'string' }, code: { type: 'string' }, field: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } } } } } },
        Incident: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, title: { type: 'string' }, severity: { type: 'string' }, tactics: { type: 'array', items: { type: 'string' } }, steps: { type: 'array', items: { type: 'object' } }, firstMs: { type: 'integer' }, lastMs: { type: 'integer' } } },
        Capture: {
          type: 'object',
          properties: {
            id: { type: 'string' }, namespace: { type: 'string' }, workload: { type: 'string' }, pods: { type: 'array', items: { type: 'string' } },
            durationSeconds: { type: 'integer' }, filter: { type: 'string' }, reason: { type: 'string' }, incident: { type: 'string' }, requestedAt: { type: 'string' },
            status: { enum: ['requested', 'undelivered', 'done', 'failed', 'expired'] },
            parts: { type: 'array', items: { type: 'object', properties: { node: { type: 'string' }, status: { enum: ['running', 'done', 'failed'] }, message: { type: 'string' }, location: { type: 'string' }, packets: { type: 'integer' }, bytes: { type: 'integer' }, truncated: { type: 'boolean' } } } },
          },
        },
        DryRunReport: { type: 'object', properties: { clean: { type: 'boolean' }, candidate: { type: 'array', items: { type: 'string' } }, workloads: { type: 'array', items: { type: 'object' } } } },
      },
    },
  };
}
