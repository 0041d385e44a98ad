// `meshward policy validate|compile`: check SecurityPolicy files offline, and show the filter
// configuration one workload would receive.
import { parseArgs } from 'node:util';
import { compilePolicyFiles, loadPolicyFiles, securityPolicyCrd } from '../../control-plane/src/index.js';
import { toYamlDocuments } from './istio.js';
import { UsageError, parseLabels, parseWorkload } from '../args.js';
import { POLICY_SERVER_USAGE, policyServerCommand } from './policy-server.js';

export const POLICY_USAGE = `Usage:
  meshward policy validate FILE...
      check SecurityPolicy YAML files; errors name file:line:column, the field and the rule
  meshward policy compile FILE... --workload NS/NAME [--labels k=v,...] [--mode MODE]
      print the compiled filter configuration (the plugin configuration Envoy would receive)
  meshward policy crd
      print the SecurityPolicy CustomResourceDefinition (manifests/crds/)
${POLICY_SERVER_USAGE}`;

export async function policyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'apply' || sub === 'get' || sub === 'dry-run') return policyServerCommand(sub, rest);
  if (sub === 'crd') {
    process.stdout.write(toYamlDocuments([securityPolicyCrd()]));
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      workload: { type: 'string' },
      labels: { type: 'string' },
      mode: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0) throw new UsageError('give at least one policy FILE');
  if (sub === 'validate') {
    const policies = loadPolicyFiles(positionals);
    process.stdout.write(`${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} valid\n`);
    return 0;
  }
  if (sub === 'compile') {
    if (!values.workload) throw new UsageError('--workload NS/NAME is required');
    const mode = values.mode;
    if (mode !== undefined && !['discover', 'monitor', 'protect'].includes(mode)) {
      throw new UsageError(`--mode must be discover, monitor or protect (got "${mode}")`);
    }
    const out = compilePolicyFiles(
      positionals,
      { ...parseWorkload('--workload', values.workload), labels: parseLabels('--labels', values.labels) },
      { mode: mode as 'discover' | 'monitor' | 'protect' | undefined },
    );
    process.stdout.write(JSON.stringify(out.config, null, 2) + '\n');
    return 0;
  }
  throw new UsageError(`unknown policy sub-command "${sub ?? ''}" (validate, compile, crd, apply, get, dry-run)`);
}
