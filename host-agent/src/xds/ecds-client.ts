// The ECDS client `meshward proxy --xds` runs, behaving as Envoy's extension config discovery:
// - it subscribes (Delta by default, over ADS or the standalone ECDS service) to the workload's
//   filter configuration, and `ready` resolves once a configuration is in force: the first one
//   from the control plane, or the default (`initial`) right away or after a fetch timeout, as
//   Envoy's default_config with apply_default_config_without_warming / initial_fetch_timeout;
// - each update goes to `apply` (the proxy applies it to new streams); it is ACKed when apply
//   says ok, and NACKed with apply's reason otherwise, the last good one staying in force;
// - while the control plane is away nothing changes in the proxy; the client reconnects with a
//   jittered, capped backoff, and with Delta tells the control plane, in
//   initial_resource_versions, what it holds, so nothing unchanged is downloaded again;
// - a removed resource leaves the last good configuration in force (it is reported in status).
import { decodeFilterConfig, extensionConfigName, type FilterConfig } from './decode-filter-config.js';
import { DeltaSubscription } from './delta-subscription.js';
import type { NodeDescription } from './node.js';
import { METHOD, TYPE_URL } from './proto.js';
import { SotwSubscription } from './sotw-subscription.js';
import type { ApplyResult, ClientEvent, ClientStatus, StreamClient, XdsClientTls } from './stream-client.js';
import type { BackoffOptions } from './backoff.js';

export interface EcdsSubscribeOptions {
  /** `host:port` of the control plane's xDS port. */
  server: string;
  /** sidecarNode({namespace, name, ...}) for a workload's proxy. */
  node: NodeDescription;
  /** Usually [`meshward.http.<ns>.<name>`]. */
  resourceNames: readonly string[];
  tls?: XdsClientTls;
  /** The default configuration. `apply: 'now'` applies it before the first fetch; 'on-timeout'
   * only if nothing arrived within timeoutMs (default 15000). Without it, `ready` waits for the
   * control plane. */
  initial?: { json: string; apply: 'now' | 'on-timeout'; timeoutMs?: number };
  /** Default 'delta'. */
  protocol?: 'delta' | 'sotw';
  /** Default 'ads' (AggregatedDiscoveryService); 'ecds' uses ExtensionConfigDiscoveryService. */
  service?: 'ads' | 'ecds';
  backoff?: BackoffOptions;
  onEvent?(event: EcdsEvent): void;
}

export type EcdsEvent =
  | ClientEvent
  | { type: 'applied'; name: string; version: string; source: 'xds' | 'default' }
  | { type: 'rejected'; name: string; version: string; reason: string }
  | { type: 'removed'; name: string };

/** Applies a configuration (version: the resource's content version, or `default`). */
export type ApplyConfig = (json: string, version: string, details: FilterConfig | undefined) => ApplyResult | Promise<ApplyResult>;

export interface AppliedConfig {
  name: string | undefined;
  json: string;
  version: string;
  source: 'xds' | 'default';
}

export interface EcdsStatus extends ClientStatus {
  /** The configuration in force, per resource name (the default is listed under `default`). */
  applied: Record<string, { version: string; source: 'xds' | 'default'; at: string }>;
  rejected: number;
  /** Names the control plane removed or does not have; their last good configuration stays. */
  removed: string[];
}

export interface EcdsSubscription {
  /** The first configuration in force. Rejects if the default (`initial`) is refused by apply. */
  readonly ready: Promise<AppliedConfig>;
  status(): EcdsStatus;
  close(): Promise<void>;
}

export function subscribe(options: EcdsSubscribeOptions, apply: ApplyConfig): EcdsSubscription {
  const applied: EcdsStatus['applied'] = {};
  const removed = new Set<string>();
  let rejected = 0;
  let firstDone = false;
  let resolveReady!: (c: AppliedConfig) => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<AppliedConfig>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {}); // unobserved rejection is the caller's choice
  /** The first configuration applied from the control plane; ready resolves with it once its
   * response is answered (so status() already lists it). */
  let firstFromXds: AppliedConfig | undefined;
  const emit = (e: EcdsEvent): void => {
    if ((e.type === 'ack' || e.type === 'nack') && firstFromXds) first(firstFromXds);
    try {
      options.onEvent?.(e);
    } catch {
      // logging must not break the client
    }
  };
  // apply() calls never overlap: a default applied on timeout cannot land after, and over, a
  // configuration that arrived meanwhile.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => T | Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => {});
    return next;
  };
  const first = (c: AppliedConfig): void => {
    if (firstDone) return;
    firstDone = true;
    if (timer) clearTimeout(timer);
    resolveReady(c);
  };

  const onResource = async (u: { name: string; version: string; body: Uint8Array }): Promise<ApplyResult> => {
    let config: FilterConfig;
    try {
      config = decodeFilterConfig(u.body);
    } catch (err) {
      rejected++;
      const reason = (err as Error).message;
      emit({ type: 'rejected', name: u.name, version: u.version, reason });
      return { ok: false, reason };
    }
    const result = await serial(() => apply(config.configuration, u.version, config));
    if (!result.ok) {
      rejected++;
      emit({ type: 'rejected', name: u.name, version: u.version, reason: result.reason ?? 'rejected' });
      return result;
    }
    applied[u.name] = { version: u.version, source: 'xds', at: new Date().toISOString() };
    removed.delete(u.name);
    emit({ type: 'applied', name: u.name, version: u.version, source: 'xds' });
    firstFromXds ??= { name: u.name, json: config.configuration, version: u.version, source: 'xds' };
    return { ok: true };
  };

  const applyDefault = (): Promise<void> =>
    serial(async () => {
      if (firstDone || !options.initial) return;
      const result = await apply(options.initial.json, 'default', undefined);
      if (!result.ok) {
        firstDone = true;
        rejectReady(new Error(`the default configuration was refused: ${result.reason ?? 'rejected'}`));
        return;
      }
      applied.default = { version: 'default', source: 'default', at: new Date().toISOString() };
      emit({ type: 'applied', name: 'default', version: 'default', source: 'default' });
      first({ name: undefined, json: options.initial.json, version: 'default', source: 'default' });
    });

  const common = {
    server: options.server,
    tls: options.tls,
    backoff: options.backoff,
    node: options.node,
    typeUrl: TYPE_URL.extensionConfig,
    resourceNames: options.resourceNames,
    onResource,
    onEvent: emit,
  };
  const service = options.service ?? 'ads';
  const client: StreamClient =
    (options.protocol ?? 'delta') === 'delta'
      ? new DeltaSubscription({
          ...common,
          method: service === 'ads' ? METHOD.adsDelta : METHOD.ecdsDelta,
          onRemoved: (name) => {
            removed.add(name);
            emit({ type: 'removed', name });
          },
        })
      : new SotwSubscription({ ...common, method: service === 'ads' ? METHOD.adsSotw : METHOD.ecdsSotw, nameOf: extensionConfigName });

  let timer: NodeJS.Timeout | undefined;
  if (options.initial?.apply === 'now') void applyDefault();
  else if (options.initial) {
    timer = setTimeout(() => void applyDefault(), options.initial.timeoutMs ?? 15_000);
  }
  client.start();

  return {
    ready,
    status: () => ({ ...client.status(), applied: { ...applied }, rejected, removed: [...removed] }),
    close: async () => {
      if (timer) clearTimeout(timer);
      await client.close();
    },
  };
}
