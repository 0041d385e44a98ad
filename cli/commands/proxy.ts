// `meshward proxy`: compiles the SecurityPolicies that select one workload, and runs the
// filter with that configuration in front of an upstream, as an inbound sidecar would.
// The CLI is where policy (control-plane) meets enforcement (host-agent): the host agent itself
// never reads policy YAML, it is handed the compiled document.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { compilePolicyFiles, watchPaths, type CompileOptions, type FileWatch } from '../../control-plane/src/index.js';
import {
  sidecarNode,
  startAdmin,
  startProxy,
  startTcpProxy,
  parseTcpUpstream,
  subscribe,
  type AdminServer,
  type EcdsSubscription,
  type PeerIdentity,
  type ProxyOptions,
  type RunningProxy,
} from '../../host-agent/src/index.js';
import type { Mode } from '../../control-plane/src/compile/filter-config.js';
import { UsageError, oneOf, parseHostPort, parseLabels, parseWorkload } from '../args.js';
import { createLogger, parseLogLevel, type CliLogger } from '../logger.js';
import { FILTER_WASM } from '../paths.js';

export const PROXY_USAGE = `Usage: meshward proxy --listen HOST:PORT --upstream URL [options]

Runs the Meshward filter on every HTTP/1.1 and HTTP/2 (h2c, gRPC) stream in front of an upstream,
the way an inbound Envoy sidecar runs it.

  --listen HOST:PORT        where to accept connections (default 127.0.0.1:15006)
  --upstream URL            the application, http://HOST:PORT (required)
  --policy FILE             SecurityPolicy YAML; repeatable; reloaded when it changes
  --xds HOST:PORT           take the policy from the control plane over xDS (ECDS) instead:
                            updates apply to new streams, an invalid one is refused (NACK) and
                            the last good one kept, also while the control plane is away
  --xds-default WHEN        with --xds, when to apply the local default (--policy, else discover):
                            wait (never: wait for the control plane), now, on-timeout (default wait)
  --xds-timeout MS          first-fetch timeout for --xds-default on-timeout (default 15000)
  --xds-ca FILE --xds-cert FILE --xds-key FILE
                            mTLS to the control plane; the certificate's SPIFFE id is checked
  --workload NS/NAME        the workload this proxy guards (required with --policy)
  --labels k=v,...          the workload's labels, for policy selectors
  --mode MODE               override the policies' mode: discover | monitor | protect
  --fail open|closed        what to do when the filter fails (default closed: 503)
  --events-url URL          control-plane base URL the filter posts event batches to
                            (POST /v1/events); without it events print on stdout
  --events-token TOKEN      bearer token for --events-url
  --tls-cert FILE --tls-key FILE
                            serve TLS; with --client-ca FILE clients must present a certificate
                            signed by that CA, and its URI SAN is the peer principal
  --peers FILE              YAML list of {ip, principal, namespace, workload}: peer identity by
                            source address for plaintext connections (tests, non-mTLS setups)
  --upstream-protocol P     auto (follow the client) | http1 | http2 (default auto)
  --route-timeout MS        as Envoy's route timeout: from the end of the request to the end of
                            the response, else 504 (default 15000; 0: none, for long streams)
  --tcp                     TCP mode: run the network filter on every connection (protocol
                            identification, PostgreSQL/MySQL/Redis statement policy, threats)
                            in front of --upstream tcp://HOST:PORT; TLS and --peers as above
  --egress                  with --tcp: an outbound listener (egress rules, checked against the
                            TLS server name, apply instead of ingress rules)
  --admin HOST:PORT         admin endpoint: /ready, /stats, /stats/prometheus, GET|PUT /config
  --no-filter               forward only (a baseline for comparisons)
  --wasm FILE               the filter module (default filter/build/meshward.wasm)
  --log-level LEVEL         trace | debug | info | warn | error (default info)
`;

