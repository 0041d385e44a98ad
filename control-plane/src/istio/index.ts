// Delivery into Istio: the EnvoyFilter (ECDS from Meshward's control plane) and the WasmPlugin
// alternative, as plain objects for YAML output and validation.
export { meshwardEnvoyFilter, DEFAULT_ENVOY_FILTER_OPTIONS, XDS_CLUSTER, type EnvoyFilterOptions } from './envoy-filter.js';
export { meshwardWasmPlugins, type WasmPluginOptions, type RenderedWasmPlugin } from './wasm-plugin.js';
