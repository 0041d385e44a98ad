// Policies, baselines, dry-run and workloads over REST:
//   GET    /v1/policies, /v1/policies/{ns}/{name}      what is in force (YAML included)
//   PUT    /v1/policies                                apply YAML (validated; errors with line, field, rule)
//   DELETE /v1/policies/{ns}/{name}
//   POST   /v1/dry-run                                 {yaml, since}: what the candidate would block
//   GET    /v1/baselines, /v1/baselines/{ns}/{name}
//   GET    /v1/baselines/{ns}/{name}/proposal?mode=    the learned SecurityPolicy
//   POST   /v1/baselines/{ns}/{name}/apply             {mode}: apply it
//   GET    /v1/workloads, /v1/workloads/{ns}/{name}    inventory, modes, state, baseline summary
//   PUT    /v1/workloads/{ns}/{name}/mode              {mode, force, since}: promotion on command
import { stringify } from 'yaml';
import { compile } from '../compile/compile.js';
import { dryRun, type DryRunDeps } from '../learn/dry-run.js';
import type { Learner } from '../learn/learner.js';
import { PromotionError, type Promoter } from '../learn/promotion.js';
import { proposePolicy } from '../learn/propose.js';
import type { WorkloadStates } from '../learn/workload-states.js';
import { PolicyError } from '../policy/errors.js';
import { policyKey } from '../policy/key.js';
import { POLICY_MODES, type PolicyMode, type SecurityPolicy } from '../policy/types.js';
import type { WorkloadEntry } from '../xds/inventory.js';
import { ApiError, badRequest, notFound } from './api-error.js';
import { parseTime } from './params.js';
import type { PolicyWriter } from './policy-writer.js';
import type { RequestContext, Route } from './router.js';

export interface PolicyRouteDeps {
  policies(): readonly SecurityPolicy[];
  inventory(): readonly WorkloadEntry[];
  writer: PolicyWriter | undefined;
  learner: Learner;
  states: WorkloadStates;
  promoter: Promoter;
  dryRunDeps: DryRunDeps;
}

/** A PolicyError as the API answers it: 400 POLICY_INVALID with every issue. */
export function policyApiError(err: unknown): never {
  if (err instanceof PolicyError) throw new ApiError(400, 'POLICY_INVALID', err.message, { issues: err.issues });
  if (err instanceof PromotionError) throw new ApiError(409, 'CONFLICT', err.message, err.report ? { reason: err.code, dryRun: err.report } : { reason: err.code });
  throw err;
}

async function yamlBody(ctx: RequestContext): Promise<{ yaml: string; fields: Record<string, unknown> }> {
  const type = String(ctx.req.headers['content-type'] ?? '');
  if (type.includes('json')) {
    const body = await ctx.json();
    if (typeof body !== 'object' || body === null || typeof (body as { yaml?: unknown }).yaml !== 'string') throw badRequest('yaml: the body must be {"yaml": "<SecurityPolicy YAML>", ...} or YAML text (content-type: application/yaml)', { field: 'yaml' });
    return { yaml: (body as { yaml: string }).yaml, fields: body as Record<string, unknown> };
  }
  return { yaml: await ctx.text(), fields: {} };
}

function modeOf(v: unknown, field: string, optional: true): PolicyMode | undefined;
function modeOf(v: unknown, field: string, optional?: false): PolicyMode;
function modeOf(v: unknown, field: string, optional = false): PolicyMode | undefined {
  if ((v === undefined || v === null || v === '') && optional) return undefined;
  if (typeof v !== 'string' || !(POLICY_MODES as readonly string[]).includes(v)) throw badRequest(`${field}: must be one of ${POLICY_MODES.join(', ')} (got ${JSON.stringify(v)})`, { field });
  return v as PolicyMode;
}

const toYaml = (p: SecurityPolicy) => stringify(p);

