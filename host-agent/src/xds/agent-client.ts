// The host agent's client for Meshward's own resource (meshward.v1.AgentConfig, one per node):
// the compiled configurations of the workloads on this node. SotW or Delta over ADS; ACK/NACK,
// backoff and initial versions as in the ECDS client.
import { DeltaSubscription } from './delta-subscription.js';
import { agentNode } from './node.js';
import { decode, METHOD, TYPE_URL } from './proto.js';
import { SotwSubscription } from './sotw-subscription.js';
import type { ApplyResult, ClientEvent, ClientStatus, StreamClient, XdsClientTls } from './stream-client.js';
import type { BackoffOptions } from './backoff.js';

export interface AgentWorkloadConfig {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  serviceAccount: string;
  pods: string[];
  /** Compiled filter configuration JSON and its version. */
  configuration: string;
  version: string;
  /** Compiled host-agent configuration JSON and its version; empty from an older control plane. */
  agentConfiguration: string;
  agentVersion: string;
}

export interface AgentConfig {
  node: string;
  workloads: AgentWorkloadConfig[];
}

export interface AgentSubscribeOptions {
  server: string;
  /** This node's name (Kubernetes node name, or the host name). */
  nodeName: string;
  tls?: XdsClientTls;
  /** Default 'delta'. */
  protocol?: 'delta' | 'sotw';
  backoff?: BackoffOptions;
  onEvent?(event: ClientEvent): void;
}

export interface AgentSubscription {
  /** Resolves with the first configuration applied. */
  readonly ready: Promise<AgentConfig>;
  status(): ClientStatus;
  close(): Promise<void>;
}

export function agentResourceName(nodeName: string): string {
  return `meshward.agent.${nodeName}`;
}

export function decodeAgentConfig(body: Uint8Array): AgentConfig {
  const m = decode('meshward.v1.AgentConfig', body) as { node: string; workloads: Record<string, unknown>[] };
  return {
    node: m.node,
    workloads: m.workloads.map((w) => ({
      namespace: w.namespace as string,
      name: w.name as string,
      labels: { ...(w.labels as Record<string, string>) },
      serviceAccount: w.service_account as string,
      pods: [...(w.pods as string[])],
      configuration: w.configuration as string,
      version: w.version as string,
      agentConfiguration: (w.agent_configuration as string | undefined) ?? '',
      agentVersion: (w.agent_version as string | undefined) ?? '',
    })),
  };
}

export function subscribeAgent(options: AgentSubscribeOptions, apply: (config: AgentConfig, version: string) => ApplyResult | Promise<ApplyResult>): AgentSubscription {
  let resolveReady!: (c: AgentConfig) => void;
  const ready = new Promise<AgentConfig>((r) => (resolveReady = r));
  const onResource = async (u: { version: string; body: Uint8Array }): Promise<ApplyResult> => {
    let config: AgentConfig;
    try {
      config = decodeAgentConfig(u.body);
    } catch (err) {
      return { ok: false, reason: `AgentConfig does not decode: ${(err as Error).message}` };
    }
    if (config.node !== options.nodeName) return { ok: false, reason: `AgentConfig is for node ${JSON.stringify(config.node)}, not ${JSON.stringify(options.nodeName)}` };
    const result = await apply(config, u.version);
    if (result.ok) resolveReady(config);
    return result;
  };
  const common = {
    server: options.server,
    tls: options.tls,
    backoff: options.backoff,
    node: agentNode(options.nodeName),
    typeUrl: TYPE_URL.agentConfig,
    resourceNames: [agentResourceName(options.nodeName)],
    onResource,
    onEvent: options.onEvent,
  };
  const client: StreamClient =
    (options.protocol ?? 'delta') === 'delta'
      ? new DeltaSubscription({ ...common, method: METHOD.adsDelta })
      : new SotwSubscription({ ...common, method: METHOD.adsSotw, nameOf: (b) => agentResourceName(decodeAgentConfig(b).node) });
  client.start();
  return { ready, status: () => client.status(), close: () => client.close() };
}
