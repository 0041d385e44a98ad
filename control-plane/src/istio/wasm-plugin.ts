// Istio WasmPlugin resources, one per workload, for those who prefer WasmPlugin to the
// EnvoyFilter with ECDS: the compiled policy becomes `pluginConfig` (Istio hands it to the
// filter as the JSON plugin configuration). Updates then travel through istiod, not through
// Meshward's xDS server, so NACK reporting and per-identity checks are Istio's.
import { compile, type CompileResult } from '../compile/compile.js';
import type { CompileOptions } from '../compile/options.js';
import type { SecurityPolicy } from '../policy/types.js';
import type { WorkloadEntry } from '../xds/inventory.js';

export interface WasmPluginOptions {
  /** Where Istio fetches meshward.wasm: oci://, http(s)://, or file:// on the sidecar. */
  url: string;
  /** Hex SHA-256 of the module (Istio refuses a module that does not match). */
  sha256?: string;
  compileOptions?: CompileOptions;
}

export interface RenderedWasmPlugin {
  workload: WorkloadEntry;
  compiled: CompileResult;
  resource: Record<string, unknown>;
}

/** One WasmPlugin per workload of the inventory. A workload without labels cannot be selected
 * by a WasmPlugin and is refused with a clear error rather than matched mesh-wide. */
export function meshwardWasmPlugins(policies: readonly SecurityPolicy[], inventory: readonly WorkloadEntry[], o: WasmPluginOptions): RenderedWasmPlugin[] {
  const problems = inventory
    .filter((w) => Object.keys(w.labels).length === 0)
    .map((w) => `workload ${w.namespace}/${w.name} has no labels: a WasmPlugin selects pods by label`);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return inventory.map((workload) => {
    const compiled = compile(policies, workload, o.compileOptions);
    const spec: Record<string, unknown> = {
      selector: { matchLabels: { ...workload.labels } },
      url: o.url,
      ...(o.sha256 ? { sha256: o.sha256 } : {}),
      phase: 'AUTHZ',
      pluginName: 'meshward.http',
      pluginConfig: JSON.parse(compiled.json) as Record<string, unknown>,
    };
    return {
      workload,
      compiled,
      resource: {
        apiVersion: 'extensions.istio.io/v1alpha1',
        kind: 'WasmPlugin',
        metadata: {
          name: `meshward-${workload.name}`,
          namespace: workload.namespace,
          labels: { 'app.kubernetes.io/part-of': 'meshward' },
          annotations: { 'meshward.io/policy-version': compiled.version },
        },
        spec,
      },
    };
  });
}
