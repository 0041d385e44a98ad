// POST /v1/workloads/{ns}/{name}/quarantine {reason}: push a deny-all policy for the workload
// (respond/quarantine.ts); DELETE lifts it. Response rules do the same automatically.
import type { WorkloadStates } from '../learn/workload-states.js';
import type { WorkloadEntry } from '../xds/inventory.js';
import { notFound } from './api-error.js';
import type { Route } from './router.js';

export function quarantineRoutes(states: WorkloadStates, inventory: () => readonly WorkloadEntry[]): Route[] {
  const check = (ns: string, name: string) => {
    if (!inventory().some((w) => w.namespace === ns && w.name === name)) throw notFound(`workload ${ns}/${name} (not in the inventory)`);
  };
  return [
    {
      method: 'POST', path: '/v1/workloads/:namespace/:name/quarantine', auth: 'api',
      async handle(ctx) {
        const { namespace, name } = ctx.params;
        check(namespace, name);
        const body = ctx.req.headers['content-length'] && ctx.req.headers['content-length'] !== '0' ? ((await ctx.json()) as { reason?: unknown }) : {};
        const state = await states.update(namespace, name, (s) => ({ ...s, quarantined: true, quarantineSinceMs: Date.now(), quarantineReason: typeof body.reason === 'string' ? body.reason.slice(0, 500) : 'API' }));
        return { body: { state } };
      },
    },
    {
      method: 'DELETE', path: '/v1/workloads/:namespace/:name/quarantine', auth: 'api',
      async handle({ params }) {
        check(params.namespace, params.name);
        const state = await states.update(params.namespace, params.name, (s) => ({ ...s, quarantined: false, quarantineSinceMs: undefined, quarantineReason: undefined }));
        return { body: { state } };
      },
    },
  ];
}
