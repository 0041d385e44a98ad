// ECDS resources of one workload: TypedExtensionConfigs named meshward.http.<ns>.<name> (the HTTP
// Wasm filter) and meshward.network.<ns>.<name> (the network Wasm filter), each carrying the
// Meshward plugin with the workload's compiled policy as its configuration. Envoy's
// EnvoyFilter/config_discovery points the filters at these names; `meshward proxy --xds` asks for
// the HTTP one.
import { XdsError } from './errors.js';
import { encodeMessage, encodeTrusted } from './proto-root.js';
import { makeResource, type Resource } from './resource.js';
import { Slab } from './slab.js';
import { TYPE_URL } from './type-urls.js';

/** Where Envoy gets the module: a file on the sidecar, or a URL it fetches through a cluster. */
export type WasmCode =
  | { local: { filename: string } }
  | {
      remote: {
        /** http(s) URL of meshward.wasm. */
        url: string;
        /** Hex SHA-256 of the module; Envoy refuses a module that does not match. */
        sha256: string;
        /** Envoy cluster that reaches `url`. */
        cluster: string;
        /** Fetch timeout (default 10 s). */
        timeoutMs?: number;
      };
    };

export interface WasmFilterOptions {
  code: WasmCode;
  /** When the filter fails (VM crash, bad configuration), let traffic through (true) or answer
   * 503 (false, the default). Either way it is reported. */
  failOpen?: boolean;
  /** Default `meshward`: one VM shared by the HTTP and network filters of a sidecar. */
  vmId?: string;
  /** Root context id the filter registers (default `meshward`). */
  rootId?: string;
  /** Default `envoy.wasm.runtime.v8`. */
  runtime?: string;
}

export interface EcdsNames {
  http: string;
  network: string;
}

/** The ECDS resource names of a workload. */
export function ecdsResourceNames(namespace: string, name: string): EcdsNames {
  return { http: `meshward.http.${namespace}.${name}`, network: `meshward.network.${namespace}.${name}` };
}

/** The names one mesh-wide EnvoyFilter can point every sidecar at (an EnvoyFilter cannot vary
 * a name per workload): each node's snapshot serves its own workload's configuration under them,
 * and the identity check still decides which workload a node may be. */
export const GENERIC_ECDS_NAMES: EcdsNames = { http: 'meshward.http', network: 'meshward.network' };

/** The HTTP and network filter configurations of a workload, with `configuration` (the
 * compiled policy JSON) as the plugin configuration, under the workload's own names (or
 * `names`, e.g. GENERIC_ECDS_NAMES). */
export function ecdsResources(
  workload: { namespace: string; name: string },
  configuration: string,
  options: WasmFilterOptions,
  names: EcdsNames = ecdsResourceNames(workload.namespace, workload.name),
): Resource[] {
  return [
    extensionConfig(names.http, TYPE_URL.httpWasm, 'meshward.http', configuration, options),
    extensionConfig(names.network, TYPE_URL.networkWasm, 'meshward.network', configuration, options),
  ];
}

// This runs for every workload on every publish, and most of each resource is the same for every
// workload: the PluginConfig fields around `configuration` are encoded once per options object
// (by protobufjs, which writes fields in number order: name, root_id, vm_config before
// configuration = 4, fail_open after), and the rest is written here as protobufjs would write it.
// resources.test.ts compares the bytes with protobufjs's own encoding of the whole message.

/** PluginConfig's encoded fields before `configuration` (name, root_id, vm_config) and after it
 * (fail_open), per options object and plugin name. */
const pluginParts = new WeakMap<WasmFilterOptions, Map<string, { head: Buffer; tail: Buffer }>>();

function pluginAround(o: WasmFilterOptions, pluginName: string): { head: Buffer; tail: Buffer } {
  let byName = pluginParts.get(o);
  if (!byName) pluginParts.set(o, (byName = new Map()));
  let parts = byName.get(pluginName);
  if (!parts) {
    const type = 'envoy.extensions.wasm.v3.PluginConfig';
    parts = {
      head: Buffer.from(encodeTrusted(type, { name: pluginName, root_id: o.rootId ?? 'meshward', vm_config: vmConfig(o) })),
      tail: Buffer.from(encodeTrusted(type, { fail_open: o.failOpen ?? false })),
    };
    byName.set(pluginName, parts);
  }
  return parts;
}

/** The last configuration's PluginConfig field 4 (an Any packing a StringValue): a workload's
 * resources all carry it, and ecdsResources is called for them in a row. */
let lastConfiguration: { text: string; field: Buffer } | undefined;

