// The host agent's xDS clients: what `meshward proxy --xds` and the agent daemon use.
export { subscribe, type EcdsSubscribeOptions, type EcdsSubscription, type EcdsStatus, type EcdsEvent, type ApplyConfig, type AppliedConfig } from './ecds-client.js';
export { subscribeAgent, decodeAgentConfig, agentResourceName, type AgentSubscribeOptions, type AgentSubscription, type AgentConfig, type AgentWorkloadConfig } from './agent-client.js';
export { decodeFilterConfig, type FilterConfig } from './decode-filter-config.js';
export { sidecarNode, agentNode, type NodeDescription, type SidecarIdentity, type JsonValue } from './node.js';
export type { XdsClientTls, ApplyResult, ClientEvent, ClientStatus } from './stream-client.js';
export type { BackoffOptions } from './backoff.js';
// Lower layers, for other resource types (unstable).
export { DeltaSubscription, type DeltaSubscriptionOptions, type ResourceUpdate } from './delta-subscription.js';
export { SotwSubscription, type SotwSubscriptionOptions } from './sotw-subscription.js';
