// `meshward events`: the stored events, newest first, from the control plane's REST API.
import { parseArgs } from 'node:util';
import { ApiClient, ApiRequestError, SERVER_HELP } from '../api-client.js';
import { SseError, readEventStream } from '../../control-plane/src/api/sse-reader.js';
import { UsageError } from '../args.js';
import { jsonLines, shortTime, table, type Column } from '../table.js';

export const EVENTS_USAGE = `Usage: meshward events [options]

Lists stored events, newest first.

  --since AGE|TIME        from (default 1h): 15m, 24h, 7d or an ISO time
  --until AGE|TIME        up to
  --workload NS/NAME      one workload
  --kind KIND             http.attack, or a prefix: anomaly.*
  --severity LEVEL        at least: info | low | medium | high | critical
  --action ACTION         allow | alert | block | kill
  --incident ID           the events of one incident
  --peer IP|PRINCIPAL     from one source
  --limit N               at most N events (default 50; pages are followed)
  --follow, -f            then print events as they are stored (the live stream,
                          GET /v1/events/stream) until interrupted; --flows adds flow records
${SERVER_HELP}
`;

export interface EventItem {
  event: {
    id: string;
    time: string;
    kind: string;
    severity: string;
    action: string;
    workload: { namespace: string; name: string };
    source?: { ip?: string; principal?: string; workload?: string; namespace?: string };
    http?: { method?: string; path?: string };
    rule?: { id?: string; name?: string } | null;
    attack?: { class?: string; tactic?: string } | null;
    evidence?: { reason?: string };
    [k: string]: unknown;
  };
  incident: string | null;
}

export function describeEvent(e: EventItem['event']): string {
  if (e.http?.method) return `${e.http.method} ${e.http.path ?? ''}`;
  const p = e.process as { exe?: string } | undefined;
  if (p?.exe) return p.exe;
  const d = e.destination as { fqdn?: string; ip?: string; port?: number } | undefined;
  if (d && (d.fqdn || d.ip)) return `→ ${d.fqdn || d.ip}${d.port ? `:${d.port}` : ''}`;
  return e.evidence?.reason ?? '';
}

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      workload: { type: 'string' },
      kind: { type: 'string' },
      severity: { type: 'string' },
      action: { type: 'string' },
      incident: { type: 'string' },
      peer: { type: 'string' },
      limit: { type: 'string' },
      server: { type: 'string' },
      json: { type: 'boolean' },
      follow: { type: 'boolean', short: 'f' },
      flows: { type: 'boolean' },
    },
    strict: true,
  });
  const limit = Number(values.limit ?? '50');
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer (got "${values.limit}")`);
  const client = new ApiClient({ server: values.server });
  const items: EventItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.get<{ events: EventItem[]; next?: string }>('/v1/events', {
      since: values.since ?? (values.incident ? undefined : '1h'),
      until: values.until,
      workload: values.workload,
      kind: values.kind,
      severity: values.severity,
      action: values.action,
      incident: values.incident,
      peer: values.peer,
      limit: Math.min(1000, limit - items.length),
      cursor,
    });
    items.push(...page.events);
    cursor = page.next;
  } while (cursor && items.length < limit);
  if (values.json) {
    process.stdout.write(jsonLines(items.map((i) => ({ ...i.event, ...(i.incident ? { incident: i.incident } : {}) }))));
  } else if (items.length === 0) {
    if (!values.follow) process.stdout.write('no events\n');
  } else {
    process.stdout.write(table(items, COLUMNS));
  }
  if (!values.follow) return 0;
  return follow(client, values, new Set(items.map((i) => i.event.id)));
}

/** Prints what the stream delivers; drops and a lost connection are said on stderr. */
async function follow(client: ApiClient, values: { workload?: string; kind?: string; severity?: string; json?: boolean; flows?: boolean }, shown: Set<string>): Promise<number> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ workload: values.workload, kind: values.kind, severity: values.severity, flows: values.flows ? '1' : undefined })) if (v) q.set(k, v);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await readEventStream(`${client.server}/v1/events/stream?${q}`, { token: client.token, signal: controller.signal }, (m) => {
      if (m.event === 'dropped') {
        const d = JSON.parse(m.data) as { dropped: number; total: number };
        process.stderr.write(`meshward events: ${d.dropped} events were not delivered (this client was too slow; ${d.total} in all); see them with meshward events --since\n`);
        return;
      }
      if (m.event !== 'event') return;
      const item = JSON.parse(m.data) as { event: EventItem['event'] };
      if (shown.has(item.event.id)) return;
      if (values.json) process.stdout.write(jsonLines([item.event]));
      else process.stdout.write(COLUMNS.map((c) => c.value({ event: item.event, incident: null })).filter((v) => v !== '').join('  ') + '\n');
    });
  } catch (err) {
    if (controller.signal.aborted) return 0;
    if (err instanceof SseError) throw new ApiRequestError(err.status, err.code, err.message);
    throw new ApiRequestError(0, 'STREAM_FAILED', `the event stream from ${client.server} failed: ${(err as Error).message}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (controller.signal.aborted) return 0;
  process.stderr.write('meshward events: the control plane closed the stream\n');
  return 1;
}

const COLUMNS: Array<Column<EventItem>> = [
    { header: 'TIME', value: (i) => shortTime(i.event.time) },
    { header: 'KIND', value: (i) => i.event.kind },
    { header: 'SEVERITY', value: (i) => i.event.severity },
    { header: 'ACTION', value: (i) => i.event.action },
    { header: 'WORKLOAD', value: (i) => `${i.event.workload.namespace}/${i.event.workload.name}` },
    { header: 'SOURCE', value: (i) => i.event.source?.principal || i.event.source?.ip || '', max: 48 },
    { header: 'WHAT', value: (i) => describeEvent(i.event), max: 50 },
    { header: 'RULE/ATTACK', value: (i) => i.event.attack?.class ? `${i.event.attack.class} (${i.event.attack.tactic ?? ''})` : i.event.rule?.id ?? '', max: 40 },
    { header: 'INCIDENT', value: (i) => i.incident ?? '' },
    { header: 'ID', value: (i) => i.event.id, max: 40 },
];
