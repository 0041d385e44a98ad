// A State-of-the-World stream (StreamAggregatedResources, StreamExtensionConfigs): every
// request names the full subscription, every response carries a version_info and a nonce.
//
// Rules, as the xDS protocol document gives them:
// - ACK or NACK: a request whose response_nonce is the latest nonce for its type answers that
//   response; error_detail makes it a NACK. A NACK is counted and recorded; the client keeps its
//   version_info, and the server sends nothing more until the resources change.
// - Stale nonce: a request answering an older response is ignored entirely (a newer request
//   will carry the subscription anyway).
// - Wildcard: `*` subscribes to every resource of the type; for Listener and Cluster, an empty
//   list on a stream that never named a resource is the legacy form of `*`. After a name was
//   given once, an empty list means "nothing".
// - A newly requested name is sent even if the server sent it before.
// - Listener and Cluster responses carry the full subscribed state; other types carry only
//   what changed since the stream last sent it.
// - One response per type awaits its ACK at a time; changes meanwhile go out after it.
// - On a new stream, a wildcard-only first request whose version_info equals the current
//   version gets nothing (the client already holds it; versions are content hashes).
import type { DiscoveryRequestMsg, DiscoveryResponseMsg } from './messages.js';
import { setVersion, type Resource } from './resource.js';
import { cachedResponse, cachedVersion, storeResponse, storeVersion } from './shared-responses.js';
import type { TypeResources } from './snapshot.js';
import { noWatch, XdsStream, type StreamContext, type StreamTransport, type TypeState } from './stream.js';

interface SotwType extends TypeState {
  /** A non-empty resource_names was seen: the legacy wildcard no longer applies. */
  explicit: boolean;
  /** What the client was sent, by name (for full-state types: exactly the last response). */
  sent: Map<string, string>;
  /** The next response must go out even if nothing changed (a name was newly requested). */
  mustRespond: boolean;
}

export class SotwStream extends XdsStream<DiscoveryRequestMsg, SotwType> {
  constructor(ctx: StreamContext, transport: StreamTransport, service: 'ads' | 'ecds', impliedTypeUrl?: string) {
    super(ctx, transport, 'sotw', service, impliedTypeUrl);
  }

  protected handle(typeUrl: string, req: DiscoveryRequestMsg): void {
    let t = this.types.get(typeUrl);
    const first = t === undefined;
    if (t && t.nonce !== undefined && req.response_nonce !== t.nonce) {
      this.ctx.metrics.staleNonces++;
      if (this.hooked('onRequest')) this.callHook('onRequest', this, this.event(typeUrl, req));
      return;
    }
    if (this.hooked('onRequest')) this.callHook('onRequest', this, this.event(typeUrl, req));
    if (!t) {
      t = this.newType(typeUrl);
      this.types.set(typeUrl, t);
    } else if (t.outstanding && req.response_nonce === t.outstanding.nonce) {
      if (req.error_detail) {
        if (req.version_info) t.ackedVersion = req.version_info; // the version it kept
        this.nacked(t, req.error_detail, req.version_info);
      } else this.acked(t, req.version_info);
      t.outstanding = undefined;
    }
    this.subscribe(t, req.resource_names, first);
    if (first) {
      t.ackedVersion = req.version_info || undefined;
      this.skipIfCurrent(t, req.version_info);
    }
    const changeAt = t.deferredChangeAt;
    t.deferredChangeAt = undefined;
    this.respond(t, changeAt === undefined ? 'request' : 'push', changeAt);
  }

  protected clientVersions(t: SotwType): ReadonlyMap<string, string> {
    return t.sent;
  }

  private newType(typeUrl: string): SotwType {
    // A literal, not a spread of a common part (see DeltaStream.newType).
    const t: SotwType = {
      typeUrl,
      traits: this.ctx.traits(typeUrl),
      wildcard: false,
      explicit: false,
      names: new Set(),
      sent: new Map(),
      sentVersion: undefined,
      ackedVersion: undefined,
      nonce: undefined,
      outstanding: undefined,
      mustRespond: false,
      deferredChangeAt: undefined,
      lastNack: undefined,
      cancel: noWatch,
    };
    this.watchType(t);
    return t;
  }

