// control-plane's public surface for other rooms (cli/, host-agent/, tests): load and validate
// SecurityPolicies, compile them per workload. Internals stay behind policy/ and compile/.
export * from './policy/index.js';
export * from './compile/index.js';
export * from './xds/index.js';
export { startLocalSources, type LocalSourceOptions, type SourceHandlers, type SourceState, type Sources } from './sources/local-sources.js';
export { loadInventoryFile, parseInventory, InventoryError } from './sources/inventory-file.js';
export { watchPaths, type FileWatch } from './sources/file-watch.js';
export { startControlPlane, type ControlPlaneOptions, type RunningControlPlane, type ControlPlaneLogger } from './control-plane.js';
export * from './istio/index.js';
