// `meshward incidents`: attack chains the control plane correlated, and one incident's steps.
import { parseArgs } from 'node:util';
import { ApiClient, SERVER_HELP } from '../api-client.js';
import { UsageError } from '../args.js';
import { jsonLines, shortTime, table } from '../table.js';

export const INCIDENTS_USAGE = `Usage:
  meshward incidents [--since 24h] [--status open|resolved] [--severity LEVEL] [--workload NS/NAME]
      incidents, most recently active first
  meshward incidents show ID
      one incident: its chain of steps with tactics and techniques, and its events
  meshward incidents resolve ID
${SERVER_HELP}
`;

interface Step { tactic: string; technique: string; name: string; kind: string; workload: string; firstMs: number; lastMs: number; count: number; severity: string }
interface Incident { id: string; status: string; title: string; severity: string; workloads: string[]; tactics: string[]; firstMs: number; lastMs: number; eventCount: number; steps: Step[] }

export async function incidentsCommand(argv: string[]): Promise<number> {
  const sub = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const { values, positionals } = parseArgs({
    args: sub ? argv.slice(1) : argv,
    options: { since: { type: 'string' }, status: { type: 'string' }, severity: { type: 'string' }, workload: { type: 'string' }, limit: { type: 'string' }, server: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const client = new ApiClient({ server: values.server });
  if (sub === 'show' || sub === 'resolve') {
    const id = positionals[0];
    if (!id) throw new UsageError(`incidents ${sub} needs an incident ID`);
    if (sub === 'resolve') {
      const r = await client.request<{ incident: Incident }>('POST', `/v1/incidents/${encodeURIComponent(id)}/resolve`);
      process.stdout.write(values.json ? JSON.stringify(r.incident) + '\n' : `incident ${id} resolved\n`);
      return 0;
    }
    const r = await client.get<{ incident: Incident; events: Array<{ event: Record<string, unknown> }> }>(`/v1/incidents/${encodeURIComponent(id)}`);
    if (values.json) {
      process.stdout.write(JSON.stringify(r.incident) + '\n');
      return 0;
    }
    const i = r.incident;
    process.stdout.write(`${i.id}  ${i.severity.toUpperCase()}  ${i.status}\n${i.title}\n${shortTime(i.firstMs)} to ${shortTime(i.lastMs)}, ${i.eventCount} events\n\n`);
    process.stdout.write(table(i.steps.map((s, n) => ({ ...s, n: n + 1 })), [
      { header: 'STEP', value: (s) => String(s.n) },
      { header: 'TIME', value: (s) => shortTime(s.firstMs) },
      { header: 'TACTIC', value: (s) => s.tactic },
      { header: 'TECHNIQUE', value: (s) => s.technique },
      { header: 'WHAT', value: (s) => s.name, max: 60 },
      { header: 'WORKLOAD', value: (s) => s.workload },
      { header: 'COUNT', value: (s) => String(s.count) },
    ]));
    return 0;
  }
  if (sub !== undefined) throw new UsageError(`unknown incidents sub-command "${sub}" (show, resolve)`);
  const r = await client.get<{ incidents: Incident[] }>('/v1/incidents', { since: values.since ?? '24h', status: values.status, severity: values.severity, workload: values.workload, limit: values.limit ?? '100' });
  if (values.json) {
    process.stdout.write(jsonLines(r.incidents));
    return 0;
  }
  if (r.incidents.length === 0) {
    process.stdout.write('no incidents\n');
    return 0;
  }
  process.stdout.write(table(r.incidents, [
    { header: 'ID', value: (i) => i.id },
    { header: 'SEVERITY', value: (i) => i.severity },
    { header: 'STATUS', value: (i) => i.status },
    { header: 'LAST', value: (i) => shortTime(i.lastMs) },
    { header: 'STEPS', value: (i) => String(i.steps.length) },
    { header: 'EVENTS', value: (i) => String(i.eventCount) },
    { header: 'CHAIN', value: (i) => i.tactics.join(' → '), max: 80 },
    { header: 'WORKLOADS', value: (i) => i.workloads.join(',') },
  ]));
  return 0;
}
