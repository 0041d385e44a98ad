// spec.channels: which processes of the selected workloads may talk to the control channels
// (mesh control plane, Kubernetes API, etcd, kubelet, container runtime). Anyone else:
// discover learns, monitor alerts, protect refuses the connection.
import { fieldsOf, listOf, type Checker } from './check.js';
import { readConcernMode, readEnum, readPatterns } from './match-process.js';
import type { SpecSection } from './section.js';
import { CHANNELS, type ChannelRuleSpec, type ChannelsSpec } from './types-workload.js';
import type { TreeNode } from './tree.js';

const FIELDS = ['mode', 'allow'] as const;
const RULE_FIELDS = ['channel', 'processes'] as const;

export const channelsSection: SpecSection<'channels'> = {
  key: 'channels',
  required: false,
  read(node: TreeNode, path: string, c: Checker): ChannelsSpec | undefined {
    const f = fieldsOf(node, path, c, FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const spec: ChannelsSpec = {};
    const mode = f.optional('mode');
    if (mode) spec.mode = readConcernMode(mode, f.pathOf('mode'), c);
    const allow = f.optional('allow');
    if (allow) {
      spec.allow = listOf(allow, f.pathOf('allow'), c, (item, p) => {
        const r = fieldsOf(item, p, c, RULE_FIELDS);
        if (!r) return undefined;
        const b = c.issues.length;
        const channelNode = r.required('channel');
        const channel = channelNode && readEnum(channelNode, r.pathOf('channel'), c, CHANNELS, 'a channel');
        const rule: ChannelRuleSpec = { channel: channel ?? 'kubernetes-api' };
        const processes = r.optional('processes');
        if (processes) rule.processes = readPatterns(processes, r.pathOf('processes'), c, ': omit "processes" for any process');
        return c.issues.length === b ? rule : undefined;
      });
    }
    return c.issues.length === before ? spec : undefined;
  },
};
