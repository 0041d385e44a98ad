// `meshward policy apply|get|dry-run`: policy through the control plane's REST API (the local
// sub-commands validate|compile|crd stay in policy.ts).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiClient, ApiRequestError, SERVER_HELP } from '../api-client.js';
import { UsageError } from '../args.js';
import { jsonLines, shortTime, table } from '../table.js';

export const POLICY_SERVER_USAGE = `  meshward policy apply -f FILE
      validate and apply SecurityPolicy YAML on the control plane (a policies-folder file, or a
      custom resource in Kubernetes); errors name line, field and rule
  meshward policy get [NS/NAME]
      the policies in force (one as YAML)
  meshward policy dry-run -f FILE [--since 24h]
      replay the recorded traffic of the workloads FILE selects against it in protect mode and
      list, by workload and caller, what it would have blocked (exit 3 when anything would be)
${SERVER_HELP}
`;

interface DryRunReport {
  candidate: string[];
  clean: boolean;
  workloads: Array<{
    namespace: string;
    name: string;
    flows: number;
    requests: number;
    blockedFlows: number;
    blockedRequests: number;
    truncated: boolean;
    blocked: Array<{ caller: { principal?: string; namespace?: string; workload?: string; ip?: string }; flows: Array<{ method: string; path: string; host: string; count: number; lastMs: number; kind: string; sampleEvent: string }> }>;
  }>;
}

export const callerText = (c: { principal?: string; namespace?: string; workload?: string; ip?: string }) => c.principal ?? (c.workload ? `${c.namespace}/${c.workload}` : c.ip ?? '?');

function issuesText(err: ApiRequestError): string {
  const issues = (err.details as { issues?: Array<{ file: string; line: number; column: number; path: string; message: string }> } | undefined)?.issues;
  if (!issues?.length) return err.message;
  return issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n');
}

export async function policyServerCommand(sub: 'apply' | 'get' | 'dry-run', argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { file: { type: 'string', short: 'f' }, since: { type: 'string' }, server: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const client = new ApiClient({ server: values.server });
  const fileText = () => {
    if (!values.file) throw new UsageError(`policy ${sub} needs -f FILE`);
    return readFileSync(values.file, 'utf8');
  };
  const rename = (text: string) => (values.file ? text.replaceAll('request.yaml', values.file).replaceAll('candidate.yaml', values.file) : text);
  try {
    if (sub === 'apply') {
      const r = await client.request<{ applied: Array<{ namespace: string; name: string; file?: string; created: boolean }> }>('PUT', '/v1/policies', { text: fileText(), contentType: 'application/yaml' });
      if (values.json) process.stdout.write(jsonLines(r.applied));
      else for (const a of r.applied) process.stdout.write(`securitypolicy ${a.namespace}/${a.name} ${a.created ? 'created' : 'configured'}${a.file ? ` (${a.file})` : ''}\n`);
      return 0;
    }
    if (sub === 'get') {
      if (positionals[0]) {
        const [ns, name] = positionals[0].split('/');
        if (!name) throw new UsageError(`give NS/NAME (got "${positionals[0]}")`);
        const r = await client.get<{ yaml: string; policy: unknown }>(`/v1/policies/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`);
        process.stdout.write(values.json ? JSON.stringify(r.policy) + '\n' : r.yaml);
        return 0;
      }
      const r = await client.get<{ policies: Array<{ namespace: string; name: string; mode: string; selector: unknown }> }>('/v1/policies');
      if (values.json) process.stdout.write(jsonLines(r.policies.map(({ namespace, name, mode, selector }) => ({ namespace, name, mode, selector }))));
      else process.stdout.write(table(r.policies, [
        { header: 'NAMESPACE', value: (p) => p.namespace },
        { header: 'NAME', value: (p) => p.name },
        { header: 'MODE', value: (p) => p.mode },
        { header: 'SELECTOR', value: (p) => JSON.stringify(p.selector) },
      ]));
      return 0;
    }
    const report = await client.request<DryRunReport>('POST', '/v1/dry-run', { json: { yaml: fileText(), since: values.since ?? '24h' } });
    if (values.json) {
      const rows = report.workloads.flatMap((w) => w.blocked.flatMap((g) => g.flows.map((f) => ({ workload: `${w.namespace}/${w.name}`, caller: g.caller, ...f }))));
      process.stdout.write(jsonLines(rows));
      return report.clean ? 0 : 3;
    }
    for (const w of report.workloads) {
      process.stdout.write(`${w.namespace}/${w.name}: ${w.flows} recorded flows (${w.requests} requests); would block ${w.blockedFlows} flows (${w.blockedRequests} requests)${w.truncated ? ' [more flows than replayed]' : ''}\n`);
      for (const g of w.blocked) {
        process.stdout.write(`  from ${callerText(g.caller)}:\n`);
        process.stdout.write(table(g.flows, [
          { header: '    REQUEST', value: (f) => `    ${f.method} ${f.path}` },
          { header: 'COUNT', value: (f) => String(f.count) },
          { header: 'LAST SEEN', value: (f) => shortTime(f.lastMs) },
          { header: 'VERDICT', value: (f) => f.kind },
          { header: 'SAMPLE EVENT', value: (f) => f.sampleEvent },
        ]));
      }
    }
    if (report.workloads.length === 0) process.stdout.write('the candidate selects no workload in the inventory\n');
    process.stdout.write(report.clean ? 'clean: nothing recorded would have been blocked\n' : 'NOT clean: the flows above would have been blocked\n');
    return report.clean ? 0 : 3;
  } catch (err) {
    if (err instanceof ApiRequestError && err.code === 'POLICY_INVALID') {
      process.stderr.write(rename(issuesText(err)) + '\n');
      return 1;
    }
    throw err;
  }
}
