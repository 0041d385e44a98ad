// `meshward istio render`: the Istio resources that deliver Meshward into sidecars.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadInventoryFile, loadPolicyFiles, meshwardEnvoyFilter, meshwardWasmPlugins } from '../../control-plane/src/index.js';
import { UsageError } from '../args.js';
import { FILTER_WASM } from '../paths.js';

export const ISTIO_USAGE = `Usage:
  meshward istio render envoyfilter [--namespace NS] [--control-plane-host HOST] [--xds-port PORT] [--no-mtls]
      the mesh-wide EnvoyFilter: a cluster to the Meshward control plane and the HTTP and network
      Wasm filters with config_discovery (ECDS) through it (default namespace istio-system)
  meshward istio render wasmplugin --policies DIR --inventory FILE --wasm-url URL [--wasm-file PATH]
      one WasmPlugin per workload with the compiled policy as pluginConfig (sha256 of --wasm-file,
      default the built filter)
`;

/** Multi-document YAML, each document as Kubernetes tools print them. */
export function toYamlDocuments(docs: readonly unknown[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

export async function istioCommand(argv: string[]): Promise<number> {
  const [verb, what, ...rest] = argv;
  if (verb !== 'render') throw new UsageError(`unknown istio sub-command "${verb ?? ''}" (render)`);
  const { values } = parseArgs({
    args: rest,
    options: {
      namespace: { type: 'string' },
      'control-plane-host': { type: 'string' },
      'xds-port': { type: 'string' },
      'no-mtls': { type: 'boolean' },
      policies: { type: 'string', multiple: true },
      inventory: { type: 'string' },
      'wasm-url': { type: 'string' },
      'wasm-file': { type: 'string' },
    },
    strict: true,
  });
  if (what === 'envoyfilter') {
    const port = values['xds-port'] === undefined ? undefined : Number(values['xds-port']);
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError(`--xds-port must be a port number (got "${values['xds-port']}")`);
    const ef = meshwardEnvoyFilter({
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(values['control-plane-host'] ? { controlPlaneHost: values['control-plane-host'] } : {}),
      ...(port ? { xdsPort: port } : {}),
      ...(values['no-mtls'] ? { mtls: false } : {}),
    });
    process.stdout.write(toYamlDocuments([ef]));
    return 0;
  }
  if (what === 'wasmplugin') {
    if (!values.policies || !values.inventory || !values['wasm-url']) throw new UsageError('wasmplugin needs --policies, --inventory and --wasm-url');
    const sha256 = createHash('sha256').update(readFileSync(values['wasm-file'] ?? FILTER_WASM)).digest('hex');
    const rendered = meshwardWasmPlugins(loadPolicyFiles(values.policies), loadInventoryFile(values.inventory), { url: values['wasm-url'], sha256 });
    process.stdout.write(toYamlDocuments(rendered.map((r) => r.resource)));
    return 0;
  }
  throw new UsageError(`render what? envoyfilter or wasmplugin (got "${what ?? ''}")`);
}
