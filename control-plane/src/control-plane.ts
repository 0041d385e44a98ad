// `meshward control-plane`: policy and inventory sources → per-workload compilation → the xDS
// cache → the xDS server (sidecars over ECDS, agents over ADS), with health and metrics on the
// HTTP port; events from sidecars and agents → ingest → the store, and the REST API over them.
// Every piece is its own module; this file only connects them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompileOptions } from './compile/options.js';
import type { WorkloadEntry } from './xds/inventory.js';
import { startHttpServer, type ApiServer } from './api/http-server.js';
import { metricsText, type SourceHealth } from './api/metrics-text.js';
import { ingestMetricsText, streamMetricsText } from './api/events-metrics-text.js';
import { apiAuthorizer } from './api/api-auth.js';
import { Router } from './api/router.js';
import { ingestRoute } from './api/ingest-http.js';
import { eventRoutes } from './api/routes-events.js';
import { EventStream, type EventStreamOptions } from './events/event-stream.js';
import { EventIngest } from './events/ingest.js';
import { IngestAuth } from './events/ingest-auth.js';
import { openStore } from './store/open-store.js';
import { compile } from './compile/compile.js';
import { Learner } from './learn/learner.js';
import { Promoter } from './learn/promotion.js';
import { WorkloadStates } from './learn/workload-states.js';
import { dryRun, type DryRunDeps } from './learn/dry-run.js';
import { policyRoutes } from './api/routes-policy.js';
import { incidentRoutes } from './api/routes-incidents.js';
import { quarantineRoutes } from './api/routes-quarantine.js';
import { captureRoutes } from './api/routes-captures.js';
import { Captures } from './respond/captures.js';
import { SharedProcessing } from './events/shared-processing.js';
import { openApiDocument } from './api/openapi.js';
import { staticUi } from './api/static-ui.js';
import { Correlator } from './correlate/correlator.js';
import { AnomalyDetectors } from './correlate/anomaly.js';
import { ScanDetector } from './correlate/anomaly-scan.js';
import { BruteForceDetector } from './correlate/anomaly-bruteforce.js';
import { FloodDetector } from './correlate/anomaly-flood.js';
import { DnsTunnelDetector } from './correlate/anomaly-dns.js';
import { BeaconDetector } from './correlate/anomaly-beacon.js';
import type { Incident } from './correlate/incident.js';
import { AgentEventsServer, type CaptureResult } from './events/ingest-grpc.js';
import { Responder } from './respond/responder.js';
import { quarantineView } from './respond/quarantine.js';
import type { ResponseConfig } from './respond/rules.js';
import type { SourceState } from './sources/local-sources.js';
import { KubernetesPolicyWriter, LocalPolicyWriter, type PolicyWriter } from './api/policy-writer.js';
import type { SecurityPolicy } from './policy/types.js';
import { stringify } from 'yaml';
import { DEFAULT_RETENTION, type EventStore, type RetentionOptions } from './store/store.js';
import { startKubernetesSources } from './sources/kubernetes.js';
import { startLocalSources, type SourceHandlers, type Sources } from './sources/local-sources.js';
import {
  PolicyDistributor,
  SnapshotCache,
  XdsServer,
  identityAuthorizer,
  type WasmFilterOptions,
  type XdsServerTls,
} from './xds/index.js';

/** Version of the REST API document. */
const API_VERSION = '1.0.0';

