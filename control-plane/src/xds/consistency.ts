// Consistency rules a snapshot is checked against before the cache publishes it (besides the
// built-in checks in snapshot.ts). They decode resources, so they live here and not in the
// cache, which never opens one.
import { decodeMessage, messageType } from './proto-root.js';
import type { Resource } from './resource.js';
import type { ConsistencyRules, ResourceRef } from './snapshot.js';
import { TYPE_URL } from './type-urls.js';

type Obj = Record<string, unknown>;
type AnyV = { type_url: string; value: Uint8Array };

function decodeRaw(typeUrl: string, bytes: Uint8Array): Obj {
  return messageType(typeUrl).decode(bytes) as unknown as Obj;
}

/** Meshward's types: an ECDS resource must hold a Wasm filter (HTTP or network) whose plugin
 * configuration is a StringValue with JSON in it and whose VM has a runtime and code; an
 * AgentConfig must be for the node its name says, with JSON configurations. Any other type
 * must at least decode, if the proto root knows it. */
export const meshwardRules: ConsistencyRules = {
  validate(r: Resource): string | undefined {
    try {
      if (r.typeUrl === TYPE_URL.extensionConfig) return checkExtensionConfig(r);
      if (r.typeUrl === TYPE_URL.agentConfig) return checkAgentConfig(r);
      decodeMessage(r.typeUrl, r.body);
      return undefined;
    } catch (err) {
      return `does not decode as ${r.typeUrl}: ${(err as Error).message}`;
    }
  },
};

/** go-control-plane's references for LDS/RDS/CDS/EDS: a listener's HTTP connection manager
 * needs its RDS route configuration, an EDS cluster its ClusterLoadAssignment. */
export const envoyRules: ConsistencyRules = {
  references(r: Resource): ResourceRef[] {
    if (r.typeUrl === TYPE_URL.listener) {
      const listener = decodeMessage(r.typeUrl, r.body);
      const hcm = (listener.api_listener as Obj | null)?.api_listener as { type_url: string; value: Uint8Array } | null;
      if (!hcm || hcm.type_url !== TYPE_URL.httpConnectionManager) return [];
      const rds = decodeMessage(hcm.type_url, hcm.value).rds as Obj | null;
      return rds?.route_config_name ? [{ typeUrl: TYPE_URL.routeConfiguration, name: rds.route_config_name as string }] : [];
    }
    if (r.typeUrl === TYPE_URL.cluster) {
      const cluster = decodeMessage(r.typeUrl, r.body);
      if (cluster.type !== 'EDS') return [];
      const eds = cluster.eds_cluster_config as Obj | null;
      return [{ typeUrl: TYPE_URL.clusterLoadAssignment, name: (eds?.service_name as string) || (cluster.name as string) }];
    }
    return [];
  },
  validate: meshwardRules.validate,
};

function checkExtensionConfig(r: Resource): string | undefined {
  // Raw decodes (message instances, no toObject): this runs for every resource on every publish.
  const tec = decodeRaw(r.typeUrl, r.body);
  if (tec.name !== r.name) return `its name field ${JSON.stringify(tec.name)} differs from the resource name`;
  const typed = tec.typed_config as AnyV | null;
  if (!typed) return 'typed_config is missing';
  // A workload's filter under its own name and under the generic one (checked in a row: names
  // sort so) carries the same typed_config: checked once. Compared with a copy, since bodies
  // are mutable; the copy goes into one reused buffer.
  const last = lastTypedConfig;
  const value = typed.value;
  if (last.typeUrl === typed.type_url && last.length === value.length && Buffer.compare(last.bytes.subarray(0, last.length), value) === 0) return last.problem;
  const problem = checkTypedConfig(typed);
  if (last.bytes.length < value.length) last.bytes = Buffer.allocUnsafeSlow(Math.max(value.length, 2 * last.bytes.length));
  last.bytes.set(value);
  last.length = value.length;
  last.typeUrl = typed.type_url;
  last.problem = problem;
  return problem;
}

const lastTypedConfig: { typeUrl: string; bytes: Buffer; length: number; problem: string | undefined } = { typeUrl: '', bytes: Buffer.allocUnsafeSlow(4096), length: 0, problem: undefined };

function checkTypedConfig(typed: AnyV): string | undefined {
  if (typed.type_url !== TYPE_URL.httpWasm && typed.type_url !== TYPE_URL.networkWasm) return undefined; // not a Wasm filter: decodes, nothing more to say
  const plugin = decodeRaw(typed.type_url, typed.value).config as Obj | null;
  if (!plugin) return 'typed_config (Wasm): config is missing';
  const vm = plugin.vm_config as Obj | null;
  if (!vm?.runtime) return 'typed_config.config.vm_config.runtime is empty';
  const code = vm.code as Obj | null;
  if (!code?.local && !code?.remote) return 'typed_config.config.vm_config.code has neither local nor remote';
  const conf = plugin.configuration as AnyV | null;
  if (!conf || conf.type_url !== TYPE_URL.stringValue) return `typed_config.config.configuration: expected ${TYPE_URL.stringValue}, found ${conf?.type_url ?? 'nothing'}`;
  return checkJson(decodeRaw(conf.type_url, conf.value).value as string, 'typed_config.config.configuration');
}

function checkAgentConfig(r: Resource): string | undefined {
  const agent = decodeRaw(r.typeUrl, r.body);
  if (r.name !== `meshward.agent.${agent.node as string}`) return `its node field ${JSON.stringify(agent.node)} does not match the resource name`;
  for (const [i, w] of (agent.workloads as Obj[]).entries()) {
    const problem = checkJson(w.configuration as string, `workloads[${i}].configuration`);
    if (problem) return problem;
  }
  return undefined;
}

/** The last text checkJson parsed and what it found: the HTTP and network filters of a workload
 * carry the same policy, and so do its agent's entries. */
let lastJson: { text: string; where: string; problem: string | undefined } | undefined;

function checkJson(text: string, where: string): string | undefined {
  if (lastJson?.text === text && lastJson.where === where) return lastJson.problem;
  let problem: string | undefined;
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) problem = `${where}: expected a JSON object`;
  } catch (err) {
    problem = `${where}: not JSON (${(err as Error).message})`;
  }
  lastJson = { text, where, problem };
  return problem;
}

/** Both rule sets' references and validations, in order. */
export function combineRules(...rules: ConsistencyRules[]): ConsistencyRules {
  return {
    references: (r) => rules.flatMap((x) => x.references?.(r) ?? []),
    validate: (r) => rules.map((x) => x.validate?.(r)).find((p) => p !== undefined),
  };
}

