// `meshward control-plane`: serves compiled policy over xDS to sidecars (ECDS) and host agents
// (ADS), from a folder of SecurityPolicy YAML and an inventory file, or from Kubernetes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane, type WasmCode } from '../../control-plane/src/index.js';
import { UsageError, parseHostPort } from '../args.js';
import { createLogger, parseLogLevel } from '../logger.js';
import { FILTER_WASM } from '../paths.js';

export const CONTROL_PLANE_USAGE = `Usage: meshward control-plane [--policies DIR] [--inventory FILE] [options]

Compiles SecurityPolicies per workload and serves them over xDS: ECDS to Envoy sidecars and
meshward proxy --xds, ADS to host agents. Policy edits are pushed within a second; a broken edit
is reported with file and line and nothing is pushed.

  --policies DIR|FILE     SecurityPolicy YAML (repeatable; watched)
  --inventory FILE        workloads, labels, service accounts and pods (YAML; watched)
  --kubernetes            read SecurityPolicy resources and Pods from the Kubernetes API instead
  --xds HOST:PORT         the xDS port (default 127.0.0.1:15010)
  --http HOST:PORT        health (/healthz, /readyz), /metrics, /v1/status, and the filter module
                          at /v1/filter/meshward.wasm (default 127.0.0.1:7070)
  --tls-cert FILE --tls-key FILE [--client-ca FILE]
                          TLS on the xDS port; with --client-ca, mTLS, and a client may fetch
                          only the policy of the workloads its SPIFFE identity runs as
  --trust-domain NAME     accepted SPIFFE trust domain (default any)
  --wasm-file PATH        where sidecars find meshward.wasm (default the built one)
  --wasm-url URL          or fetch it over HTTP (with --wasm-cluster NAME; sha256 from --wasm-file)
  --wasm-cluster NAME     the Envoy cluster that reaches --wasm-url
  --fail-open             sidecars let traffic through when the filter fails (default: 503)
  --events-cluster NAME   the cluster sidecars post events to (default: none, events are logged)
  --events-authority H    :authority of those posts (default meshward-control-plane)
  --log-level LEVEL       debug | info | warn | error (default info)
`;

export async function controlPlaneCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policies: { type: 'string', multiple: true },
      inventory: { type: 'string' },
      kubernetes: { type: 'boolean' },
      xds: { type: 'string' },
      http: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'client-ca': { type: 'string' },
      'trust-domain': { type: 'string' },
      'wasm-file': { type: 'string' },
      'wasm-url': { type: 'string' },
      'wasm-cluster': { type: 'string' },
      'fail-open': { type: 'boolean' },
      'events-cluster': { type: 'string' },
      'events-authority': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  if (!values.kubernetes && !values.policies) throw new UsageError('give --policies DIR (or --kubernetes)');
  if (values.kubernetes && (values.policies || values.inventory)) throw new UsageError('--kubernetes reads policies and workloads from the cluster; drop --policies/--inventory');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (values['wasm-url'] && !values['wasm-cluster']) throw new UsageError('--wasm-url needs --wasm-cluster');
  const wasmFile = resolve(values['wasm-file'] ?? FILTER_WASM);
  const code: WasmCode = values['wasm-url']
    ? {
        remote: {
          url: values['wasm-url'],
          cluster: values['wasm-cluster'] as string,
          sha256: createHash('sha256').update(readFileSync(wasmFile)).digest('hex'),
        },
      }
    : { local: { filename: wasmFile } };
  const logger = createLogger(parseLogLevel(values['log-level']));
  const xdsAt = parseHostPort('--xds', values.xds ?? '127.0.0.1:15010');
  const httpAt = parseHostPort('--http', values.http ?? '127.0.0.1:7070');
  const cp = await startControlPlane({
    policies: values.policies,
    inventory: values.inventory,
    kubernetes: values.kubernetes,
    xds: {
      ...xdsAt,
      trustDomain: values['trust-domain'],
      tls: values['tls-cert']
        ? {
            cert: readFileSync(values['tls-cert']),
            key: readFileSync(values['tls-key'] as string),
            clientCa: values['client-ca'] ? readFileSync(values['client-ca']) : undefined,
          }
        : undefined,
    },
    http: httpAt,
    wasm: { code, failOpen: values['fail-open'] ?? false },
    serveWasmFile: wasmFile,
    compileOptions: {
      events: {
        cluster: values['events-cluster'] ?? '',
        ...(values['events-authority'] ? { authority: values['events-authority'] } : {}),
      },
    },
    logger: { log: (level, message, fields) => logger.log(level, message, fields) },
  });
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  logger.log('info', 'shutting down');
  await cp.close();
  return 0;
}
