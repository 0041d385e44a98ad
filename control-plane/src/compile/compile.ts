// Policies + a workload → the workload's FilterConfig, its canonical JSON and its version.
import { PolicyError, type PolicyIssue } from '../policy/errors.js';
import { policyKey } from '../policy/key.js';
import { loadPolicyFiles } from '../policy/load.js';
import type { SecurityPolicy } from '../policy/types.js';
import { canonicalJson, canonicalMembers, canonicalTemplate, sha256Version } from './canonical-json.js';
import { compileIngress } from './compile-ingress.js';
import { compileDlp, compileWaf } from './compile-detection.js';
import { compileEgress, compileTcpSettings } from './compile-tcp.js';
import { compileReporting } from './compile-reporting.js';
import { CompileError } from './errors.js';
import type { FilterConfig } from './filter-config.js';
import { resolveOptions, type CompileOptions, type ResolvedOptions } from './options.js';
import { selectPolicies, strictestMode, type Workload } from './select.js';

export interface CompileResult {
  /** Deeply frozen. */
  config: FilterConfig;
  /** Canonical JSON of `config`: what Envoy hands the filter. */
  json: string;
  /** `config.version`: `sha256:` and the hex SHA-256 of the canonical JSON of the config
   * without its `version` field. */
  version: string;
}

/**
 * Compiles the policies that select `workload` into its filter configuration. `policies` may
 * hold policies for any workload and namespace, in any order; they are expected to be valid
 * (loadPolicies, loadPolicyFiles, validatePolicyObject). The same inputs give the same bytes.
 * Throws PolicyError if two policies share a (namespace, name), CompileError for a bad workload
 * or option. For many workloads against one policy set, PolicyCompiler does the same work once
 * per distinct selection.
 */
export function compile(policies: readonly SecurityPolicy[], workload: Workload, options: CompileOptions = {}): CompileResult {
  return new PolicyCompiler(policies).compile(workload, options);
}

/** Everything of a configuration but `workload` and `version`: the same for every workload that
 * selects the same policies under the same options. Deeply frozen, shared by their configs. */
interface SharedPart {
  fields: Omit<FilterConfig, 'version' | 'workload'>;
  /** Canonical JSON of the body with the workload's own fields: (workload) and (version, workload). */
  body: (workload: string) => string;
  json: (version: string, workload: string) => string;
}

const NO_OPTIONS: CompileOptions = Object.freeze({});

/**
 * compile() for many workloads against one policy set (a publish compiles every workload): the
 * policy-dependent part is built and written once per distinct (selected policies, options
 * object) and each workload adds only its name and version. The bytes are those compile()
 * gives, which is this class too.
 */
export class PolicyCompiler {
  private readonly index = new Map<SecurityPolicy, number>();
  private duplicate: PolicyError | undefined;
  private readonly parts = new WeakMap<CompileOptions, { resolved: ResolvedOptions; bySelection: Map<string, SharedPart> }>();

  constructor(private readonly policies: readonly SecurityPolicy[]) {
    policies.forEach((p, i) => this.index.set(p, i));
    try {
      checkUnique(policies);
    } catch (err) {
      this.duplicate = err as PolicyError;
    }
  }

  compile(workload: Workload, options: CompileOptions = NO_OPTIONS): CompileResult {
    checkWorkload(workload);
    if (this.duplicate) throw this.duplicate;
    let perOptions = this.parts.get(options);
    if (!perOptions) this.parts.set(options, (perOptions = { resolved: resolveOptions(options), bySelection: new Map() }));
    const selected = selectPolicies(this.policies, workload);
    const selection = selected.map((p) => this.index.get(p)).join(',');
    let shared = perOptions.bySelection.get(selection);
    if (!shared) perOptions.bySelection.set(selection, (shared = sharedPart(selected, perOptions.resolved)));
    return finish(shared, workload);
  }
}

function sharedPart(selected: SecurityPolicy[], resolved: ResolvedOptions): SharedPart {
  const body: Omit<FilterConfig, 'version' | 'workload'> = {
    schema: 1,
    mode: resolved.mode ?? strictestMode(selected),
    policies: selected.map(policyKey),
    ingress: selected.flatMap(compileIngress),
    events: resolved.events,
    limits: resolved.limits,
    waf: compileWaf(selected),
    dlp: compileDlp(selected),
  };
  // TCP sections only when a policy has them, so documents without them keep their bytes.
  const egress = compileEgress(selected);
  if (egress !== undefined) body.egress = egress;
  const tcp = compileTcpSettings(selected);
  if (tcp !== undefined) body.tcp = tcp;
  const reporting = compileReporting(selected);
  if (reporting !== undefined) body.reporting = reporting;
  deepFreeze(body);
  const members = canonicalMembers(body);
  return { fields: body, body: canonicalTemplate(members, ['workload']), json: canonicalTemplate(members, ['version', 'workload']) };
}

function finish(shared: SharedPart, workload: Workload): CompileResult {
  const own = { namespace: workload.namespace, name: workload.name };
  const ownText = canonicalJson(own);
  const version = sha256Version(shared.body(ownText));
  const b = shared.fields;
  // Field order as in the contract, for people reading it pretty-printed; `json` sorts anyway.
  const config: FilterConfig = {
    schema: 1, version, workload: own, mode: b.mode, policies: b.policies,
    ingress: b.ingress, events: b.events, limits: b.limits, waf: b.waf, dlp: b.dlp,
  };
  if (b.egress !== undefined) config.egress = b.egress;
  if (b.tcp !== undefined) config.tcp = b.tcp;
  if (b.reporting !== undefined) config.reporting = b.reporting;
  const json = shared.json(JSON.stringify(version), ownText);
  return { config: deepFreeze(config), json, version };
}

/** Loads, validates and compiles in one step (synchronously, as loadPolicyFiles). Throws
 * PolicyError listing every problem in every file before compiling anything. */
export function compilePolicyFiles(paths: readonly string[], workload: Workload, options: CompileOptions = {}): CompileResult {
  return compile(loadPolicyFiles(paths), workload, options);
}

function checkWorkload(workload: Workload): void {
  const problems: string[] = [];
  for (const key of ['namespace', 'name'] as const) {
    const v: unknown = workload?.[key];
    if (typeof v !== 'string' || v === '') problems.push(`workload.${key}: expected a non-empty string, found ${JSON.stringify(v)}`);
  }
  const labels: unknown = workload?.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    problems.push(`workload.labels: expected an object of strings, found ${JSON.stringify(labels)}`);
  } else {
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== 'string') problems.push(`workload.labels.${k}: expected a string, found ${JSON.stringify(v)}`);
    }
  }
  if (problems.length > 0) throw new CompileError('COMPILE_WORKLOAD_INVALID', problems);
}

/** Two policies with one key would give two rules one id; loadPolicyFiles reports this with
 * positions, this check covers policies assembled in code. */
function checkUnique(policies: readonly SecurityPolicy[]): void {
  const seen = new Set<string>();
  const issues: PolicyIssue[] = [];
  for (const p of policies) {
    const key = policyKey(p);
    if (seen.has(key)) {
      issues.push({ file: '<compile>', line: 0, column: 0, path: 'metadata.name', rule: 'duplicate', message: `policy ${JSON.stringify(key)} is given more than once` });
    }
    seen.add(key);
  }
  if (issues.length > 0) throw new PolicyError(issues);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