  private subscribe(t: SotwType, requested: readonly string[], first: boolean): void {
    const wasWildcard = t.wildcard;
    if (requested.length === 0 && t.traits.legacyWildcard && !t.explicit) {
      t.wildcard = true;
    } else {
      if (requested.length > 0) t.explicit = true;
      t.wildcard = requested.includes('*');
      const next = new Set(requested.filter((n) => n !== '*'));
      for (const name of next) {
        if (!t.names.has(name)) {
          // Newly requested: send it even if this stream sent it before.
          t.sent.delete(name);
          t.mustRespond = true;
        }
      }
      if (!t.traits.sotwFullState) for (const name of t.names) if (!next.has(name) && !t.wildcard) t.sent.delete(name);
      t.names = next;
    }
    if (t.wildcard && !wasWildcard && !first) t.mustRespond = true;
    if (first && t.wildcard) t.mustRespond = true;
  }

  /** Reconnect of a wildcard-only subscriber that already holds the current version. */
  private skipIfCurrent(t: SotwType, clientVersion: string): void {
    if (!t.wildcard || t.names.size > 0 || clientVersion === '') return;
    const view = this.ctx.watcher.fetch(this.key!, t.typeUrl);
    if (!view || view.version !== clientVersion) return;
    for (const r of view.resources.values()) t.sent.set(r.name, r.version);
    t.sentVersion = view.version;
    t.mustRespond = false;
  }

  protected respond(t: SotwType, cause: 'request' | 'push', changedAt: number | undefined): void {
    const view = this.ctx.watcher.fetch(this.key!, t.typeUrl);
    if (!view) return; // no snapshot for this node yet: the watch fires when one arrives
    const subset = this.wanted(t, view);
    let version = view.version;
    if (subset !== view.resources) {
      const key = `${t.wildcard ? '*' : ''}\u0000${[...t.names].join('\u0000')}`;
      version = cachedVersion(view, key) ?? storeVersion(view, key, setVersion(subset.values()));
    }
    let resources: Resource[];
    if (t.traits.sotwFullState) {
      if (!t.mustRespond && version === t.sentVersion) return;
      resources = [...subset.values()];
    } else {
      resources = [...subset.values()].filter((r) => t.sent.get(r.name) !== r.version);
      if (resources.length === 0) {
        t.mustRespond = false;
        return;
      }
    }
    const signature = `${version}\u0000${resources.map((r) => `${r.name}@${r.version}`).join(',')}`;
    const response =
      cachedResponse(view, signature) ??
      storeResponse(
        view,
        signature,
        this.ctx.encode.sotw({
          version_info: version,
          resources: resources.map((r) => ({ type_url: t.typeUrl, value: r.body })),
          type_url: t.typeUrl,
          nonce: '',
          control_plane: { identifier: this.ctx.controlPlaneId },
        }),
      );
    const nonce = this.nonceFor(response);
    // The resources themselves stand for their (name, version): no copy per stream and push.
    if (this.hooked('onResponse')) this.callHook('onResponse', this, { typeUrl: t.typeUrl, nonce, version, resources, removed: [], cause });
    if (t.traits.sotwFullState) t.sent = new Map(resources.map((r) => [r.name, r.version]));
    else {
      for (const name of t.sent.keys()) if (!view.resources.has(name)) t.sent.delete(name);
      for (const r of resources) t.sent.set(r.name, r.version);
    }
    t.mustRespond = false;
    this.sendResponse(t, response, { nonce, version, resources, cause, changedAt: cause === 'push' ? changedAt : undefined });
  }

  /** The subscribed resources that exist. Returns view.resources itself for a plain wildcard. */
  private wanted(t: SotwType, view: TypeResources): ReadonlyMap<string, Resource> {
    if (t.wildcard) {
      let extra = false;
      for (const n of t.names) if (!view.resources.has(n)) extra = true;
      if (!extra) return view.resources;
    }
    const out = new Map<string, Resource>();
    if (t.wildcard) for (const [n, r] of view.resources) out.set(n, r);
    for (const n of t.names) {
      const r = view.resources.get(n);
      if (r) out.set(n, r);
    }
    return out;
  }

  private event(typeUrl: string, req: DiscoveryRequestMsg) {
    return {
      typeUrl,
      nonce: req.response_nonce,
      versionInfo: req.version_info,
      resourceNames: req.resource_names,
      subscribe: [],
      unsubscribe: [],
      initialVersions: {},
      errorDetail: req.error_detail ? (req.error_detail.message ?? '') : undefined,
    };
  }
}