export interface ProxyCommandOptions {
  listen: { host: string; port: number };
  upstream: string;
  policies: string[];
  workload: { namespace: string; name: string };
  labels: Record<string, string>;
  mode?: Mode;
  fail: 'open' | 'closed';
  eventsUrl?: string;
  eventsToken?: string;
  tls?: { cert: string; key: string; clientCa?: string };
  peersFile?: string;
  upstreamProtocol: 'auto' | 'http1' | 'http2';
  routeTimeoutMs?: number;
  admin?: { host: string; port: number };
  noFilter: boolean;
  /** TCP mode (`--tcp`): the network filter in front of a tcp:// upstream. */
  tcp?: boolean;
  /** With `tcp`: an outbound listener (egress rules). */
  egress?: boolean;
  wasm: string;
  logger: CliLogger;
  /** Reload the policy files when they change (default true). */
  watch?: boolean;
  /** Take the configuration from a control plane over xDS (ECDS) instead of the files. */
  xds?: {
    server: string;
    initial: 'wait' | 'now' | 'on-timeout';
    timeoutMs: number;
    tls?: { ca: string; cert: string; key: string };
  };
}

/** The cluster name the proxy gives the filter for event batches. */
export const EVENTS_CLUSTER = 'meshward_events';

export interface MeshwardProxy {
  proxy: RunningProxy;
  admin?: AdminServer;
  /** With --xds: the ECDS subscription (status: versions applied, NACKs, connection). */
  xds?: EcdsSubscription;
  /** Recompile the policy files and apply the result; false when it did not take. */
  reload(): boolean;
  close(): Promise<void>;
}

export function loadPeers(file: string): Map<string, PeerIdentity> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--peers ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(doc)) throw new UsageError(`--peers ${file}: expected a YAML list of {ip, principal, namespace, workload}`);
  const peers = new Map<string, PeerIdentity>();
  doc.forEach((entry: unknown, i: number) => {
    const e = entry as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e.ip !== 'string') {
      throw new UsageError(`--peers ${file}: [${i}].ip must be a string`);
    }
    const peer: PeerIdentity = {};
    for (const k of ['principal', 'namespace', 'workload'] as const) {
      if (e[k] !== undefined) {
        if (typeof e[k] !== 'string') throw new UsageError(`--peers ${file}: [${i}].${k} must be a string`);
        peer[k] = e[k] as string;
      }
    }
    peers.set(e.ip, peer);
  });
  return peers;
}

function compileOptions(o: ProxyCommandOptions): CompileOptions {
  const events = o.eventsUrl
    ? { cluster: EVENTS_CLUSTER, authority: new URL(o.eventsUrl).host, token: o.eventsToken ?? '' }
    : { cluster: '' };
  return { mode: o.mode, events };
}

function proxyOptions(o: ProxyCommandOptions, configuration: string | undefined): ProxyOptions {
  return {
    host: o.listen.host,
    port: o.listen.port,
    upstream: o.upstream,
    upstreamProtocol: o.upstreamProtocol,
    routeTimeoutMs: o.routeTimeoutMs,
    tls: o.tls && {
      cert: readFileSync(o.tls.cert),
      key: readFileSync(o.tls.key),
      clientCa: o.tls.clientCa ? readFileSync(o.tls.clientCa) : undefined,
    },
    filter: configuration === undefined ? undefined : {
      wasm: readFileSync(o.wasm),
      configuration,
      failurePolicy: o.fail,
      clusters: o.eventsUrl ? { [EVENTS_CLUSTER]: { url: o.eventsUrl } } : {},
      nodeId: `sidecar~${o.workload.namespace}~${o.workload.name}`,
      nodeMetadata: {
        NAMESPACE: { type: 'string', value: o.workload.namespace },
        WORKLOAD_NAME: { type: 'string', value: o.workload.name },
      },
    },
    peers: o.peersFile ? loadPeers(o.peersFile) : undefined,
    logger: o.logger,
  };
}

/** The HTTP or the TCP proxy, as the options say. */
function launch(o: ProxyCommandOptions, configuration: string | undefined): Promise<RunningProxy> {
  const options = proxyOptions(o, configuration);
  return o.tcp ? startTcpProxy({ ...options, outbound: o.egress }) : startProxy(options);
}

/** --xds: the first configuration from the control plane (or the default) starts the proxy;
 * later ones reconfigure it, and the client ACKs or NACKs by what the filter said. */
