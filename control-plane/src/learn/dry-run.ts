// Dry-run: what a candidate policy would have blocked. The candidate replaces the policies of the
// same namespace/name among the current ones; every workload the candidate selects is compiled
// in protect mode, and the distinct requests recorded for it in the window (store.flows: events
// of discover and violations, and the filters' flow records of allowed requests in monitor and
// protect) are replayed through the real filter (replay.ts). The report lists, per workload and caller, every
// recorded flow the candidate would block, with counts, first and last time and a sample event.
import { compile } from '../compile/compile.js';
import { parsePolicies } from '../policy/load.js';
import { PolicyError } from '../policy/errors.js';
import { policyKey } from '../policy/key.js';
import type { SecurityPolicy } from '../policy/types.js';
import type { EventStore, FlowRow } from '../store/store.js';
import type { WorkloadEntry } from '../xds/inventory.js';
import { FilterReplayer } from './replay.js';
import { FLOW_HTTP } from '../events/event-types.js';

export interface DryRunInput {
  /** Candidate SecurityPolicy YAML (one or more documents). */
  yaml: string;
  sinceMs: number;
  untilMs?: number;
  /** Distinct flows replayed per workload, at most (default 10,000). */
  maxFlows?: number;
}

export interface DryRunDeps {
  store: EventStore;
  policies(): readonly SecurityPolicy[];
  inventory(): readonly WorkloadEntry[];
  wasm(): Uint8Array;
}

export interface Caller {
  principal?: string;
  namespace?: string;
  workload?: string;
  ip?: string;
}

export interface BlockedFlow {
  method: string;
  path: string;
  host: string;
  count: number;
  firstMs: number;
  lastMs: number;
  sampleEvent: string;
  /** What the filter reported: `http.policy` (no rule admits it) or `http.attack`. */
  kind: string;
  reason: string;
}

export interface WorkloadDryRun {
  namespace: string;
  name: string;
  /** Version of the configuration replayed. */
  version: string;
  flows: number;
  requests: number;
  blockedFlows: number;
  blockedRequests: number;
  /** Grouped by caller. */
  blocked: Array<{ caller: Caller; flows: BlockedFlow[] }>;
  /** More distinct flows than maxFlows existed; only the first were replayed. */
  truncated: boolean;
}

export interface DryRunReport {
  candidate: string[];
  sinceMs: number;
  untilMs: number;
  workloads: WorkloadDryRun[];
  /** Nothing recorded would have been blocked. */
  clean: boolean;
}

/** Requests recorded one by one (discover, violations) and the filters' flow records of allowed
 * requests (monitor, protect). TCP flows are not replayed (the replayer speaks HTTP). */
const HTTP_TRAFFIC = ['http.flow', 'http.policy', FLOW_HTTP];

/** A flow record's path is a template: `{id}` stands for any identifier, replayed as one. */
const replayPath = (path: string): string => path.replace(/\{id\}/g, '1');

const callerOf = (f: FlowRow): Caller => (f.srcPrincipal ? { principal: f.srcPrincipal } : f.srcWorkload ? { namespace: f.srcNamespace, workload: f.srcWorkload } : { ip: f.srcIp });

export async function dryRun(input: DryRunInput, deps: DryRunDeps): Promise<DryRunReport> {
  const parsed = parsePolicies(input.yaml, 'candidate.yaml');
  if (parsed.issues.length > 0) throw new PolicyError(parsed.issues);
  if (parsed.policies.length === 0) throw new PolicyError([{ file: 'candidate.yaml', line: 0, column: 0, path: '', rule: 'required', message: 'the candidate holds no SecurityPolicy' }]);
  const candidate = parsed.policies.map((p) => p.policy);
  const keys = new Set(candidate.map(policyKey));
  const merged = [...deps.policies().filter((p) => !keys.has(policyKey(p))), ...candidate];
  const untilMs = input.untilMs ?? Date.now();
  const report: DryRunReport = { candidate: [...keys], sinceMs: input.sinceMs, untilMs, workloads: [], clean: true };
  const wasm = deps.wasm();
  for (const w of deps.inventory()) {
    const workload = { namespace: w.namespace, name: w.name, labels: w.labels ?? {} };
    if (compile(candidate, workload, { events: { cluster: '' } }).config.policies.length === 0) continue;
    const compiled = compile(merged, workload, { mode: 'protect', events: { cluster: '' } });
    const { flows, truncated } = await deps.store.flows({ namespace: w.namespace, workload: w.name, sinceMs: input.sinceMs, untilMs, kinds: HTTP_TRAFFIC, limit: input.maxFlows ?? 10_000 });
    const result: WorkloadDryRun = { namespace: w.namespace, name: w.name, version: compiled.version, flows: flows.length, requests: 0, blockedFlows: 0, blockedRequests: 0, blocked: [], truncated };
    const byCaller = new Map<string, { caller: Caller; flows: BlockedFlow[] }>();
    const replayer = await FilterReplayer.create(wasm, compiled.json);
    try {
      for (const f of flows) {
        result.requests += f.count;
        const v = replayer.run({ method: f.method, path: replayPath(f.path), host: f.host, grpc: f.method === 'GRPC', srcIp: f.srcIp, principal: f.srcPrincipal, namespace: f.srcNamespace, workload: f.srcWorkload });
        if (!v.blocked) continue;
        result.blockedFlows++;
        result.blockedRequests += f.count;
        const caller = callerOf(f);
        const key = JSON.stringify(caller);
        if (!byCaller.has(key)) byCaller.set(key, { caller, flows: [] });
        byCaller.get(key)!.flows.push({ method: f.method, path: f.path, host: f.host, count: f.count, firstMs: f.firstMs, lastMs: f.lastMs, sampleEvent: f.sampleId, kind: v.kind ?? 'blocked', reason: v.reason ?? '' });
      }
    } finally {
      await replayer.close();
    }
    result.blocked = [...byCaller.values()];
    if (result.blockedFlows > 0) report.clean = false;
    report.workloads.push(result);
  }
  return report;
}
