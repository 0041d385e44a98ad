// `meshward agent`: the host agent of one node. With --control-plane it takes every workload's
// compiled configuration over ADS (meshward.v1.AgentConfig for this node) and, with --events,
// streams its events to the control plane (meshward.v1.AgentEvents); without a control plane it
// compiles --policy files for the workloads of --inventory and prints events as JSON lines.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { compile, compileAgent, loadPolicyFiles } from '../../control-plane/src/index.js';
import { Agent } from '../../host-agent/src/agent.js';
import { parseAgentInventory } from '../../host-agent/src/attribution/resolver.js';
import { CaptureService } from '../../host-agent/src/capture/capture-service.js';
import { TrafficMonitor } from '../../host-agent/src/capture/monitor-traffic.js';
import { ChannelGuard } from '../../host-agent/src/channel-guard/channel-guard.js';
import { DEFAULT_RUNTIME_SOCKETS, defaultChannels, parseChannelSpec, type ChannelSpec } from '../../host-agent/src/channel-guard/channel-targets.js';
import { GrpcEventSink } from '../../host-agent/src/events/event-sink-grpc.js';
import { JsonLinesSink, type EventSink } from '../../host-agent/src/events/event-sink.js';
import { InlineMonitor } from '../../host-agent/src/inline/monitor-inline.js';
import type { Monitor } from '../../host-agent/src/monitors/monitor.js';
import type { AgentContext } from '../../host-agent/src/agent-context.js';
import { subscribeAgent, type AgentSubscription } from '../../host-agent/src/xds/index.js';
import { UsageError, oneOf, parseHostPort } from '../args.js';
import { createLogger, parseLogLevel } from '../logger.js';
import { FILTER_WASM } from '../paths.js';

export const AGENT_USAGE = `Usage: meshward agent (--control-plane HOST:PORT | --policy FILE --inventory FILE) [options]

The host agent of one node: processes, files, ports and connections of every container, the
filter on traffic no sidecar sees (passive capture or inline through nftables), and a guard on
the control channels. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW); without it, or
without the native addon, each monitor reports itself disabled and says why.

  --control-plane HOST:PORT  take configurations over ADS (this node's AgentConfig)
  --node NAME                this node (default $NODE_NAME, else the host name)
  --xds-ca FILE --xds-cert FILE --xds-key FILE
                             mTLS to the control plane
  --events HOST:PORT         stream events to the control plane's agent-events port
  --events-token TOKEN       the node's token for --events (or MESHWARD_EVENTS_TOKEN)
  --policy FILE              SecurityPolicy YAML, compiled here (repeatable; no control plane)
  --inventory FILE           pods → workloads: {pods: [{namespace, name, uid, workload,
                             containers: [{name, id}]}]}; also used beside the control plane
  --mode MODE                monitors' mode for workloads without configuration (default discover)
  --channel NAME=ADDR[:PORT] a control channel's address, IPv4 or IPv6 ([ADDR]:PORT), or a
  --channel NAME=unix:PATH   node socket (repeatable), e.g. kubernetes-api=10.96.0.1:443,
                             linkerd-destination=fd00::10 (default ports: linkerd-destination
                             8086, linkerd-identity 8080, kubernetes-api 443),
                             container-runtime=unix:/run/k3s/containerd/containerd.sock;
                             istiod, etcd and kubelet are known by port, the Kubernetes API from
                             KUBERNETES_SERVICE_HOST, and the containerd, Docker, CRI-O,
                             cri-dockerd and kubelet pod-resources sockets by their usual paths
  --kubelet URL              ask the kubelet for pods (e.g. https://$NODE_IP:10250)
  --kubelet-token FILE       bearer token for --kubelet (default the service-account token)
  --docker-socket PATH       Docker's API (default /var/run/docker.sock when present)
  --proc-root DIR            the host's /proc (default /proc; /host/proc in a pod)
  --scan-interval MS         listeners and connections poll (default 1000)
  --disable LIST             monitors off: processes,files,ports,traffic,inline,channels
  --wasm FILE                the filter module (default filter/build/meshward.wasm)
  --capture-dir DIR          where packet captures asked by the control plane are written
                             (default /var/lib/meshward/captures; they are also uploaded)
  --log-level LEVEL          trace | debug | info | warn | error (default info)
`;

const MONITORS = ['processes', 'files', 'ports', 'traffic', 'inline', 'channels'] as const;

