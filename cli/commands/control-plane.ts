// `meshward control-plane`: serves compiled policy over xDS to sidecars (ECDS) and host agents
// (ADS), from a folder of SecurityPolicy YAML and an inventory file, or from Kubernetes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane, type WasmCode } from '../../control-plane/src/index.js';
import { parseDuration } from '../../control-plane/src/api/params.js';
import { loadResponseConfig } from '../../control-plane/src/respond/rules.js';
import { UsageError, parseHostPort } from '../args.js';
import { createLogger, parseLogLevel } from '../logger.js';
import { FILTER_WASM, UI_DIR } from '../paths.js';

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
  --events-authority H    :authority of those posts (default meshward-control-plane); each
                          workload's configuration carries its own events token
  --data DIR              state: the SQLite store (DIR/meshward.db) and the ingest key, so events
                          and tokens survive a restart (default: in memory, lost at exit)
  --store SPEC            sqlite:PATH or postgres://USER@HOST:PORT/DB (or MESHWARD_STORE);
                          replicas share PostgreSQL: one of them processes every replica's events
  --ingest-key-file FILE  the key (hex) events tokens are signed with (or MESHWARD_INGEST_KEY);
                          replicas need the same one (default: DIR/ingest.key of --data)
  --api-token TOKEN       token of the REST API and of ingest for tools (or MESHWARD_API_TOKEN);
                          without it the API is open to anyone reaching --http
  --events-queue N        events waiting for the store, at most (default 50000); beyond it senders
                          are answered 503 with Retry-After and keep their events
  --retention AGE         events older than this are deleted (default 7d)
  --retention-bytes N     events kept at most, in bytes of JSON (default 1073741824)
  --agent-events HOST:PORT
                          gRPC stream for host agents' events (meshward.v1.AgentEvents; off
                          without it); agents authenticate with their node token
  --responses FILE        response sinks and rules (YAML): webhooks (signed, retried), syslog
                          (RFC 5424 over UDP/TCP), and rules on incidents or events that notify,
                          quarantine the workload (deny-all policy) or ask its agent for a capture
  --promote-after AGE     move a workload from discover to monitor (its learned policy applied)
                          after AGE without new behaviour, e.g. 24h (default: only on command)
  --ui DIR                the dashboard's built files, served on --http (default the built
                          dist/ui when present); --no-ui serves the API only
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
      data: { type: 'string' },
      store: { type: 'string' },
      'api-token': { type: 'string' },
      'ingest-key-file': { type: 'string' },
      'events-queue': { type: 'string' },
      retention: { type: 'string' },
      'retention-bytes': { type: 'string' },
      'agent-events': { type: 'string' },
      'promote-after': { type: 'string' },
      responses: { type: 'string' },
      'log-level': { type: 'string' },
      ui: { type: 'string' },
      'no-ui': { type: 'boolean' },
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
  const retentionAge = values.retention === undefined ? undefined : parseDuration(values.retention);
  if (retentionAge === 0 || (values.retention !== undefined && retentionAge === undefined)) throw new UsageError(`--retention must be a duration such as 24h or 7d (got "${values.retention}")`);
  const promoteAfter = values['promote-after'] === undefined ? undefined : parseDuration(values['promote-after']);
  if (values['promote-after'] !== undefined && !promoteAfter) throw new UsageError(`--promote-after must be a duration such as 24h (got "${values['promote-after']}")`);
  const count = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer (got "${v}")`);
    return n;
  };
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
    ui: values['no-ui'] ? undefined : values.ui ? resolve(values.ui) : existsSync(resolve(UI_DIR, 'index.html')) ? UI_DIR : undefined,
    compileOptions: {
      events: {
        cluster: values['events-cluster'] ?? '',
        ...(values['events-authority'] ? { authority: values['events-authority'] } : {}),
      },
    },
    logger: { log: (level, message, fields) => logger.log(level, message, fields) },
    dataDir: values.data ? resolve(values.data) : undefined,
    store: values.store ?? (process.env.MESHWARD_STORE || undefined),
    ingestKey: values['ingest-key-file'] ? readFileSync(values['ingest-key-file'], 'utf8') : process.env.MESHWARD_INGEST_KEY || undefined,
    apiToken: values['api-token'] ?? (process.env.MESHWARD_API_TOKEN || undefined),
    events: {
      queueLimit: count('--events-queue', values['events-queue']),
      agentEvents: values['agent-events'] ? parseHostPort('--agent-events', values['agent-events']) : undefined,
      promoteAfterMs: promoteAfter,
      responses: values.responses ? loadResponseConfig(values.responses) : undefined,
      retention: {
        ...(retentionAge ? { maxAgeMs: retentionAge } : {}),
        ...(values['retention-bytes'] ? { maxBytes: count('--retention-bytes', values['retention-bytes']) } : {}),
      },
    },
  });
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  logger.log('info', 'shutting down');
  await cp.close();
  return 0;
}
