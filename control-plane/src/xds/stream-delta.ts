// A Delta (incremental) stream (DeltaAggregatedResources, DeltaExtensionConfigs): the client
// subscribes and unsubscribes names, the server sends only resources whose version the client
// does not hold, and names resources that are gone in removed_resources.
//
// Rules, as the xDS protocol document gives them:
// - initial_resource_versions on the first request for a type tell the server what the client
//   kept from an earlier stream (to this replica or another: versions are content hashes), and
//   nothing it already holds is sent again.
// - ACK or NACK: a request whose response_nonce is the latest nonce answers that response;
//   error_detail makes it a NACK, counted and recorded, and the rejected versions are not sent
//   again until they change. A stale nonce is not an ACK, but subscription changes in that
//   request still apply.
// - Wildcard: `*` in resource_names_subscribe; for Listener and Cluster, a first request with
//   no names at all is the legacy form, which stays until `*` is unsubscribed.
// - Subscribing to a name sends it, even if the server thinks the client holds it; unsubscribing
//   sends nothing, except under a wildcard, where the resource is sent again (if the wildcard
//   covers it) or named in removed_resources (if not).
// - A subscribed name with no resource is named in removed_resources once, so the client need
//   not wait for a timeout; a resource that disappears is named there too.
// - One response per type awaits its ACK at a time; changes meanwhile go out after it.
import type { DeltaDiscoveryRequestMsg } from './messages.js';
import { setVersion, type Resource } from './resource.js';
import { cachedResponse, cachedVersion, storeResponse, storeVersion } from './shared-responses.js';
import type { TypeResources } from './snapshot.js';
import { noWatch, XdsStream, type Outstanding, type StreamContext, type StreamTransport, type TypeState } from './stream.js';

interface DeltaType extends TypeState {
  /** What the client holds as far as the server knows: name → version, or null when it was
   * told the resource does not exist. */
  known: Map<string, string | null>;
  /** Names to announce as removed whatever `known` says (wildcard unsubscribe); made when
   * first needed, as most streams never need it. */
  forceRemoved: Set<string> | undefined;
  /** The subscription (`*` and names) as a key for responses shared between streams; undefined
   * after it changes, until next needed. */
  subscriptionKey: string | undefined;
  /** The signature of a response sending every subscribed name (kept as subscriptionKey is). */
  wholeSignature: string | undefined;
  /** A request changed the subscription since the last response was worked out. */
  subscriptionChanged: boolean;
  outstanding: (Outstanding & { removed: readonly string[] }) | undefined;
}

export class DeltaStream extends XdsStream<DeltaDiscoveryRequestMsg, DeltaType> {
  constructor(ctx: StreamContext, transport: StreamTransport, service: 'ads' | 'ecds', impliedTypeUrl?: string) {
    super(ctx, transport, 'delta', service, impliedTypeUrl);
  }

  protected handle(typeUrl: string, req: DeltaDiscoveryRequestMsg): void {
    let t = this.types.get(typeUrl);
    const first = t === undefined;
    if (this.hooked('onRequest')) this.callHook('onRequest', this, {
      typeUrl,
      nonce: req.response_nonce,
      versionInfo: '',
      resourceNames: [],
      subscribe: req.resource_names_subscribe,
      unsubscribe: req.resource_names_unsubscribe,
      initialVersions: req.initial_resource_versions ?? {},
      errorDetail: req.error_detail ? (req.error_detail.message ?? '') : undefined,
    });
    if (!t) {
      t = this.newType(typeUrl);
      this.types.set(typeUrl, t);
    } else if (req.response_nonce !== '') {
      if (t.outstanding && req.response_nonce === t.outstanding.nonce) {
        if (req.error_detail) this.nacked(t, req.error_detail, '');
        else this.acked(t, t.outstanding.version);
        t.outstanding = undefined;
      } else if (req.response_nonce !== t.nonce) {
        this.ctx.metrics.staleNonces++;
      }
    }
    this.subscribe(t, req, first);
    if (first || req.resource_names_subscribe.length > 0 || req.resource_names_unsubscribe.length > 0) t.subscriptionChanged = true;
    if (t.outstanding) return; // the subscription change goes out with the next response
    const changeAt = t.deferredChangeAt;
    // A bare ACK (or NACK, or stale nonce) after which neither the subscription nor the
    // resources changed: the client holds what it was sent, there is nothing to look for.
    if (changeAt === undefined && !t.subscriptionChanged) return;
    t.deferredChangeAt = undefined;
    this.respond(t, changeAt === undefined ? 'request' : 'push', changeAt);
  }

  protected clientVersions(t: DeltaType): ReadonlyMap<string, string | null> {
    return t.known;
  }

  private newType(typeUrl: string): DeltaType {
    // A literal, not a spread of a common part: with types made by a spread, the per-stream work
    // of the push took twice the CPU (a profile at 1,000 streams: 1.26 s against 0.62 s).
    const t: DeltaType = {
      typeUrl,
      traits: this.ctx.traits(typeUrl),
      wildcard: false,
      names: new Set(),
      known: new Map(),
      forceRemoved: undefined,
      subscriptionKey: undefined,
      wholeSignature: undefined,
      subscriptionChanged: false,
      sentVersion: undefined,
      ackedVersion: undefined,
      nonce: undefined,
      outstanding: undefined,
      deferredChangeAt: undefined,
      lastNack: undefined,
      cancel: noWatch,
    };
    this.watchType(t);
    return t;
  }