function configurationField(configuration: string): Buffer {
  if (lastConfiguration?.text === configuration) return lastConfiguration.field;
  const textLength = Buffer.byteLength(configuration, 'utf8');
  const typeUrlLength = Buffer.byteLength(TYPE_URL.stringValue);
  const stringValue = ldSize(textLength); // StringValue {value = 1}
  const any = ldSize(typeUrlLength) + ldSize(stringValue); // Any {type_url = 1, value = 2}
  const out = new Out(ldSize(any));
  out.tag(4, any).tag(1, typeUrlLength).string(TYPE_URL.stringValue).tag(2, stringValue).tag(1, textLength).string(configuration);
  lastConfiguration = { text: configuration, field: out.buffer };
  return out.buffer;
}

function extensionConfig(name: string, wasmType: string, pluginName: string, configuration: string, o: WasmFilterOptions): Resource {
  const { head, tail } = pluginAround(o, pluginName);
  const conf = configurationField(configuration);
  // TypedExtensionConfig {name = 1, typed_config = 2: Any {type_url = 1, value = 2: Wasm {config = 1: PluginConfig}}}
  const plugin = head.length + conf.length + tail.length;
  const nameLength = Buffer.byteLength(name);
  const typeLength = Buffer.byteLength(wasmType);
  const typed = ldSize(typeLength) + ldSize(ldSize(plugin));
  const out = new Out(ldSize(nameLength) + ldSize(typed), bodySlab);
  out.tag(1, nameLength).string(name).tag(2, typed).tag(1, typeLength).string(wasmType).tag(2, ldSize(plugin)).tag(1, plugin);
  out.bytes(head).bytes(conf).bytes(tail);
  return makeResource(TYPE_URL.extensionConfig, name, out.buffer);
}

/** Bytes of a length-delimited field (tag, length, content) of `length` content bytes; field
 * numbers here are below 16, so one tag byte. */
function ldSize(length: number): number {
  let n = 2 + length;
  for (let v = length; v >= 0x80; v >>>= 7) n++;
  return n;
}

/** Resource bodies live as long as their snapshot: carved apart from what a publish throws
 * away, so that a snapshot's bodies do not keep Node's shared pools alive (slab.ts). */
const bodySlab = new Slab(256 * 1024);

/** One buffer of a known size, written front to back. */
class Out {
  readonly buffer: Buffer;
  private at = 0;

  constructor(size: number, slab?: Slab) {
    this.buffer = slab ? slab.carve(size) : Buffer.allocUnsafe(size);
  }

  /** A length-delimited field's tag and length. */
  tag(field: number, length: number): this {
    this.buffer[this.at++] = (field << 3) | 2;
    let v = length;
    while (v >= 0x80) {
      this.buffer[this.at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[this.at++] = v;
    return this;
  }

  string(s: string): this {
    this.at += this.buffer.write(s, this.at, 'utf8');
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buffer.set(b, this.at);
    this.at += b.length;
    return this;
  }
}

const vmConfigs = new WeakMap<WasmFilterOptions, Record<string, unknown>>();

/** The VM part, checked once per options object. */
function vmConfig(o: WasmFilterOptions): Record<string, unknown> {
  let vm = vmConfigs.get(o);
  if (!vm) {
    vm = { vm_id: o.vmId ?? 'meshward', runtime: o.runtime ?? 'envoy.wasm.runtime.v8', code: codeSource(o.code) };
    // Checked the slow way once: a misspelt field here would otherwise vanish.
    encodeMessage('envoy.extensions.wasm.v3.VmConfig', vm);
    vmConfigs.set(o, vm);
  }
  return vm;
}

function codeSource(code: WasmCode): Record<string, unknown> {
  if ('local' in code) {
    if (!code.local.filename) throw new XdsError('XDS_OPTIONS_INVALID', 'wasm code local.filename: required');
    return { local: { filename: code.local.filename } };
  }
  const r = code.remote;
  if (!/^https?:\/\//.test(r.url)) throw new XdsError('XDS_OPTIONS_INVALID', `wasm code remote.url ${JSON.stringify(r.url)}: expected an http(s) URL`);
  if (!/^[0-9a-f]{64}$/.test(r.sha256)) throw new XdsError('XDS_OPTIONS_INVALID', 'wasm code remote.sha256: expected 64 lower-case hex digits');
  if (!r.cluster) throw new XdsError('XDS_OPTIONS_INVALID', 'wasm code remote.cluster: required (the Envoy cluster that reaches the URL)');
  const ms = r.timeoutMs ?? 10_000;
  return {
    remote: {
      http_uri: { uri: r.url, cluster: r.cluster, timeout: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } },
      sha256: r.sha256,
    },
  };
}
