// The compiled host-agent configuration of one workload (control-plane/src/compile/
// agent-config.ts), parsed once into an immutable object with its path patterns compiled.
// A document with any wrong field is refused whole, naming the field, so the agent keeps the
// last good one (as the filter does with its own configuration).
import type { AgentPolicyConfig } from '../../control-plane/src/compile/agent-config.js';
import { PathPatterns } from './path-pattern.js';

export type { AgentPolicyConfig } from '../../control-plane/src/compile/agent-config.js';
export type Mode = 'discover' | 'monitor' | 'protect';

export class AgentConfigError extends Error {
  readonly code = 'AGENT_CONFIG_INVALID';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'AgentConfigError';
  }
}

export interface CompiledFileRule {
  paths: PathPatterns;
  processes: PathPatterns;
}

/** What the monitors consult: the document plus compiled matchers. */
export interface WorkloadAgentPolicy {
  readonly doc: AgentPolicyConfig;
  readonly processAllow: PathPatterns;
  readonly writers: readonly CompiledFileRule[];
  readonly readers: readonly CompiledFileRule[];
  readonly watch: PathPatterns;
  readonly secrets: PathPatterns;
  readonly ports: ReadonlyArray<{ port: number; protocol: 'tcp' | 'udp'; processes: PathPatterns }>;
  readonly channels: ReadonlyArray<{ channel: string; processes: PathPatterns }>;
}

const MODES: readonly Mode[] = ['discover', 'monitor', 'protect'];

/** Every monitor in discover, no inspection: what a workload without a policy gets. */
export function defaultAgentPolicy(workload: { namespace: string; name: string }, mode: Mode = 'discover'): WorkloadAgentPolicy {
  const doc: AgentPolicyConfig = {
    schema: 1,
    version: 'default',
    workload: { namespace: workload.namespace, name: workload.name },
    processes: { mode, allow: [], enforcement: 'refuse' },
    files: { mode, writers: [], readers: [], watch: [], secrets: [] },
    ports: { mode, allow: [] },
    channels: { mode, allow: [] },
    traffic: { inspection: 'off', ports: [] },
  };
  return compilePolicy(doc);
}

export function parseAgentPolicy(json: string): WorkloadAgentPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new AgentConfigError('(document)', `not JSON: ${(err as Error).message}`);
  }
  return compilePolicy(check(raw));
}

function compilePolicy(doc: AgentPolicyConfig): WorkloadAgentPolicy {
  return Object.freeze({
    doc: deepFreeze(doc),
    processAllow: new PathPatterns(doc.processes.allow),
    writers: doc.files.writers.map((r) => ({ paths: new PathPatterns(r.paths), processes: new PathPatterns(r.processes) })),
    readers: doc.files.readers.map((r) => ({ paths: new PathPatterns(r.paths), processes: new PathPatterns(r.processes) })),
    watch: new PathPatterns(doc.files.watch),
    secrets: new PathPatterns(doc.files.secrets),
    ports: doc.ports.allow.map((r) => ({ port: r.port, protocol: r.protocol, processes: new PathPatterns(r.processes) })),
    channels: doc.channels.allow.map((r) => ({ channel: r.channel, processes: new PathPatterns(r.processes) })),
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw new AgentConfigError(field, `must be an object, found ${JSON.stringify(v)}`);
  return v;
}
function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new AgentConfigError(field, `must be a non-empty string, found ${JSON.stringify(v)}`);
  return v;
}
function mode(v: unknown, field: string): Mode {
  if (!MODES.includes(v as Mode)) throw new AgentConfigError(field, `must be discover, monitor or protect, found ${JSON.stringify(v)}`);
  return v as Mode;
}
function patterns(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new AgentConfigError(field, `must be a list, found ${JSON.stringify(v)}`);
  return v.map((p, i) => {
    const s = str(p, `${field}[${i}]`);
    if (!s.startsWith('/')) throw new AgentConfigError(`${field}[${i}]`, `must be an absolute path, found ${JSON.stringify(s)}`);
    return s;
  });
}
function list<T>(v: unknown, field: string, item: (x: unknown, f: string) => T): T[] {
  if (!Array.isArray(v)) throw new AgentConfigError(field, `must be a list, found ${JSON.stringify(v)}`);
  return v.map((x, i) => item(x, `${field}[${i}]`));
}
function port(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new AgentConfigError(field, `must be a port (1-65535), found ${JSON.stringify(v)}`);
  return v;
}

function check(raw: unknown): AgentPolicyConfig {
  const d = obj(raw, '(document)');
  if (d.schema !== 1) throw new AgentConfigError('schema', `must be 1, found ${JSON.stringify(d.schema)}`);
  const w = obj(d.workload, 'workload');
  const p = obj(d.processes, 'processes');
  const f = obj(d.files, 'files');
  const po = obj(d.ports, 'ports');
  const c = obj(d.channels, 'channels');
  const t = obj(d.traffic, 'traffic');
  const enforcement = p.enforcement;
  if (enforcement !== 'refuse' && enforcement !== 'kill') throw new AgentConfigError('processes.enforcement', `must be refuse or kill, found ${JSON.stringify(enforcement)}`);
  const inspection = t.inspection;
  if (inspection !== 'off' && inspection !== 'passive' && inspection !== 'inline') throw new AgentConfigError('traffic.inspection', `must be off, passive or inline, found ${JSON.stringify(inspection)}`);
  const fileRule = (x: unknown, field: string) => {
    const r = obj(x, field);
    return { paths: patterns(r.paths, `${field}.paths`), processes: patterns(r.processes, `${field}.processes`) };
  };
  return {
    schema: 1,
    version: str(d.version, 'version'),
    workload: { namespace: str(w.namespace, 'workload.namespace'), name: str(w.name, 'workload.name') },
    processes: { mode: mode(p.mode, 'processes.mode'), allow: patterns(p.allow, 'processes.allow'), enforcement },
    files: {
      mode: mode(f.mode, 'files.mode'),
      writers: list(f.writers, 'files.writers', fileRule),
      readers: list(f.readers, 'files.readers', fileRule),
      watch: patterns(f.watch, 'files.watch'),
      secrets: patterns(f.secrets, 'files.secrets'),
    },
    ports: {
      mode: mode(po.mode, 'ports.mode'),
      allow: list(po.allow, 'ports.allow', (x, field) => {
        const r = obj(x, field);
        if (r.protocol !== 'tcp' && r.protocol !== 'udp') throw new AgentConfigError(`${field}.protocol`, `must be tcp or udp, found ${JSON.stringify(r.protocol)}`);
        return { port: port(r.port, `${field}.port`), protocol: r.protocol, processes: patterns(r.processes, `${field}.processes`) };
      }),
    },
    channels: {
      mode: mode(c.mode, 'channels.mode'),
      allow: list(c.allow, 'channels.allow', (x, field) => {
        const r = obj(x, field);
        return { channel: str(r.channel, `${field}.channel`), processes: patterns(r.processes, `${field}.processes`) };
      }),
    },
    traffic: { inspection, ports: list(t.ports, 'traffic.ports', port) },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
