// spec.reporting: what the filter reports beyond violations and attacks. `flows` (on | off,
// true | false; absent: on) makes the filter count allowed requests and TCP statements per flow
// and send one record per flow on each tick, in every mode, so the network map, dry-run and
// learning see allowed traffic after a workload leaves discover; `maxFlows` bounds the distinct
// records held between two ticks (1 .. 65536; absent: 1024).
import { describe, fieldsOf, type Checker } from './check.js';
import { readInteger } from './section-waf.js';
import type { SpecSection } from './section.js';
import type { ReportingSpec } from './types.js';
import type { TreeNode } from './tree.js';

const REPORTING_FIELDS = ['flows', 'maxFlows'] as const;

export const reportingSection: SpecSection<'reporting'> = {
  key: 'reporting',
  required: false,
  read(node: TreeNode, path: string, c: Checker): ReportingSpec | undefined {
    const f = fieldsOf(node, path, c, REPORTING_FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const reporting: ReportingSpec = {};
    const flows = f.optional('flows');
    if (flows) {
      const v = flows.kind === 'scalar' ? flows.value : undefined;
      if (v === 'on' || v === true) reporting.flows = 'on';
      else if (v === 'off' || v === false) reporting.flows = 'off';
      else c.report(flows.pos, f.pathOf('flows'), 'enum', `expected on or off, found ${describe(flows)}`);
    }
    const max = f.optional('maxFlows');
    if (max) reporting.maxFlows = readInteger(max, f.pathOf('maxFlows'), c, 1, 65536);
    return c.issues.length === before ? reporting : undefined;
  },
};
