// The host agent's public surface, for the CLI and other rooms.
export { startProxy } from './proxy/proxy-server.js';
export { startTcpProxy, parseTcpUpstream } from './proxy/tcp-proxy-server.js';
export type { TcpProxyOptions } from './proxy/tcp-proxy-server.js';
export type { ProxyOptions, RunningProxy, FilterOptions, ProxyStatsSnapshot } from './proxy/proxy-server.js';
export type { PeerIdentity } from './proxy/exchange-factory.js';
export type { TlsOptions } from './proxy/listener.js';
export type { UpstreamProtocol } from './proxy/upstream.js';
export { startAdmin } from './proxy/admin.js';
export type { AdminServer } from './proxy/admin.js';
export { createVm } from './wasm-host/index.js';
export type * from './wasm-host/api.js';
export * from './xds/index.js';
