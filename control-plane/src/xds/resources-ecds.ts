// ECDS resources of one workload: TypedExtensionConfigs named meshward.http.<ns>.<name> (the HTTP
// Wasm filter) and meshward.network.<ns>.<name> (the network Wasm filter), each carrying the
// Meshward plugin with the workload's compiled policy as its configuration. Envoy's
// EnvoyFilter/config_discovery points the filters at these names; `meshward proxy --xds` asks for
// the HTTP one.
import { XdsError } from './errors.js';
import { encodeMessage, encodeTrusted } from './proto-root.js';
import { makeResource, type Resource } from './resource.js';
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

function extensionConfig(name: string, wasmType: string, pluginName: string, configuration: string, o: WasmFilterOptions): Resource {
  // Built with encodeTrusted (this runs for every workload on every publish); the shape is
  // fixed and resources.test.ts decodes every field back.
  const plugin = {
    name: pluginName,
    root_id: o.rootId ?? 'meshward',
    vm_config: vmConfig(o),
    configuration: { type_url: TYPE_URL.stringValue, value: encodeTrusted(TYPE_URL.stringValue, { value: configuration }) },
    fail_open: o.failOpen ?? false,
  };
  const typed = { type_url: wasmType, value: encodeTrusted(wasmType, { config: plugin }) };
  return makeResource(TYPE_URL.extensionConfig, name, encodeTrusted(TYPE_URL.extensionConfig, { name, typed_config: typed }));
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
