// One protobufjs root holding every message the control plane sends or receives over xDS: the
// discovery services and their requests and responses, the resources (ECDS, LDS, RDS, CDS, EDS)
// and Meshward's own AgentConfig (control-plane/proto/). Loading them into one root matters: an
// Any whose type is missing from the root would encode as an empty message without an error, so
// every resource is encoded here with `encodeMessage`, which refuses unknown fields and types.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { XdsError } from './errors.js';

const require = createRequire(import.meta.url);

/** control-plane/proto, found from this file (dist/control-plane/src/xds/, or the source tree). */
export const MESHWARD_PROTO_DIR = [new URL('../../../..', import.meta.url), new URL('../../..', import.meta.url)]
  .map((base) => join(fileURLToPath(base), 'control-plane', 'proto'))
  .find((dir) => existsSync(join(dir, 'meshward', 'v1', 'agent.proto'))) ?? 'control-plane/proto';

/** Envoy, xDS, googleapis and protoc-gen-validate protos shipped with @grpc/grpc-js-xds. */
export const ENVOY_PROTO_DIRS: readonly string[] = (() => {
  const pkg = join(dirname(require.resolve('@grpc/grpc-js-xds')), '..', '..');
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(pkg, 'deps', d));
})();

/** Files loaded into the root; everything they import comes along. */
export const PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/extension/v3/config_discovery.proto',
  'envoy/config/core/v3/extension.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/wasm/v3/wasm.proto',
  'google/protobuf/wrappers.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'meshward/v1/agent.proto',
];

let commonAdded = false;

/** A root with `files` (and their imports) loaded from the include directories, field names as
 * written in the .proto files (snake_case), every reference resolved. */
export function loadProtoRoot(files: readonly string[], includeDirs: readonly string[]): protobuf.Root {
  if (!commonAdded) {
    // protobufjs bundles any, duration, struct, wrappers...; the options annotations need
    // descriptor.proto as well, which it ships as JSON.
    const descriptor = require('protobufjs/google/protobuf/descriptor.json') as { nested: { google: { nested: { protobuf: { nested: Record<string, unknown> } } } } };
    protobuf.common('descriptor', descriptor.nested.google.nested.protobuf.nested);
    commonAdded = true;
  }
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const path = join(dir, target);
      if (existsSync(path)) return path;
    }
    return target; // google/protobuf/*.proto: protobufjs's bundled copies
  };
  root.loadSync(files as string[], { keepCase: true });
  root.resolveAll();
  return root;
}

let shared: protobuf.Root | undefined;

/** The control plane's root (PROTO_FILES), loaded on first use (about 0.2 s). */
export function xdsProtoRoot(): protobuf.Root {
  shared ??= loadProtoRoot(PROTO_FILES, [...ENVOY_PROTO_DIRS, MESHWARD_PROTO_DIR]);
  return shared;
}

const TYPE_PREFIX = 'type.googleapis.com/';

/** `type.googleapis.com/<full name>`. */
export function typeUrlOf(fullName: string): string {
  return TYPE_PREFIX + fullName;
}

/** The message type a type URL names; throws XdsError(XDS_UNKNOWN_TYPE) when the root lacks it. */
export function messageType(typeUrlOrName: string, root: protobuf.Root = xdsProtoRoot()): protobuf.Type {
  // Remembered per root: Root.lookup splits and walks the name each time, and publishing checks
  // decode every resource.
  let types = typesByRoot.get(root);
  if (!types) typesByRoot.set(root, (types = new Map()));
  let found = types.get(typeUrlOrName);
  if (found) return found;
  const name = typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1);
  const looked = root.lookup(name);
  if (!(looked instanceof protobuf.Type)) {
    throw new XdsError('XDS_UNKNOWN_TYPE', `${typeUrlOrName}: no such message type in the xDS proto root; load its .proto in proto-root.ts`);
  }
  found = looked;
  types.set(typeUrlOrName, found);
  return found;
}

const typesByRoot = new WeakMap<protobuf.Root, Map<string, protobuf.Type>>();

/** A packed google.protobuf.Any as the wire messages hold it. */
export interface AnyValue {
  type_url: string;
  value: Uint8Array;
}

/**
 * Encodes a plain object (snake_case field names, enums by name or number, nested Anys already
 * packed with `packAny`) as the message `typeUrlOrName`. Unlike protobufjs's own encode, a field
 * the message does not have is an error (XDS_ENCODE_INVALID, naming the field path) instead of
 * being dropped, and so is a value of the wrong shape.
 */
export function encodeMessage(typeUrlOrName: string, value: Record<string, unknown>, root: protobuf.Root = xdsProtoRoot()): Uint8Array {
  const type = messageType(typeUrlOrName, root);
  checkFields(type, value, type.name);
  const message = type.fromObject(value);
  const problem = type.verify(message);
  if (problem) throw new XdsError('XDS_ENCODE_INVALID', `${type.fullName.slice(1)}: ${problem}`);
  return type.encode(message).finish();
}