export interface ControlPlaneLogger {
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface ControlPlaneOptions {
  /** Local sources (the embedded default): folders/files of policies and an inventory file. */
  policies?: string[];
  inventory?: string;
  /** Read SecurityPolicies and Pods from the Kubernetes API instead. */
  kubernetes?: boolean;
  xds: { host: string; port: number; tls?: XdsServerTls; trustDomain?: string };
  http: { host: string; port: number };
  wasm: WasmFilterOptions;
  /** Serve this file at /v1/filter/meshward.wasm, for sidecars that fetch the module remotely. */
  serveWasmFile?: string;
  compileOptions?: CompileOptions;
  logger: ControlPlaneLogger;
  /** Where the control plane keeps its state (the SQLite store, the ingest key). Without it and
   * without `store`, events are kept in memory only. */
  dataDir?: string;
  /** `sqlite:PATH` or `postgres://...`; default `sqlite:<dataDir>/meshward.db`, else in memory. */
  store?: string;
  /** The key events tokens are signed with, hex; replicas must share it (default: the data
   * folder's, else a new one per process). */
  ingestKey?: string;
  /** Token of the REST API (`--api-token`, MESHWARD_API_TOKEN); without it the API is open. */
  apiToken?: string;
  /** The dashboard's built files (Vite's output folder), served on the HTTP port. */
  ui?: string;
  events?: EventsOptions;
}

export interface EventsOptions {
  /** Events waiting for the store, at most (default 50,000). */
  queueLimit?: number;
  /** With PostgreSQL (replicas share the store): how often workload states (mode, quarantine)
   * changed by another replica are taken, and baselines followed (default 1000 ms). */
  syncIntervalMs?: number;
  retention?: Partial<RetentionOptions>;
  /** How often retention runs (default 60 s). */
  retentionIntervalMs?: number;
  /** discover → monitor after this long without new behaviour (default: never automatically). */
  promoteAfterMs?: number;
  /** How often promotion rules are checked (default 60 s). */
  promotionIntervalMs?: number;
  /** meshward.wasm for dry-run replays (default: the local module the sidecars load). */
  filterWasm?: string;
  /** The host agents' gRPC event stream (meshward.v1.AgentEvents); off without it. */
  agentEvents?: { host: string; port: number };
  /** Incident window (default 30 min). */
  incidentWindowMs?: number;
  /** Called when an incident opens or changes (respond/ hooks in here too). */
  onIncident?(incident: Incident, change: 'opened' | 'escalated' | 'updated'): void;
  onCaptureResult?(result: CaptureResult): void;
  /** Response sinks and rules (`--responses FILE`). */
  responses?: ResponseConfig;
  /** GET /v1/events/stream: per-client buffer, heartbeat, clients at most. */
  stream?: EventStreamOptions;
}

export interface RunningControlPlane {
  /** The snapshot cache the server serves from (exposed for tools and tests). */
  readonly cache: SnapshotCache;
  readonly xds: XdsServer;
  readonly http: ApiServer;
  readonly distributor: PolicyDistributor;
  readonly sources: Sources;
  readonly store: EventStore;
  readonly ingest: EventIngest;
  readonly ingestAuth: IngestAuth;
  readonly learner: Learner;
  readonly states: WorkloadStates;
  readonly promoter: Promoter;
  readonly correlator: Correlator;
  /** The agents' event stream server, when `events.agentEvents` was given. */
  readonly agentEvents: AgentEventsServer | undefined;
  readonly responder: Responder;
  /** With a shared (PostgreSQL) store: the event processing lease and its position. */
  readonly processing: SharedProcessing | undefined;
  /** With a shared store: what follows the store for this replica's live stream. */
  readonly streamFollower: SharedProcessing | undefined;
  /** The live event stream (GET /v1/events/stream). */
  readonly eventStream: EventStream;
  /** Runs retention now (it also runs on a timer). */
  retention(): Promise<void>;
  close(): Promise<void>;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<RunningControlPlane> {
  const log = o.logger;
  // Read once: the module is what the ECDS resources' SHA-256 was computed from.
  const wasmBytes = o.serveWasmFile ? readFileSync(o.serveWasmFile) : undefined;
  const storeSpec = o.store ?? (o.dataDir ? `sqlite:${join(o.dataDir, 'meshward.db')}` : 'sqlite::memory:');
  const store = await openStore(storeSpec);
  if (!o.dataDir && !o.store) log.log('warn', 'no --data folder or --store: events are kept in memory and lost when the control plane stops');
  const ingestAuth = new IngestAuth(IngestAuth.secretFrom(o.dataDir, o.ingestKey), o.apiToken, true);
  if (o.apiToken === undefined) log.log('warn', 'no API token (--api-token, MESHWARD_API_TOKEN): the REST API and event ingest accept anyone who can reach the HTTP port');
  // Replicas sharing a PostgreSQL store: one of them (the lease holder) processes every
  // replica's events (events/shared-processing.ts); each stores what it receives.
  const shared = store.backend === 'postgres';
  let processing: SharedProcessing | undefined;
  const ingest = new EventIngest({
    store,
    queueLimit: o.events?.queueLimit,
    processing: shared ? 'shared' : 'inline',
    onStored: () => {
      processing?.kick();
      streamFollower?.kick();
    },
    log: (level, message, fields) => log.log(level, message, fields),
  });
  const retentionOptions: RetentionOptions = { ...DEFAULT_RETENTION, ...o.events?.retention };
  const retention = async () => {
    const r = await store.applyRetention(retentionOptions);
    if (r.deletedByAge + r.deletedBySize + r.incidentsDeleted > 0) log.log('info', 'retention', { ...r });
  };
  const retentionTimer = setInterval(() => retention().catch((err: Error) => log.log('error', `retention failed: ${err.message}`)), o.events?.retentionIntervalMs ?? 60_000);
  retentionTimer.unref();
  const learner = await Learner.start({ store, log: (level, message) => log.log(level, message) });
  const states = await WorkloadStates.load(store);
  const incidentListeners: Array<NonNullable<EventsOptions['onIncident']>> = o.events?.onIncident ? [o.events.onIncident] : [];
  const correlator = await Correlator.start({
    store,
    windowMs: o.events?.incidentWindowMs,
    classify: {
      knownEgress: (ns, w, dest) => learner.baseline(ns, w)?.egress[dest] !== undefined,
    },
    onIncident: (incident, change) => {
      if (change !== 'updated') log.log('info', `incident ${change}`, { id: incident.id, severity: incident.severity, title: incident.title });
      for (const l of incidentListeners) l(incident, change);
    },
  });
  // Set once the agent stream server runs (below); capture requests need it.
  let agentEvents: AgentEventsServer | undefined;
  const captures = new Captures({ dir: o.dataDir ? join(o.dataDir, 'captures') : undefined, send: (req) => agentEvents?.requestCapture(req) ?? false });
  let inventoryNow: () => SourceState['inventory'] = () => [];
  const responder = new Responder(o.events?.responses ?? { webhooks: [], syslog: [], rules: [] }, {
    states,
    capture: (ask) => captures.request(ask).status !== 'undelivered',
    podsOf: (ns, name) => inventoryNow().find((w) => w.namespace === ns && w.name === name)?.pods?.map((p) => p.name) ?? [],
    log: (level, message, fields) => log.log(level, message, fields),
  });
  incidentListeners.push((incident, change) => void responder.onIncident(incident, change));
  const anomalies = new AnomalyDetectors([new ScanDetector(), new BruteForceDetector(), new FloodDetector(), new DnsTunnelDetector(), new BeaconDetector()]);
  ingest.addProcessor(anomalies);
  // Correlation runs before learning: an event's egress is judged against the baseline as it was.
  ingest.addProcessor(correlator);
  ingest.addProcessor(learner);
  ingest.addProcessor(responder);
  const eventStream = new EventStream(o.events?.stream);
  // The live stream shows every replica's events: with a shared store each replica follows the
  // store for its own clients (no lease), fed by the processing below while this replica holds
  // the lease (one read of each row); alone, it is one more processor.
  let streamFollower: SharedProcessing | undefined;
  if (shared) {
    streamFollower = new SharedProcessing({ store, lease: false, run: async (events) => (eventStream.stored(events), []) });
    streamFollower.start();
  } else {
    ingest.addProcessor(eventStream);
  }
  let syncTimer: NodeJS.Timeout | undefined;
  if (shared) {
    const p = new SharedProcessing({
      store,
      run: (events) => ingest.runProcessors(events),
      feeds: streamFollower,
      onLeadership: async (held) => {
        if (!held) return;
        await correlator.reload();
        await learner.reload();
      },
      log: (level, message, fields) => log.log(level, message, fields),
    });
    processing = p;
    p.start();
    syncTimer = setInterval(() => {
      void (async () => {
        await states.refresh();
        if (p.leader) await correlator.forgetResolved();
        else await learner.reload();
      })().catch((err: Error) => log.log('error', `replica sync failed: ${err.message}`));
    }, o.events?.syncIntervalMs ?? 1000);
    syncTimer.unref();
  }
  const quarantined = () => new Set(states.all().filter((x) => x.quarantined).map((x) => `${x.namespace}/${x.workload}`));
  const cache = new SnapshotCache();
  const health: SourceHealth = { updates: 0, errors: 0, lastError: undefined };
  let published = false;
  const distributor = new PolicyDistributor({
    cache,
    wasm: o.wasm,
    compileOptions: (w: WorkloadEntry) => compileOptionsFor(o.compileOptions, w, ingestAuth, states),
    onPublish: (r) => {
      published = true;
      log.log('info', 'policy published', { workloads: r.workloads, changed: r.changed.length, removed: r.removed.length, ms: Math.round(r.durationMs) });
    },
    onError: (err) => log.log('error', `policy not published, the previous one stays: ${err.message}`),
  });
  const handlers: SourceHandlers = {
    update: (state) => {
      health.updates++;
      distributor.update(quarantineView(state, quarantined()));
    },
    error: (err) => {
      health.errors++;
      health.lastError = err.message;
      log.log('error', `source change rejected, keeping the last good state: ${err.message}`);
    },
  };
  const sources = o.kubernetes
    ? await startKubernetesSources({}, handlers)
    : startLocalSources({ policies: o.policies ?? [], inventory: o.inventory }, handlers);
  // The first state is published at once, not after the debounce: readiness means policy is there.
  distributor.publish();
  published = true;
  // A mode set by promotion or command, or a quarantine, recompiles.
  states.onChange(() => distributor.update(quarantineView(sources.current(), quarantined())));
  const currentPolicies = (): readonly SecurityPolicy[] => sources.current().policies;
  const inventory = () => sources.current().inventory;
  inventoryNow = inventory;
  const wasmFile = o.events?.filterWasm ?? o.serveWasmFile ?? ('local' in o.wasm.code ? o.wasm.code.local.filename : undefined);
  let wasmForReplay: Uint8Array | undefined;
  const dryRunDeps: DryRunDeps = {
    store,
    policies: currentPolicies,
    inventory,
    wasm: () => {
      if (!wasmFile) throw new Error('dry-run needs the filter module: give the control plane a local --wasm-file');
      return (wasmForReplay ??= readFileSync(wasmFile));
    },
  };
  const writer: PolicyWriter | undefined = o.kubernetes ? new KubernetesPolicyWriter() : LocalPolicyWriter.forPaths(o.policies ?? []);
  const selectingYaml = (namespace: string, name: string): string | undefined => {
    const w = inventory().find((x) => x.namespace === namespace && x.name === name);
    if (!w) return undefined;
    const mine = currentPolicies().filter((p) => compile([p], { namespace, name, labels: w.labels ?? {} }, { events: { cluster: '' } }).config.policies.length > 0);
    return mine.length ? mine.map((p) => stringify(p)).join('---\n') : undefined;
  };
  const promoter = new Promoter({
    states,
    learner,
    policies: currentPolicies,
    inventory,
    apply: async (yaml) => {
      if (!writer) throw new Error('promotion needs a policies folder to write to');
      return writer.apply(yaml);
    },
    dryRun: (yaml, sinceMs) => dryRun({ yaml, sinceMs }, dryRunDeps),
    policiesYaml: selectingYaml,
  }, o.events?.promoteAfterMs);
  const promotionTimer = setInterval(() => {
    // With replicas, only the one processing events has baselines to save and promote from.
    if (processing && !processing.leader) return;
    void learner.save().then(() => promoter.tick()).then((done) => {
      if (done.length) log.log('info', 'promoted to monitor', { workloads: done });
    }).catch((err: Error) => log.log('error', `promotion failed: ${err.message}`));
  }, o.events?.promotionIntervalMs ?? 60_000);
  promotionTimer.unref();

  const xds = await XdsServer.start({
    watcher: cache,
    host: o.xds.host,
    port: o.xds.port,
    tls: o.xds.tls,
    nodeKey: distributor.nodeKey,
    authorize: o.xds.tls?.clientCa
      ? identityAuthorizer(() => ({ workloads: distributor.identityMap(), trustDomain: o.xds.trustDomain }))
      : undefined,
  });
  const status = async () => ({
    xds: xds.metrics(), distributor: distributor.stats(), sources: health, nacks: xds.nacks(), ingest: ingest.stats(), store: await store.stats(),
    learn: { ...learner.stats(), promoted: promoter.promoted }, correlate: correlator.stats(), anomalies: anomalies.stats(), respond: responder.stats(), captures: captures.counters, stream: eventStream.stats(), ...(processing ? { processing: processing.stats() } : {}), ...(streamFollower ? { streamFollower: streamFollower.stats() } : {}), ...(agentEvents ? { agents: agentEvents.stats() } : {}),
  });
  const router = new Router();
  router.add({ method: 'GET', path: '/v1/status', auth: 'api', handle: async () => ({ body: await status() }) });
  router.add(ingestRoute(ingest, ingestAuth));
  for (const r of eventRoutes(store, eventStream, () => ingest.stats().flowsOverflowBy)) router.add(r);
  for (const r of incidentRoutes(store, correlator)) router.add(r);
  for (const r of quarantineRoutes(states, inventory)) router.add(r);
  for (const r of captureRoutes(captures, inventory)) router.add(r);
  router.add({ method: 'GET', path: '/v1/openapi.json', auth: 'none', handle: () => ({ body: openApiDocument(router.list(), API_VERSION) }) });
  for (const r of policyRoutes({ policies: currentPolicies, inventory, writer, learner, states, promoter, dryRunDeps })) router.add(r);
  const http = await startHttpServer(o.http.host, o.http.port, {
    ready: () => (published ? { ready: true } : { ready: false, reason: 'no policy published yet' }),
    metrics: () => metricsText(xds.metrics(), distributor.stats(), health) + ingestMetricsText(ingest.stats()) + streamMetricsText(eventStream.stats()),
    status,
    wasm: () => wasmBytes,
    ui: o.ui ? staticUi(o.ui) : undefined,
    api: { router, authorize: apiAuthorizer(o.apiToken), log: (level, message, fields) => log.log(level, message, fields) },
  });
  agentEvents = o.events?.agentEvents
    ? await AgentEventsServer.start({
        ingest,
        auth: ingestAuth,
        host: o.events.agentEvents.host,
        port: o.events.agentEvents.port,
        workloadsOnNode: (node) => new Set(inventory().filter((w) => w.pods?.some((p) => p.node === node)).map((w) => `${w.namespace}/${w.name}`)),
        nodesOf: (ns, name) => [...new Set(inventory().find((w) => w.namespace === ns && w.name === name)?.pods?.flatMap((p) => (p.node ? [p.node] : [])) ?? [])],
        onCaptureChunk: (c) => captures.chunk(c.node, c),
        onCaptureResult: (r) => {
          log.log(r.ok ? 'info' : 'warn', 'capture result', { ...r });
          captures.result(r);
          o.events?.onCaptureResult?.(r);
        },
      })
    : undefined;
  log.log('info', 'control plane listening', { xds: xds.address, http: `${http.address.address}:${http.address.port}`, ...(agentEvents ? { agentEvents: agentEvents.address } : {}) });
  return {
    cache,
    xds,
    http,
    distributor,
    sources,
    store,
    ingest,
    ingestAuth,
    learner,
    states,
    promoter,
    correlator,
    agentEvents,
    responder,
    processing,
    streamFollower,
    retention,
    eventStream,
    async close() {
      clearInterval(retentionTimer);
      clearInterval(promotionTimer);
      clearInterval(syncTimer);
      sources.close();
      distributor.close();
      await agentEvents?.close();
      await ingest.close();
      await processing?.close();
      await streamFollower?.close();
      await learner.close();
      responder.close();
      eventStream.close();
      await http.close();
      await xds.close();
      await store.close();
    },
  };
}

/** The options a workload compiles with: the command's, its mode when promotion or a command set
 * one, and its own events token when events go to a cluster and no token was set by hand. */
function compileOptionsFor(base: CompileOptions | undefined, w: WorkloadEntry, auth: IngestAuth, states: WorkloadStates): CompileOptions {
  const mode = states.get(w.namespace, w.name).mode ?? base?.mode;
  const events = base?.events;
  const withMode = mode ? { ...base, mode } : { ...base };
  if (!events?.cluster || events.token) return withMode;
  return { ...withMode, events: { ...events, token: auth.workloadToken(w.namespace, w.name) } };
}