async function startFromXds(o: ProxyCommandOptions, xds: NonNullable<ProxyCommandOptions['xds']>, defaultJson: string): Promise<MeshwardProxy> {
  const log = o.logger;
  let proxy: RunningProxy | undefined;
  const sub = subscribe(
    {
      server: xds.server,
      node: sidecarNode({ namespace: o.workload.namespace, name: o.workload.name, labels: o.labels }),
      resourceNames: [`meshward.http.${o.workload.namespace}.${o.workload.name}`],
      tls: xds.tls && { ca: readFileSync(xds.tls.ca), cert: readFileSync(xds.tls.cert), key: readFileSync(xds.tls.key) },
      initial: xds.initial === 'wait' ? undefined : { json: defaultJson, apply: xds.initial, timeoutMs: xds.timeoutMs },
      onEvent: (e) => {
        const level = e.type === 'nack' || e.type === 'rejected' ? 'warn' : e.type === 'applied' ? 'info' : 'debug';
        log.log(level, `xds ${e.type}`, { ...e });
      },
    },
    async (json) => {
      if (!proxy) {
        try {
          proxy = await launch(o, json);
          return { ok: true };
        } catch (err) {
          return { ok: false, reason: (err as Error).message };
        }
      }
      return proxy.reconfigure(json);
    },
  );
  await sub.ready;
  const started = proxy as RunningProxy | undefined;
  if (!started) throw new Error('xds: ready without a proxy');
  log.log('info', 'proxy listening', {
    address: `${started.address.address}:${started.address.port}`,
    upstream: o.upstream,
    workload: `${o.workload.namespace}/${o.workload.name}`,
    policy: `xds ${xds.server}`,
  });
  const admin = o.admin ? await startAdmin(started, o.admin.host, o.admin.port) : undefined;
  return {
    proxy: started,
    admin,
    xds: sub,
    reload: () => false,
    async close() {
      await sub.close();
      await admin?.close();
      await started.close();
    },
  };
}

export async function startMeshwardProxy(o: ProxyCommandOptions): Promise<MeshwardProxy> {
  const log = o.logger;
  const compile = () => compilePolicyFiles(o.policies, { ...o.workload, labels: o.labels }, compileOptions(o));
  if (o.xds && !o.noFilter) return startFromXds(o, o.xds, compile().json);
  const compiled = o.noFilter ? undefined : compile();
  const proxy = await launch(o, compiled?.json);
  log.log('info', 'proxy listening', {
    address: `${proxy.address.address}:${proxy.address.port}`,
    upstream: o.upstream,
    workload: `${o.workload.namespace}/${o.workload.name}`,
    policy: compiled?.version ?? 'none (no filter)',
    mode: compiled?.config.mode,
  });
  const admin = o.admin ? await startAdmin(proxy, o.admin.host, o.admin.port) : undefined;
  if (admin) log.log('info', 'admin listening', { address: `${admin.address.address}:${admin.address.port}` });

  const reload = (): boolean => {
    let next;
    try {
      next = compile();
    } catch (err) {
      log.log('error', `policy reload rejected, keeping ${compiled?.version ?? 'the current policy'}: ${(err as Error).message}`);
      return false;
    }
    if (next.json === proxy.configuration()) return true;
    const result = proxy.reconfigure(next.json);
    if (result.ok) log.log('info', 'policy applied', { version: next.version, mode: next.config.mode });
    else log.log('error', `the filter rejected the new policy ${next.version}: ${result.reason ?? ''}`);
    return result.ok;
  };

  const watcher: FileWatch | undefined = compiled && o.watch !== false && o.policies.length > 0 ? watchPaths(o.policies, reload) : undefined;

  return {
    proxy,
    admin,
    reload,
    async close() {
      watcher?.close();
      await admin?.close();
      await proxy.close();
    },
  };
}

