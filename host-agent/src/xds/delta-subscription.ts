// A Delta (incremental) xDS subscription to named resources of one type. On every (re)connect
// the first request lists the names and, in initial_resource_versions, the version of every
// resource the client holds, so a control plane (this replica or another, or the same one after
// a restart) sends only what changed. Each resource in a response is applied on its own; one
// failure NACKs the response with every reason, and what failed keeps its last good version.
import { decode, encode, METHOD } from './proto.js';
import { nodeMessage, type NodeDescription } from './node.js';
import { StreamClient, type ApplyResult, type StreamClientOptions } from './stream-client.js';

export interface ResourceUpdate {
  name: string;
  version: string;
  /** The encoded resource (the Any's value). */
  body: Uint8Array;
  typeUrl: string;
}

export interface DeltaSubscriptionOptions extends StreamClientOptions {
  /** Default: ADS (DeltaAggregatedResources). */
  method?: string;
  typeUrl: string;
  node: NodeDescription;
  /** Names to subscribe to (`*` for every resource of the type the node is given). */
  resourceNames: readonly string[];
  /** Applies one resource; it is ACKed if every resource in the response applied. */
  onResource(update: ResourceUpdate): ApplyResult | Promise<ApplyResult>;
  /** The control plane says a resource is gone (or never existed). What was applied stays. */
  onRemoved?(name: string): void;
}

interface DeltaResource {
  name: string;
  version: string;
  resource: { type_url: string; value: Uint8Array } | null;
}

export class DeltaSubscription extends StreamClient {
  protected readonly method: string;
  private readonly accepted = new Map<string, string>();

  constructor(private readonly options: DeltaSubscriptionOptions) {
    super(options);
    this.method = options.method ?? METHOD.adsDelta;
  }

  protected firstRequest(): Buffer {
    return encode('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      node: nodeMessage(this.options.node),
      type_url: this.options.typeUrl,
      resource_names_subscribe: [...this.options.resourceNames],
      initial_resource_versions: Object.fromEntries(this.accepted),
    });
  }

  protected held(): Record<string, string> {
    return Object.fromEntries(this.accepted);
  }

  protected async handle(bytes: Buffer) {
    const res = decode('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes) as {
      type_url: string;
      nonce: string;
      system_version_info: string;
      resources: DeltaResource[];
      removed_resources: string[];
    };
    const reasons: string[] = [];
    for (const r of res.resources) {
      if (!r.resource) continue; // a TTL heartbeat: nothing to apply
      if (this.accepted.get(r.name) === r.version) continue;
      let result: ApplyResult;
      try {
        result = await this.options.onResource({ name: r.name, version: r.version, body: r.resource.value, typeUrl: r.resource.type_url });
      } catch (err) {
        result = { ok: false, reason: (err as Error).message };
      }
      if (result.ok) this.accepted.set(r.name, r.version);
      else reasons.push(`${r.name} ${r.version}: ${result.reason ?? 'rejected'}`);
    }
    for (const name of res.removed_resources) {
      this.accepted.delete(name);
      this.options.onRemoved?.(name);
    }
    const nack = reasons.length > 0 ? reasons.join('; ') : undefined;
    const reply = encode('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      type_url: res.type_url,
      response_nonce: res.nonce,
      error_detail: nack === undefined ? undefined : { code: 3, message: nack },
    });
    return { reply, nonce: res.nonce, version: res.system_version_info, nack };
  }
}
