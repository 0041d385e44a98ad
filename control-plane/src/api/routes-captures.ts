// Packet captures through the host agents (respond/captures.ts):
//   POST /v1/captures {namespace, workload, seconds?, filter?, pods?}  ask the workload's agents
//   GET  /v1/captures, /v1/captures/{id}                               state of each node's part
//   GET  /v1/captures/{id}/pcap[?node=N]                               the pcap file
import { parseCaptureFilter } from '../../../host-agent/src/capture/capture-filter.js';
import type { Captures } from '../respond/captures.js';
import type { WorkloadEntry } from '../xds/inventory.js';
import { ApiError, badRequest, notFound } from './api-error.js';
import { optString } from './params.js';
import type { Route } from './router.js';

const MAX_SECONDS = 300;

export function captureRoutes(captures: Captures, inventory: () => readonly WorkloadEntry[]): Route[] {
  return [
    {
      method: 'POST', path: '/v1/captures', auth: 'api', maxBodyBytes: 16 * 1024,
      async handle(ctx) {
        const body = (await ctx.json()) as Record<string, unknown> | null;
        if (!body || typeof body !== 'object') throw badRequest('the body must be a JSON object {namespace, workload, seconds?, filter?, pods?}');
        const { namespace, workload } = body;
        if (typeof namespace !== 'string' || typeof workload !== 'string') throw badRequest('namespace and workload are required strings', { field: typeof namespace !== 'string' ? 'namespace' : 'workload' });
        const entry = inventory().find((w) => w.namespace === namespace && w.name === workload);
        if (!entry) throw notFound(`workload ${namespace}/${workload} (not in the inventory)`);
        const seconds = body.seconds ?? 10;
        if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SECONDS) throw badRequest(`seconds must be an integer from 1 to ${MAX_SECONDS}`, { field: 'seconds' });
        const filter = body.filter ?? '';
        if (typeof filter !== 'string') throw badRequest('filter must be a string', { field: 'filter' });
        const parsed = parseCaptureFilter(filter);
        if (!parsed.ok) throw badRequest(parsed.reason, { field: 'filter' });
        const known = entry.pods?.map((p) => p.name) ?? [];
        const pods = body.pods ?? known;
        if (!Array.isArray(pods) || pods.some((p) => typeof p !== 'string' || !known.includes(p))) throw badRequest(`pods must name pods of ${namespace}/${workload} (${known.join(', ') || 'none known'})`, { field: 'pods' });
        const record = captures.request({ namespace, workload, pods: pods as string[], durationSeconds: seconds, filter, reason: 'API' });
        if (record.status === 'undelivered') {
          throw new ApiError(409, 'NO_AGENT', `no host agent of a node running ${namespace}/${workload} is connected (capture ${record.id} recorded as undelivered)`, { capture: record });
        }
        return { status: 202, body: { capture: record } };
      },
    },
    { method: 'GET', path: '/v1/captures', auth: 'api', handle: () => ({ body: { captures: captures.list() } }) },
    {
      method: 'GET', path: '/v1/captures/:id', auth: 'api',
      handle({ params }) {
        const r = captures.get(params.id);
        if (!r) throw notFound(`capture ${params.id}`);
        return { body: { capture: r } };
      },
    },
    {
      method: 'GET', path: '/v1/captures/:id/pcap', auth: 'api',
      handle({ params, query }) {
        const r = captures.get(params.id);
        if (!r) throw notFound(`capture ${params.id}`);
        const file = captures.pcap(params.id, optString(query, 'node'));
        if (!file) throw new ApiError(409, 'NOT_READY', `capture ${params.id} has no finished file yet (status ${r.status})`, { capture: r });
        return {
          bytes: file.bytes,
          contentType: 'application/vnd.tcpdump.pcap',
          headers: { 'content-disposition': `attachment; filename="${params.id}-${file.node}.pcap"`, 'x-meshward-node': file.node },
        };
      },
    },
  ];
}
