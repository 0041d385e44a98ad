// `meshward events`: the stored events, newest first, from the control plane's REST API.
import { parseArgs } from 'node:util';
import { ApiClient, SERVER_HELP } from '../api-client.js';
import { UsageError } from '../args.js';
import { jsonLines, shortTime, table } from '../table.js';

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
    return 0;
  }
  if (items.length === 0) {
    process.stdout.write('no events\n');
    return 0;
  }
  process.stdout.write(table(items, [
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
  ]));
  return 0;
}
