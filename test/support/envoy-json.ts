// Checks Envoy configuration written in proto3 JSON form (as EnvoyFilter patches and Envoy's
// YAML are) against Envoy's own .proto files: every field must exist, `@type` Anys are packed
// as their named type, durations ("5s") become Duration messages, then the strict encoder of
// the control plane encodes the result (failing on any unknown field or wrong shape).
import type protobuf from 'protobufjs';
import { encodeMessage, loadProtoRoot, PROTO_FILES, ENVOY_PROTO_DIRS } from '../../control-plane/src/index.js';

const EXTRA_FILES = [
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
];

let root: protobuf.Root | undefined;
export function envoyRoot(): protobuf.Root {
  root ??= loadProtoRoot([...PROTO_FILES.filter((f) => f.startsWith('envoy/') || f.startsWith('google/')), ...EXTRA_FILES], ENVOY_PROTO_DIRS);
  return root;
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function lookupType(name: string): protobuf.Type {
  const t = envoyRoot().lookupType(name.slice(name.lastIndexOf('/') + 1));
  return t;
}

function convert(type: protobuf.Type, value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path}: expected an object for ${type.fullName}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key] ?? type.fields[snake(key)];
    if (!field) throw new Error(`${path}.${key}: ${type.fullName} has no such field`);
    field.resolve();
    const conv = (x: unknown, p: string): unknown => {
      const rt = field.resolvedType;
      if (!rt || !('fields' in rt)) return x; // scalar or enum
      const t = rt as protobuf.Type;
      if (t.fullName === '.google.protobuf.Duration' && typeof x === 'string') {
        const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(x);
        if (!m) throw new Error(`${p}: "${x}" is not a duration`);
        return { seconds: Number(m[1]), nanos: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
      }
      if (t.fullName === '.google.protobuf.Any') {
        const { '@type': typeUrl, ...rest } = x as Record<string, unknown>;
        if (typeof typeUrl !== 'string') throw new Error(`${p}: an Any needs "@type"`);
        const inner = lookupType(typeUrl);
        return { type_url: typeUrl, value: encodeMessage(inner.fullName.slice(1), convert(inner, rest, p), envoyRoot()) };
      }
      return convert(t, x, p);
    };
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) m[mk] = conv(mv, `${path}.${key}[${mk}]`);
      out[field.name] = m;
    } else if (field.repeated) {
      out[field.name] = (v as unknown[]).map((x, i) => conv(x, `${path}.${key}[${i}]`));
    } else {
      out[field.name] = conv(v, `${path}.${key}`);
    }
  }
  return out;
}

/** Throws, naming the field path, unless `value` is a valid `typeName` in proto3 JSON form. */
export function checkEnvoyJson(typeName: string, value: unknown): void {
  const type = lookupType(typeName);
  encodeMessage(typeName, convert(type, value, typeName), envoyRoot());
}
