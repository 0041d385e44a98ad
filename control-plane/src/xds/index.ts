// What other rooms (cli/, tests, bench) may use from xds/: the cache and its snapshots, the
// server, Meshward's node mapping, authorizer, resources and distributor. Internals (the stream
// state machines, the debounce) stay behind this file.
export { SnapshotCache, type SnapshotCacheOptions, type CacheStats } from './cache.js';
export { Snapshot, type TypeResources, type ConsistencyRules, type ResourceRef } from './snapshot.js';
export { makeResource, contentVersion, setVersion, type Resource } from './resource.js';
export type { ConfigWatcher, WatchListener } from './watch.js';
export type { DebounceOptions } from './debounce.js';
export { XdsServer, type XdsServerOptions, type XdsServerTls } from './server.js';
export type {
  XdsHooks,
  StreamInfo,
  PeerInfo,
  RequestEvent,
  ResponseEvent,
  AckEvent,
  NackRecord,
  DeniedEvent,
} from './hooks.js';
export { PUSH_LATENCY_BUCKETS_MS, type XdsMetricsSnapshot, type HistogramSnapshot } from './metrics.js';
export type { StreamStatus, TypeStatus, AuthorizeRequest, AuthorizeResult } from './stream.js';
export type { NodeInfo } from './node.js';
export { meshwardNodeKey, resolveNode, workloadKey, agentKey, targetOfKey, type NodeTarget, type NodeResolverOptions } from './node-key.js';
export { identityAuthorizer, parseSpiffeId, type IdentityRules, type SpiffeId } from './authorize.js';
export { identityMapFromInventory, workloadId, type WorkloadEntry, type PodEntry } from './inventory.js';
export { ecdsResources, ecdsResourceNames, GENERIC_ECDS_NAMES, type WasmFilterOptions, type WasmCode, type EcdsNames } from './resources-ecds.js';
export { agentResource, agentResourceName, type AgentWorkload } from './resources-agent.js';
export { meshwardRules, envoyRules, combineRules } from './consistency.js';
export { PolicyDistributor, type PolicyDistributorOptions, type PublishResult, type DistributorStats } from './distributor.js';
export { TYPE_URL, envoyTypeTraits, type TypeTraits } from './type-urls.js';
export { XdsError, type XdsErrorCode } from './errors.js';
// Proto helpers for tools and tests that build or read resources of other types.
export { xdsProtoRoot, loadProtoRoot, encodeMessage, decodeMessage, packAny, typeUrlOf, PROTO_FILES, ENVOY_PROTO_DIRS, type AnyValue } from './proto-root.js';
export { discoveryCodecs, METHOD, type DiscoveryCodecs, type MessageCodec } from './discovery-codec.js';
export type * from './messages.js';