  private subscribe(t: DeltaType, req: DeltaDiscoveryRequestMsg, first: boolean): void {
    const sub = req.resource_names_subscribe;
    const unsub = req.resource_names_unsubscribe;
    if (first || sub.length > 0 || unsub.length > 0) t.subscriptionKey = t.wholeSignature = undefined;
    if (first) {
      if (t.traits.legacyWildcard && sub.length === 0 && unsub.length === 0) t.wildcard = true;
      for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) t.known.set(name, version);
    }
    for (const name of sub) {
      if (name === '*') {
        t.wildcard = true;
        continue;
      }
      t.names.add(name);
      // A subscribe always gets the resource, except the first request's names that the client
      // declared it holds (that is what initial_resource_versions are for).
      if (!first) t.known.delete(name);
    }
    for (const name of unsub) {
      if (name === '*') {
        t.wildcard = false;
        continue;
      }
      t.names.delete(name);
      t.known.delete(name);
      if (t.wildcard) (t.forceRemoved ??= new Set()).add(name); // sent again below if the wildcard covers it
    }
    if (first && !t.wildcard) {
      // Versions declared for names the client does not subscribe to mean nothing here.
      for (const name of [...t.known.keys()]) if (!t.names.has(name)) t.known.delete(name);
    }
  }

  protected respond(t: DeltaType, cause: 'request' | 'push', changedAt: number | undefined): void {
    t.subscriptionChanged = false; // worked out from the whole subscription below
    const view = this.ctx.watcher.fetch(this.key!, t.typeUrl);
    if (!view) return; // no snapshot for this node yet
    const send: Resource[] = [];
    const removed: string[] = [];
    if (t.wildcard) {
      for (const name of view.resources.keys()) this.consider(t, view, name, send, removed);
      for (const name of t.names) if (!view.resources.has(name)) this.consider(t, view, name, send, removed);
      for (const [name, v] of t.known) if (v !== null && !view.resources.has(name) && !t.names.has(name)) removed.push(name);
    } else {
      for (const name of t.names) this.consider(t, view, name, send, removed);
    }
    const forceRemoved = t.forceRemoved;
    const forced = forceRemoved !== undefined && forceRemoved.size > 0;
    if (forced) {
      for (const name of forceRemoved) {
        if (!view.resources.has(name) && !removed.includes(name)) removed.push(name);
        else if (view.resources.has(name) && !send.some((r) => r.name === name)) send.push(view.resources.get(name)!);
      }
      forceRemoved.clear();
    }
    if (send.length === 0 && removed.length === 0) return;

    const version = this.subsetVersion(t, view);
    // Within one view a name has one version, and the subscription decides the set version:
    // the subscription and the names sent and removed, in order, decide the bytes.
    let signature: string;
    if (!t.wildcard && !forced && removed.length === 0 && send.length === t.names.size) {
      // Every subscribed name, in subscription order, nothing removed: a push's usual response.
      signature = (t.wholeSignature ??= `${this.subscriptionKey(t)}\u0002`);
    } else {
      signature = `${this.subscriptionKey(t)}\u0001`;
      for (const r of send) signature += `${r.name}\u0000`;
      signature += '\u0001';
      for (const name of removed) signature += `${name}\u0000`;
    }
    const response =
      cachedResponse(view, signature) ??
      storeResponse(
        view,
        signature,
        this.ctx.encode.delta({
          system_version_info: version,
          resources: send.map((r) => ({ name: r.name, version: r.version, resource: { type_url: t.typeUrl, value: r.body } })),
          type_url: t.typeUrl,
          removed_resources: removed,
          nonce: '',
          control_plane: { identifier: this.ctx.controlPlaneId },
        }),
      );
    const nonce = this.nonceFor(response);
    // The resources themselves stand for their (name, version): no copy per stream and push.
    if (this.hooked('onResponse')) this.callHook('onResponse', this, { typeUrl: t.typeUrl, nonce, version, resources: send, removed, cause });
    for (const r of send) t.known.set(r.name, r.version);
    for (const name of removed) {
      if (t.names.has(name)) t.known.set(name, null);
      else t.known.delete(name);
    }
    this.ctx.metrics.removalsSent += removed.length;
    this.sendResponse(t, response, { nonce, version, resources: send, removed, cause, changedAt: cause === 'push' ? changedAt : undefined });
  }

  /** Adds `name` to what a response sends (the client lacks this version) or names as removed
   * (it is gone and the client was not told so). */
  private consider(t: DeltaType, view: TypeResources, name: string, send: Resource[], removed: string[]): void {
    const r = view.resources.get(name);
    if (r) {
      if (t.known.get(name) !== r.version) send.push(r);
    } else if (t.known.get(name) !== null) {
      removed.push(name);
    }
  }

  private subscriptionKey(t: DeltaType): string {
    return (t.subscriptionKey ??= `${t.wildcard ? '*' : ''}\u0000${[...t.names].join('\u0000')}`);
  }

  /** The version of what the client subscribes to (informational in Delta). */
  private subsetVersion(t: DeltaType, view: TypeResources): string {
    const all = view.resources;
    if (t.wildcard) {
      let extra = false;
      for (const n of t.names) if (!all.has(n)) extra = true;
      if (!extra) return view.version;
    }
    const key = this.subscriptionKey(t);
    const known = cachedVersion(view, key);
    if (known !== undefined) return known;
    const subset: Resource[] = [];
    if (t.wildcard) subset.push(...all.values());
    else for (const n of t.names) if (all.has(n)) subset.push(all.get(n)!);
    return storeVersion(view, key, setVersion(subset));
  }
}
