// spec.reporting → reporting. Only when a selected policy has the section, so documents without
// it keep their bytes (the filter's default is the same: flows on, 1024). Merge: flows stay on
// unless every policy that says something says off (more reporting is the safe side for the map
// and dry-run); maxFlows is the largest given.
import type { SecurityPolicy } from '../policy/types.js';
import { DEFAULT_REPORTING, type ReportingConfig } from './filter-config.js';

export function compileReporting(policies: readonly SecurityPolicy[]): ReportingConfig | undefined {
  const specs = policies.map((p) => p.spec.reporting).filter((r) => r !== undefined);
  if (specs.length === 0) return undefined;
  let flows = false;
  let maxFlows = 0;
  for (const r of specs) {
    if ((r.flows ?? 'on') === 'on') flows = true;
    maxFlows = Math.max(maxFlows, r.maxFlows ?? DEFAULT_REPORTING.maxFlows);
  }
  return { flows, maxFlows };
}
