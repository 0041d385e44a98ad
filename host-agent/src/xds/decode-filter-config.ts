// Reads a TypedExtensionConfig the way Envoy's Wasm filter factory would: it must hold the HTTP
// or network Wasm filter, whose plugin configuration is a StringValue (or BytesValue) with the
// compiled policy. Every refusal names the field, and becomes the NACK's reason.
import { decode, TYPE_URL } from './proto.js';

export interface FilterConfig {
  /** The resource name (meshward.http.<ns>.<name>). */
  name: string;
  kind: 'http' | 'network';
  /** The plugin configuration: the compiled policy JSON. */
  configuration: string;
  failOpen: boolean;
  pluginName: string;
  rootId: string;
  vmId: string;
  runtime: string;
  /** Where Envoy would load the module from; the host agent runs its own --wasm and only
   * reports this. */
  code: { local?: string; remote?: { url: string; sha256: string } };
}

type Any = { type_url: string; value: Uint8Array } | null;
type Obj = Record<string, unknown>;

export function decodeFilterConfig(body: Uint8Array): FilterConfig {
  const tec = decode('envoy.config.core.v3.TypedExtensionConfig', body);
  const typed = tec.typed_config as Any;
  if (!typed) throw new Error('typed_config: missing');
  let kind: 'http' | 'network';
  if (typed.type_url === TYPE_URL.httpWasm) kind = 'http';
  else if (typed.type_url === TYPE_URL.networkWasm) kind = 'network';
  else throw new Error(`typed_config: expected ${TYPE_URL.httpWasm} or ${TYPE_URL.networkWasm}, found ${typed.type_url}`);
  const wasm = decode(typed.type_url.slice(typed.type_url.lastIndexOf('/') + 1), typed.value);
  const plugin = wasm.config as Obj | null;
  if (!plugin) throw new Error('typed_config.config: missing');
  const conf = plugin.configuration as Any;
  let configuration: string;
  if (conf?.type_url === TYPE_URL.stringValue) configuration = decode('google.protobuf.StringValue', conf.value).value as string;
  else if (conf?.type_url === TYPE_URL.bytesValue) configuration = Buffer.from(decode('google.protobuf.BytesValue', conf.value).value as Uint8Array).toString('utf8');
  else throw new Error(`typed_config.config.configuration: expected ${TYPE_URL.stringValue}, found ${conf?.type_url ?? 'nothing'}`);
  const vm = (plugin.vm_config as Obj | null) ?? {};
  const code = (vm.code as Obj | null) ?? {};
  const local = code.local as Obj | undefined;
  const remote = code.remote as Obj | undefined;
  return {
    name: tec.name as string,
    kind,
    configuration,
    failOpen: plugin.fail_open === true,
    pluginName: plugin.name as string,
    rootId: plugin.root_id as string,
    vmId: (vm.vm_id as string) ?? '',
    runtime: (vm.runtime as string) ?? '',
    code: {
      local: local ? ((local.filename as string) || (local.inline_string as string) || undefined) : undefined,
      remote: remote ? { url: ((remote.http_uri as Obj | null)?.uri as string) ?? '', sha256: remote.sha256 as string } : undefined,
    },
  };
}

/** The `name` field of a TypedExtensionConfig (SotW responses carry no separate name). */
export function extensionConfigName(body: Uint8Array): string {
  return decode('envoy.config.core.v3.TypedExtensionConfig', body).name as string;
}