export function parseProxyArgs(argv: string[]): ProxyCommandOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string' },
      policy: { type: 'string', multiple: true },
      xds: { type: 'string' },
      'xds-default': { type: 'string' },
      'xds-timeout': { type: 'string' },
      'xds-ca': { type: 'string' },
      'xds-cert': { type: 'string' },
      'xds-key': { type: 'string' },
      workload: { type: 'string' },
      labels: { type: 'string' },
      mode: { type: 'string' },
      fail: { type: 'string' },
      'events-url': { type: 'string' },
      'events-token': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'client-ca': { type: 'string' },
      peers: { type: 'string' },
      'upstream-protocol': { type: 'string' },
      admin: { type: 'string' },
      'no-filter': { type: 'boolean' },
      'route-timeout': { type: 'string' },
      tcp: { type: 'boolean' },
      egress: { type: 'boolean' },
      wasm: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  if (!values.upstream) throw new UsageError('--upstream URL is required');
  if (values.egress && !values.tcp) throw new UsageError('--egress needs --tcp');
  if (values.tcp) {
    try {
      parseTcpUpstream(values.upstream);
    } catch {
      throw new UsageError(`--upstream must be tcp://HOST:PORT with --tcp (got "${values.upstream}")`);
    }
  } else {
    try {
      const u = new URL(values.upstream);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new UsageError(`--upstream must be an http:// or https:// URL (got "${values.upstream}")`);
    }
  }
  if ((values.policy || values.xds) && !values.workload) throw new UsageError('--workload NS/NAME is required with --policy or --xds');
  const xdsTls = [values['xds-ca'], values['xds-cert'], values['xds-key']];
  if (xdsTls.some((v) => v !== undefined) && xdsTls.some((v) => v === undefined)) throw new UsageError('--xds-ca, --xds-cert and --xds-key go together');
  const xdsTimeout = Number(values['xds-timeout'] ?? '15000');
  if (!Number.isInteger(xdsTimeout) || xdsTimeout <= 0) throw new UsageError(`--xds-timeout must be a positive number of milliseconds (got "${values['xds-timeout']}")`);
  const routeTimeout = Number(values['route-timeout'] ?? '15000');
  if (!Number.isInteger(routeTimeout) || routeTimeout < 0) throw new UsageError(`--route-timeout must be a whole number of milliseconds, 0 for none (got "${values['route-timeout']}")`);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (values['client-ca'] && !values['tls-cert']) throw new UsageError('--client-ca needs --tls-cert and --tls-key');
  if (values['events-url']) {
    try {
      new URL(values['events-url']);
    } catch {
      throw new UsageError(`--events-url must be a URL (got "${values['events-url']}")`);
    }
  }
  return {
    listen: parseHostPort('--listen', values.listen ?? '127.0.0.1:15006'),
    upstream: values.upstream,
    policies: values.policy ?? [],
    workload: values.workload ? parseWorkload('--workload', values.workload) : { namespace: 'default', name: 'unknown' },
    labels: parseLabels('--labels', values.labels),
    mode: values.mode === undefined ? undefined : oneOf('--mode', values.mode, ['discover', 'monitor', 'protect'] as const, 'monitor'),
    fail: oneOf('--fail', values.fail, ['open', 'closed'] as const, 'closed'),
    eventsUrl: values['events-url'],
    eventsToken: values['events-token'],
    tls: values['tls-cert']
      ? { cert: values['tls-cert'], key: values['tls-key'] as string, clientCa: values['client-ca'] }
      : undefined,
    peersFile: values.peers,
    upstreamProtocol: oneOf('--upstream-protocol', values['upstream-protocol'], ['auto', 'http1', 'http2'] as const, 'auto'),
    routeTimeoutMs: routeTimeout,
    admin: values.admin ? parseHostPort('--admin', values.admin) : undefined,
    noFilter: values['no-filter'] ?? false,
    tcp: values.tcp ?? false,
    egress: values.egress ?? false,
    wasm: values.wasm ?? FILTER_WASM,
    logger: createLogger(parseLogLevel(values['log-level'])),
    xds: values.xds
      ? {
          server: (parseHostPort('--xds', values.xds), values.xds),
          initial: oneOf('--xds-default', values['xds-default'], ['wait', 'now', 'on-timeout'] as const, 'wait'),
          timeoutMs: xdsTimeout,
          tls: values['xds-ca'] ? { ca: values['xds-ca'], cert: values['xds-cert'] as string, key: values['xds-key'] as string } : undefined,
        }
      : undefined,
  };
}

export async function proxyCommand(argv: string[]): Promise<number> {
  const options = parseProxyArgs(argv);
  const running = await startMeshwardProxy(options);
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  options.logger.log('info', 'shutting down');
  await running.close();
  return 0;
}