function parseChannel(value: string): ChannelSpec {
  try {
    return parseChannelSpec(value);
  } catch (err) {
    throw new UsageError(`--channel: ${(err as Error).message}`);
  }
}

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'control-plane': { type: 'string' },
      node: { type: 'string' },
      'xds-ca': { type: 'string' },
      'xds-cert': { type: 'string' },
      'xds-key': { type: 'string' },
      events: { type: 'string' },
      'events-token': { type: 'string' },
      policy: { type: 'string', multiple: true },
      inventory: { type: 'string' },
      mode: { type: 'string' },
      channel: { type: 'string', multiple: true },
      kubelet: { type: 'string' },
      'kubelet-token': { type: 'string' },
      'docker-socket': { type: 'string' },
      'proc-root': { type: 'string' },
      'scan-interval': { type: 'string' },
      disable: { type: 'string' },
      wasm: { type: 'string' },
      'capture-dir': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const logger = createLogger(parseLogLevel(values['log-level']));
  const log = (level: Parameters<typeof logger.log>[0], message: string, fields?: Record<string, unknown>) => logger.log(level, message, fields);
  const controlPlane = values['control-plane'];
  const policies = values.policy ?? [];
  if (!controlPlane && policies.length === 0) throw new UsageError('give --control-plane, or --policy with --inventory');
  if (controlPlane && policies.length > 0) throw new UsageError('--policy and --control-plane are exclusive: the control plane compiles the policies');
  if (controlPlane) parseHostPort('--control-plane', controlPlane);
  const node = values.node ?? process.env.NODE_NAME ?? hostname();
  const mode = oneOf('--mode', values.mode, ['discover', 'monitor', 'protect'] as const, 'discover');
  const disabled = new Set((values.disable ?? '').split(',').filter(Boolean));
  for (const d of disabled) if (!(MONITORS as readonly string[]).includes(d)) throw new UsageError(`--disable: unknown monitor "${d}" (${MONITORS.join(', ')})`);
  const interval = values['scan-interval'] ? Number(values['scan-interval']) : 1000;
  if (!Number.isInteger(interval) || interval < 10) throw new UsageError(`--scan-interval must be an integer of at least 10 (got "${values['scan-interval']}")`);
  const specs = (values.channel ?? []).map(parseChannel);
  const channels = [...defaultChannels(), ...specs.flatMap((c) => (c.kind === 'tcp' ? [c.target] : []))];
  const sockets = [...DEFAULT_RUNTIME_SOCKETS, ...specs.flatMap((c) => (c.kind === 'unix' ? [c.target] : []))];
  const wasm = values.wasm ?? FILTER_WASM;

  let sink: EventSink;
  if (values.events) {
    parseHostPort('--events', values.events);
    const token = values['events-token'] ?? process.env.MESHWARD_EVENTS_TOKEN;
    if (!token) throw new UsageError('--events needs --events-token (or MESHWARD_EVENTS_TOKEN): the node token of this node');
    sink = new GrpcEventSink({ server: values.events, node, token, onError: (m) => log('warn', m) });
  } else {
    sink = new JsonLinesSink();
  }

  let kubeletToken: string | undefined;
  if (values.kubelet) {
    try {
      kubeletToken = readFileSync(values['kubelet-token'] ?? '/var/run/secrets/kubernetes.io/serviceaccount/token', 'utf8').trim();
    } catch (err) {
      throw new UsageError(`--kubelet: cannot read the token: ${(err as Error).message}`);
    }
  }
  const extra: Array<(ctx: AgentContext) => Monitor> = [];
  if (!disabled.has('traffic')) extra.push((ctx) => new TrafficMonitor(ctx, { wasm }));
  if (!disabled.has('inline')) extra.push((ctx) => new InlineMonitor(ctx, { wasm }));
  if (!disabled.has('channels')) extra.push((ctx) => new ChannelGuard(ctx, { channels, sockets }));
  const agent = new Agent({
    sink,
    log,
    inventory: values.inventory,
    dockerSocket: values['docker-socket'],
    kubelet: values.kubelet ? { url: values.kubelet, token: kubeletToken } : undefined,
    procRoot: values['proc-root'],
    processes: disabled.has('processes') ? false : {},
    files: !disabled.has('files'),
    ports: disabled.has('ports') ? false : { intervalMs: interval },
    monitors: extra,
    defaultMode: mode,
  });

  if (sink instanceof GrpcEventSink && agent.context) {
    const captures = new CaptureService(agent.context, { dir: values['capture-dir'] ?? '/var/lib/meshward/captures' });
    sink.onCapture((req) => captures.run({ id: req.id, namespace: req.namespace, workload: req.workload, pods: req.pods, durationSeconds: req.duration_seconds, filter: req.filter }));
  }

  let subscription: AgentSubscription | undefined;
  if (controlPlane) {
    const tls =
      values['xds-ca'] && values['xds-cert'] && values['xds-key']
        ? { ca: readFileSync(values['xds-ca']), cert: readFileSync(values['xds-cert']), key: readFileSync(values['xds-key']) }
        : undefined;
    subscription = subscribeAgent({ server: controlPlane, nodeName: node, tls, onEvent: (e) => log('debug', 'xds', { event: e }) }, (config, version) => {
      const r = agent.store.applyAgentConfig(config, version);
      if (r.ok) log('info', 'configuration applied', { version, workloads: config.workloads.length });
      else log('warn', 'configuration refused (the previous one stays)', { version, reason: r.reason });
      return r;
    });
  } else {
    if (!values.inventory) throw new UsageError('--policy needs --inventory: the workloads to compile for');
    const pods = parseAgentInventory(readFileSync(values.inventory, 'utf8'), values.inventory);
    const loaded = loadPolicyFiles(policies);
    const workloads = new Map<string, { namespace: string; name: string; pods: string[]; labels: Record<string, string> }>();
    for (const p of pods) {
      const name = p.workload ?? p.name;
      const key = `${p.namespace}/${name}`;
      const w = workloads.get(key) ?? { namespace: p.namespace, name, pods: [], labels: { ...(p.labels ?? {}) } };
      w.pods.push(p.name);
      workloads.set(key, w);
    }
    agent.store.replace(
      [...workloads.values()].map((w) => ({
        namespace: w.namespace,
        name: w.name,
        pods: w.pods,
        filterConfiguration: compile(loaded, w).json,
        agentConfiguration: compileAgent(loaded, w).json,
      })),
      'local',
    );
  }

  await agent.start();
  for (const m of agent.status().monitors) {
    if (m.enabled) log('info', `${m.name}: on`);
    else log('warn', `${m.name}: disabled`, { reason: m.reason });
  }
  log('info', 'meshward agent running', { node, controlPlane: controlPlane ?? null, events: values.events ?? 'stdout' });

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await subscription?.close();
  await agent.stop();
  await sink.close?.();
  return 0;
}