export function policyRoutes(d: PolicyRouteDeps): Route[] {
  const find = (ns: string, name: string) => d.policies().find((p) => policyKey(p) === `${ns}/${name}`);
  const selecting = (w: WorkloadEntry) => compile(d.policies(), { namespace: w.namespace, name: w.name, labels: w.labels ?? {} }, { events: { cluster: '' } }).config;
  const workload = (ns: string, name: string) => {
    const w = d.inventory().find((x) => x.namespace === ns && x.name === name);
    if (!w) throw notFound(`workload ${ns}/${name} (not in the inventory)`);
    return w;
  };
  const describe = (w: WorkloadEntry) => {
    const config = selecting(w);
    const state = d.states.get(w.namespace, w.name);
    const b = d.learner.baseline(w.namespace, w.name);
    return {
      namespace: w.namespace,
      name: w.name,
      labels: w.labels ?? {},
      serviceAccount: w.serviceAccount,
      policies: config.policies,
      policyMode: config.mode,
      mode: state.mode ?? config.mode,
      state,
      baseline: b ? { events: b.events, callers: Object.keys(b.callers).length, firstMs: b.firstMs, lastMs: b.lastMs, lastChangeMs: b.lastChangeMs, overflow: b.overflow } : null,
    };
  };
  const requireWriter = () => {
    if (!d.writer) throw new ApiError(501, 'NOT_CONFIGURED', 'policies cannot be applied: start the control plane with a --policies folder (or --kubernetes)');
    return d.writer;
  };
  return [
    {
      method: 'GET', path: '/v1/policies', auth: 'api',
      handle: () => ({ body: { policies: d.policies().map((p) => ({ namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, mode: p.spec.mode ?? 'monitor', selector: p.spec.selector, yaml: toYaml(p) })) } }),
    },
    {
      method: 'GET', path: '/v1/policies/:namespace/:name', auth: 'api',
      handle: ({ params }) => {
        const p = find(params.namespace, params.name);
        if (!p) throw notFound(`policy ${params.namespace}/${params.name}`);
        return { body: { policy: p, yaml: toYaml(p) } };
      },
    },
    {
      method: 'PUT', path: '/v1/policies', auth: 'api', maxBodyBytes: 1024 * 1024,
      async handle(ctx) {
        const { yaml } = await yamlBody(ctx);
        const applied = await requireWriter().apply(yaml).catch(policyApiError);
        return { body: { applied } };
      },
    },
    {
      method: 'DELETE', path: '/v1/policies/:namespace/:name', auth: 'api',
      async handle({ params }) {
        if (!(await requireWriter().remove(params.namespace, params.name))) throw notFound(`policy ${params.namespace}/${params.name}`);
        return { body: { deleted: { namespace: params.namespace, name: params.name } } };
      },
    },
    {
      method: 'POST', path: '/v1/dry-run', auth: 'api', maxBodyBytes: 1024 * 1024,
      async handle(ctx) {
        const { yaml, fields } = await yamlBody(ctx);
        const since = typeof fields.since === 'string' ? parseTime('since', fields.since) : parseTime('since', ctx.query.get('since') ?? '24h');
        const untilText = typeof fields.until === 'string' ? fields.until : ctx.query.get('until');
        const report = await dryRun({ yaml, sinceMs: since, untilMs: untilText ? parseTime('until', untilText) : undefined }, d.dryRunDeps).catch(policyApiError);
        for (const w of report.workloads) {
          await d.states.update(w.namespace, w.name, (s) => ({ ...s, lastDryRun: { atMs: Date.now(), clean: w.blockedFlows === 0, blockedFlows: w.blockedFlows, version: w.version } }));
        }
        return { body: report };
      },
    },
    {
      method: 'GET', path: '/v1/baselines', auth: 'api',
      handle: () => ({ body: { baselines: d.learner.list().map((b) => ({ namespace: b.namespace, workload: b.workload, events: b.events, callers: Object.keys(b.callers).length, firstMs: b.firstMs, lastMs: b.lastMs, lastChangeMs: b.lastChangeMs, overflow: b.overflow })) } }),
    },
    {
      method: 'GET', path: '/v1/baselines/:namespace/:name', auth: 'api',
      handle: ({ params }) => {
        const b = d.learner.baseline(params.namespace, params.name);
        if (!b) throw notFound(`baseline of ${params.namespace}/${params.name} (no traffic learned yet)`);
        return { body: b };
      },
    },
    {
      method: 'GET', path: '/v1/baselines/:namespace/:name/proposal', auth: 'api',
      handle: ({ params, query }) => {
        const b = d.learner.baseline(params.namespace, params.name);
        if (!b) throw notFound(`baseline of ${params.namespace}/${params.name} (no traffic learned yet)`);
        const p = proposePolicy(b, { mode: modeOf(query.get('mode') ?? 'monitor', 'mode') });
        return { body: { yaml: p.yaml, policy: p.policy, notes: p.notes } };
      },
    },
    {
      method: 'POST', path: '/v1/baselines/:namespace/:name/apply', auth: 'api',
      async handle(ctx) {
        const { params } = ctx;
        const body = ctx.req.headers['content-length'] === '0' ? {} : ((await ctx.json().catch(() => ({}))) as { mode?: unknown });
        const b = d.learner.baseline(params.namespace, params.name);
        if (!b) throw notFound(`baseline of ${params.namespace}/${params.name} (no traffic learned yet)`);
        const p = proposePolicy(b, { mode: modeOf(body.mode ?? 'monitor', 'mode') });
        const applied = await requireWriter().apply(p.yaml).catch(policyApiError);
        return { body: { applied, yaml: p.yaml } };
      },
    },
    {
      method: 'GET', path: '/v1/workloads', auth: 'api',
      handle: () => ({ body: { workloads: d.inventory().map(describe) } }),
    },
    {
      method: 'GET', path: '/v1/workloads/:namespace/:name', auth: 'api',
      handle: ({ params }) => ({ body: describe(workload(params.namespace, params.name)) }),
    },
    {
      method: 'PUT', path: '/v1/workloads/:namespace/:name/mode', auth: 'api',
      async handle(ctx) {
        const { params } = ctx;
        workload(params.namespace, params.name);
        const body = (await ctx.json()) as { mode?: unknown; force?: unknown; since?: unknown };
        const mode = body.mode === null ? undefined : modeOf(body.mode, 'mode');
        const sinceMs = typeof body.since === 'string' ? parseTime('since', body.since) : undefined;
        const r = await d.promoter.setMode(params.namespace, params.name, mode, { force: body.force === true, sinceMs }).catch(policyApiError);
        return { body: { workload: describe(workload(params.namespace, params.name)), ...(r.report ? { dryRun: r.report } : {}) } };
      },
    },
  ];
}
