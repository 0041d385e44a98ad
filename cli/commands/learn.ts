// `meshward learn`: what discover mode learned about a workload, as the SecurityPolicy that would
// admit exactly that; applied on request; and the workload's mode set on command.
import { parseArgs } from 'node:util';
import { ApiClient, ApiRequestError, SERVER_HELP } from '../api-client.js';
import { UsageError, parseWorkload } from '../args.js';
import { jsonLines, shortTime, table } from '../table.js';
import { callerText } from './policy-server.js';

export const LEARN_USAGE = `Usage:
  meshward learn --workload NS/NAME [--mode monitor|protect] [--apply]
      print the SecurityPolicy learned from the workload's observed traffic (YAML); --apply
      applies it on the control plane
  meshward learn baseline --workload NS/NAME
      what was observed: callers and their operations, SQL, Redis, egress, processes, ports
  meshward learn list
      every workload: mode, policies, learned events, last new behaviour
  meshward learn promote --workload NS/NAME --mode MODE [--force] [--since 24h]
      set the workload's mode; protect needs a clean dry-run over --since unless --force
${SERVER_HELP}
`;

interface Baseline {
  events: number;
  firstMs: number;
  lastMs: number;
  lastChangeMs: number;
  overflow: number;
  callers: Record<string, { principal?: string; namespace?: string; workload?: string; ip?: string; count: number; operations: Record<string, number> }>;
  [k: string]: unknown;
}

export async function learnCommand(argv: string[]): Promise<number> {
  const sub = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const { values } = parseArgs({
    args: sub ? argv.slice(1) : argv,
    options: {
      workload: { type: 'string' },
      mode: { type: 'string' },
      apply: { type: 'boolean' },
      force: { type: 'boolean' },
      since: { type: 'string' },
      server: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const client = new ApiClient({ server: values.server });
  if (sub === 'list') {
    const r = await client.get<{ workloads: Array<{ namespace: string; name: string; mode: string; policies: string[]; state: { modeReason?: string; quarantined?: boolean }; baseline: { events: number; lastChangeMs: number } | null }> }>('/v1/workloads');
    if (values.json) process.stdout.write(jsonLines(r.workloads));
    else process.stdout.write(table(r.workloads, [
      { header: 'WORKLOAD', value: (w) => `${w.namespace}/${w.name}` },
      { header: 'MODE', value: (w) => w.mode + (w.state.quarantined ? ' (QUARANTINED)' : '') },
      { header: 'POLICIES', value: (w) => w.policies.join(',') || '-' },
      { header: 'LEARNED', value: (w) => String(w.baseline?.events ?? 0) },
      { header: 'LAST NEW', value: (w) => (w.baseline ? shortTime(w.baseline.lastChangeMs) : '-') },
    ]));
    return 0;
  }
  if (!values.workload) throw new UsageError('--workload NS/NAME is required');
  const w = parseWorkload('--workload', values.workload);
  const base = `/${encodeURIComponent(w.namespace)}/${encodeURIComponent(w.name)}`;
  if (sub === 'promote') {
    if (!values.mode) throw new UsageError('--mode discover|monitor|protect is required');
    try {
      const r = await client.request<{ workload: { mode: string } }>('PUT', `/v1/workloads${base}/mode`, { json: { mode: values.mode, force: values.force ?? false, ...(values.since ? { since: values.since } : {}) } });
      process.stdout.write(values.json ? JSON.stringify(r) + '\n' : `${values.workload} is now in ${r.workload.mode} mode\n`);
      return 0;
    } catch (err) {
      if (err instanceof ApiRequestError && err.code === 'CONFLICT') {
        process.stderr.write(`meshward learn promote: ${err.message}\n`);
        const report = (err.details as { dryRun?: { workloads: Array<{ blocked: Array<{ caller: Record<string, string>; flows: Array<{ method: string; path: string; count: number }> }> }> } } | undefined)?.dryRun;
        for (const wr of report?.workloads ?? []) for (const g of wr.blocked) for (const f of g.flows) process.stderr.write(`  would block ${f.method} ${f.path} from ${callerText(g.caller)} (${f.count})\n`);
        return 3;
      }
      throw err;
    }
  }
  if (sub === 'baseline') {
    const b = await client.get<Baseline>(`/v1/baselines${base}`);
    if (values.json) {
      process.stdout.write(JSON.stringify(b) + '\n');
      return 0;
    }
    process.stdout.write(`${values.workload}: ${b.events} events, ${shortTime(b.firstMs)} to ${shortTime(b.lastMs)}, last new behaviour ${shortTime(b.lastChangeMs)}${b.overflow ? `, ${b.overflow} entries over the limits` : ''}\n`);
    for (const c of Object.values(b.callers)) {
      process.stdout.write(`  from ${callerText(c)} (${c.count}):\n`);
      for (const [op, n] of Object.entries(c.operations)) process.stdout.write(`    ${op}  ${n}\n`);
    }
    for (const key of ['sql', 'redis', 'egress', 'processes', 'ports'] as const) {
      const m = b[key] as Record<string, number> | undefined;
      if (m && Object.keys(m).length) process.stdout.write(`  ${key}: ${Object.entries(m).map(([k, n]) => `${k} (${n})`).join(', ')}\n`);
    }
    return 0;
  }
  if (sub !== undefined) throw new UsageError(`unknown learn sub-command "${sub}" (baseline, list, promote)`);
  const mode = values.mode ?? 'monitor';
  if (values.apply) {
    const r = await client.request<{ applied: Array<{ namespace: string; name: string; created: boolean }>; yaml: string }>('POST', `/v1/baselines${base}/apply`, { json: { mode } });
    process.stdout.write(r.yaml);
    for (const a of r.applied) process.stderr.write(`securitypolicy ${a.namespace}/${a.name} ${a.created ? 'created' : 'configured'}\n`);
    return 0;
  }
  const p = await client.get<{ yaml: string; notes: string[] }>(`/v1/baselines${base}/proposal`, { mode });
  process.stdout.write(values.json ? JSON.stringify(p) + '\n' : p.yaml);
  return 0;
}