/**
 * Encodes without encodeMessage's checks: for code in this package that builds the same shape
 * every time (ECDS and agent resources on the publish path, where the checks cost more than the
 * encoding), each covered by a round-trip test. Field names must be exact, enums numbers, nested
 * Anys packed.
 */
export function encodeTrusted(typeUrlOrName: string, value: Record<string, unknown>, root: protobuf.Root = xdsProtoRoot()): Uint8Array {
  return messageType(typeUrlOrName, root).encode(value).finish();
}

/** encodeMessage, wrapped as an Any of that type. */
export function packAny(typeUrlOrName: string, value: Record<string, unknown>, root: protobuf.Root = xdsProtoRoot()): AnyValue {
  const type = messageType(typeUrlOrName, root);
  return { type_url: typeUrlOf(type.fullName.slice(1)), value: encodeMessage(typeUrlOrName, value, root) };
}

/** Decodes `bytes` as `typeUrlOrName` into a plain object (snake_case, enums as names, longs as
 * strings, defaults filled, Anys left packed), the inverse of encodeMessage for tests and tools. */
export function decodeMessage(typeUrlOrName: string, bytes: Uint8Array, root: protobuf.Root = xdsProtoRoot()): Record<string, unknown> {
  const type = messageType(typeUrlOrName, root);
  return type.toObject(type.decode(bytes), { enums: String, longs: String, defaults: true, oneofs: true }) as Record<string, unknown>;
}

function checkFields(type: protobuf.Type, value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new XdsError('XDS_ENCODE_INVALID', `${path}: expected an object for ${type.fullName.slice(1)}, found ${describe(value)}`);
  }
  if (value instanceof Uint8Array) throw new XdsError('XDS_ENCODE_INVALID', `${path}: expected an object, found bytes`);
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const field = type.fields[key];
    if (!field) {
      const known = Object.keys(type.fields).join(', ');
      throw new XdsError('XDS_ENCODE_INVALID', `${path}.${key}: ${type.fullName.slice(1)} has no such field (fields: ${known})`);
    }
    field.resolve();
    const sub = field.resolvedType;
    const items = (): unknown[] => (field.map && typeof v === 'object' && v !== null ? Object.values(v) : field.repeated && Array.isArray(v) ? v : [v]);
    if (sub instanceof protobuf.Enum) {
      // fromObject turns an unknown enum name into 0 without a word.
      for (const item of items()) {
        if (typeof item === 'string' && !(item in sub.values)) {
          throw new XdsError('XDS_ENCODE_INVALID', `${path}.${key}: ${JSON.stringify(item)} is not a ${sub.fullName.slice(1)} (${Object.keys(sub.values).join(', ')})`);
        }
      }
      continue;
    }
    if (!(sub instanceof protobuf.Type)) {
      // fromObject would turn 42 into "42" for a string field: check scalars before it runs.
      for (const item of items()) checkScalar(field.type, item, `${path}.${key}`);
      continue;
    }
    if (field.map) {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) checkFields(sub, item, `${path}.${key}[${JSON.stringify(k)}]`);
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new XdsError('XDS_ENCODE_INVALID', `${path}.${key}: expected a list, found ${describe(v)}`);
      v.forEach((item, i) => checkFields(sub, item, `${path}.${key}[${i}]`));
    } else if (sub.fullName === '.google.protobuf.Any') {
      checkAny(v, `${path}.${key}`, type.root as protobuf.Root);
    } else {
      checkFields(sub, v, `${path}.${key}`);
    }
  }
}

/** A nested Any must be packed ({type_url, value}) with a type the root knows: '@type' objects
 * are how an unknown type slips through as an empty message. */
function checkAny(value: unknown, path: string, root: protobuf.Root): void {
  const any = value as Partial<AnyValue> & { '@type'?: unknown };
  if (typeof any !== 'object' || any === null) throw new XdsError('XDS_ENCODE_INVALID', `${path}: expected a packed Any, found ${describe(value)}`);
  if ('@type' in any) throw new XdsError('XDS_ENCODE_INVALID', `${path}: pack nested messages with packAny() instead of '@type'`);
  if (typeof any.type_url !== 'string' || !(any.value instanceof Uint8Array)) {
    throw new XdsError('XDS_ENCODE_INVALID', `${path}: expected {type_url, value: bytes}`);
  }
  messageType(any.type_url, root);
}

function checkScalar(type: string, value: unknown, path: string): void {
  let ok: boolean;
  switch (type) {
    case 'string':
      ok = typeof value === 'string';
      break;
    case 'bool':
      ok = typeof value === 'boolean';
      break;
    case 'bytes':
      ok = value instanceof Uint8Array || typeof value === 'string';
      break;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      ok = typeof value === 'number' || typeof value === 'string' || (typeof value === 'object' && value !== null && 'low' in value);
      break;
    default:
      ok = typeof value === 'number';
  }
  if (!ok) throw new XdsError('XDS_ENCODE_INVALID', `${path}: expected a ${type}, found ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
