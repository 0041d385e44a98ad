// The messages the host agent's xDS clients read and write, in one protobufjs root: the
// discovery requests and responses, TypedExtensionConfig with the Wasm filters' PluginConfig,
// the wrapper types, and Meshward's AgentConfig (control-plane/proto, the wire contract shared
// with the control plane; only the .proto file is shared, no code).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

const FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/extension/v3/config_discovery.proto',
  'envoy/config/core/v3/extension.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'google/protobuf/wrappers.proto',
  'meshward/v1/agent.proto',
];

function includeDirs(): string[] {
  const pkg = join(dirname(require.resolve('@grpc/grpc-js-xds')), '..', '..');
  const envoy = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(pkg, 'deps', d));
  // dist/host-agent/src/xds/ or host-agent/src/xds/ → the repository's control-plane/proto
  const meshward = [new URL('../../../..', import.meta.url), new URL('../../..', import.meta.url)]
    .map((base) => join(fileURLToPath(base), 'control-plane', 'proto'))
    .find((dir) => existsSync(join(dir, 'meshward', 'v1', 'agent.proto')));
  return meshward ? [...envoy, meshward] : envoy;
}

let root: protobuf.Root | undefined;

export function clientProtoRoot(): protobuf.Root {
  if (root) return root;
  const descriptor = require('protobufjs/google/protobuf/descriptor.json') as { nested: { google: { nested: { protobuf: { nested: Record<string, unknown> } } } } };
  protobuf.common('descriptor', descriptor.nested.google.nested.protobuf.nested);
  const dirs = includeDirs();
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string): string => {
    if (isAbsolute(target)) return target;
    for (const dir of dirs) if (existsSync(join(dir, target))) return join(dir, target);
    return target;
  };
  r.loadSync(FILES, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

export function type(name: string): protobuf.Type {
  return clientProtoRoot().lookupType(name);
}

/** Decodes into a plain object: snake_case names, enums as names, defaults filled, Anys packed. */
export function decode(name: string, bytes: Uint8Array): Record<string, unknown> {
  const t = type(name);
  return t.toObject(t.decode(bytes), { enums: String, longs: String, defaults: true }) as Record<string, unknown>;
}

export function encode(name: string, message: Record<string, unknown>): Buffer {
  const t = type(name);
  const bytes = t.encode(t.fromObject(message)).finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const METHOD = {
  adsSotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  adsDelta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
  ecdsSotw: '/envoy.service.extension.v3.ExtensionConfigDiscoveryService/StreamExtensionConfigs',
  ecdsDelta: '/envoy.service.extension.v3.ExtensionConfigDiscoveryService/DeltaExtensionConfigs',
} as const;

export const TYPE_URL = {
  extensionConfig: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
  agentConfig: 'type.googleapis.com/meshward.v1.AgentConfig',
  httpWasm: 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
  networkWasm: 'type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm',
  stringValue: 'type.googleapis.com/google.protobuf.StringValue',
  bytesValue: 'type.googleapis.com/google.protobuf.BytesValue',
} as const;
