// Policies + workload → the host agent's configuration (agent-config.ts). Each concern's mode is
// the strictest of the selected policies that have the section (its own `mode`, else the
// policy's, else monitor); without any such policy, the workload's mode (discover when nothing
// selects it). Lists are unions in policy order, duplicates dropped. Inspection: the strongest
// (inline > passive > off); ports: union (an empty list in any policy means all).
import { DEFAULT_POLICY_MODE, type PolicyMode, type SecurityPolicy } from '../policy/types.js';
import type { AgentPolicyConfig, ChannelRule, FileRule, PortRule } from './agent-config.js';
import { canonicalJson, sha256Version } from './canonical-json.js';
import type { CompileOptions } from './options.js';
import { selectPolicies, strictestMode, type Workload } from './select.js';
import type { Mode } from './filter-config.js';

const STRICTNESS: Record<Mode, number> = { discover: 0, monitor: 1, protect: 2 };
const INSPECTION_STRENGTH = { off: 0, passive: 1, inline: 2 } as const;

type Concern = 'processes' | 'files' | 'ports' | 'channels';

function concernMode(selected: readonly SecurityPolicy[], key: Concern, fallback: Mode, override: Mode | undefined): Mode {
  if (override) return override;
  const withSection = selected.filter((p) => p.spec[key] !== undefined);
  if (withSection.length === 0) return fallback;
  let mode: Mode = 'discover';
  for (const p of withSection) {
    const m: PolicyMode = p.spec[key]?.mode ?? p.spec.mode ?? DEFAULT_POLICY_MODE;
    if (STRICTNESS[m] > STRICTNESS[mode]) mode = m;
  }
  return mode;
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

export interface AgentCompileResult {
  config: AgentPolicyConfig;
  json: string;
  version: string;
}

export function compileAgent(policies: readonly SecurityPolicy[], workload: Workload, options: Pick<CompileOptions, 'mode'> = {}): AgentCompileResult {
  const selected = selectPolicies(policies, workload);
  const base = options.mode ?? strictestMode(selected);
  const specs = <K extends Concern | 'traffic'>(key: K) => selected.map((p) => p.spec[key]).filter((s): s is NonNullable<SecurityPolicy['spec'][K]> => s !== undefined);

  let enforcement: 'refuse' | 'kill' = 'refuse';
  for (const s of specs('processes')) if (s.enforcement === 'kill') enforcement = 'kill';
  const writers: FileRule[] = [];
  const readers: FileRule[] = [];
  for (const s of specs('files')) {
    for (const r of s.writers ?? []) writers.push({ paths: uniq(r.paths), processes: uniq(r.processes) });
    for (const r of s.readers ?? []) readers.push({ paths: uniq(r.paths), processes: uniq(r.processes) });
  }
  const ports: PortRule[] = specs('ports').flatMap((s) => (s.allow ?? []).map((r) => ({ port: r.port, protocol: r.protocol ?? 'tcp', processes: uniq(r.processes ?? []) })));
  const channels: ChannelRule[] = specs('channels').flatMap((s) => (s.allow ?? []).map((r) => ({ channel: r.channel, processes: uniq(r.processes ?? []) })));
  let inspection: AgentPolicyConfig['traffic']['inspection'] = 'off';
  let trafficPorts: number[] | undefined;
  for (const t of specs('traffic')) {
    if (INSPECTION_STRENGTH[t.inspection] > INSPECTION_STRENGTH[inspection]) inspection = t.inspection;
    if (t.inspection === 'off') continue;
    trafficPorts = t.ports === undefined || trafficPorts?.length === 0 ? [] : uniq([...(trafficPorts ?? []), ...t.ports]);
  }

  const body: Omit<AgentPolicyConfig, 'version'> = {
    schema: 1,
    workload: { namespace: workload.namespace, name: workload.name },
    processes: {
      mode: concernMode(selected, 'processes', base, options.mode),
      allow: uniq(specs('processes').flatMap((s) => s.allow ?? [])),
      enforcement,
    },
    files: {
      mode: concernMode(selected, 'files', base, options.mode),
      writers,
      readers,
      watch: uniq(specs('files').flatMap((s) => s.watch ?? [])),
      secrets: uniq(specs('files').flatMap((s) => s.secrets ?? [])),
    },
    ports: { mode: concernMode(selected, 'ports', base, options.mode), allow: ports },
    channels: { mode: concernMode(selected, 'channels', base, options.mode), allow: channels },
    traffic: { inspection, ports: (trafficPorts ?? []).sort((a, b) => a - b) },
  };
  const version = sha256Version(canonicalJson(body));
  const config: AgentPolicyConfig = { schema: 1, version, workload: body.workload, processes: body.processes, files: body.files, ports: body.ports, channels: body.channels, traffic: body.traffic };
  return { config, json: canonicalJson(config), version };
}
