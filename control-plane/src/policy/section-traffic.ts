// spec.traffic: the filter on the selected workloads' traffic where no sidecar runs it (host
// agent): passive (a copy of the packets, reassembled and inspected; alerts only), inline
// (steered through the agent's proxy with nftables; protect blocks) or off.
import { fieldsOf, listOf, type Checker } from './check.js';
import { readEnum, readPort } from './match-process.js';
import type { SpecSection } from './section.js';
import { INSPECTIONS, type TrafficSpec } from './types-workload.js';
import type { TreeNode } from './tree.js';

const FIELDS = ['inspection', 'ports'] as const;

export const trafficSection: SpecSection<'traffic'> = {
  key: 'traffic',
  required: false,
  read(node: TreeNode, path: string, c: Checker): TrafficSpec | undefined {
    const f = fieldsOf(node, path, c, FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const inspectionNode = f.required('inspection');
    const spec: TrafficSpec = { inspection: (inspectionNode && readEnum(inspectionNode, f.pathOf('inspection'), c, INSPECTIONS, 'an inspection')) ?? 'off' };
    const ports = f.optional('ports');
    if (ports) {
      const list = listOf(ports, f.pathOf('ports'), c, (item, p) => readPort(item, p, c), { emptyHint: ': omit "ports" for every port' });
      if (list) spec.ports = [...new Set(list)];
    }
    return c.issues.length === before ? spec : undefined;
  },
};
