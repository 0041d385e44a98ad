// A State-of-the-World xDS subscription to named resources of one type. Requests carry the full
// list of names and the version_info last accepted (so a reconnect to a control plane that has
// nothing new gets nothing for a wildcard subscription). SotW resources carry no name or version
// of their own on the wire, so the type's `nameOf` reads the name, and a resource whose bytes
// did not change is not applied again.
import { createHash } from 'node:crypto';
import { decode, encode, METHOD } from './proto.js';
import { nodeMessage, type NodeDescription } from './node.js';
import type { ResourceUpdate } from './delta-subscription.js';
import { StreamClient, type ApplyResult, type StreamClientOptions } from './stream-client.js';

export interface SotwSubscriptionOptions extends StreamClientOptions {
  /** Default: ADS (StreamAggregatedResources). */
  method?: string;
  typeUrl: string;
  node: NodeDescription;
  resourceNames: readonly string[];
  /** The name of an encoded resource of this type. */
  nameOf(body: Uint8Array): string;
  onResource(update: ResourceUpdate): ApplyResult | Promise<ApplyResult>;
}

export class SotwSubscription extends StreamClient {
  protected readonly method: string;
  private acceptedVersion = '';
  /** name → sha256 of the bytes last applied. */
  private readonly applied = new Map<string, string>();

  constructor(private readonly options: SotwSubscriptionOptions) {
    super(options);
    this.method = options.method ?? METHOD.adsSotw;
  }

  protected firstRequest(): Buffer {
    return this.request({ version_info: this.acceptedVersion, node: nodeMessage(this.options.node) });
  }

  protected held(): Record<string, string> {
    return Object.fromEntries(this.applied);
  }

  protected async handle(bytes: Buffer) {
    const res = decode('envoy.service.discovery.v3.DiscoveryResponse', bytes) as {
      version_info: string;
      nonce: string;
      type_url: string;
      resources: { type_url: string; value: Uint8Array }[];
    };
    const reasons: string[] = [];
    for (const any of res.resources) {
      let name: string;
      try {
        name = this.options.nameOf(any.value);
      } catch (err) {
        reasons.push(`undecodable resource: ${(err as Error).message}`);
        continue;
      }
      if (!this.options.resourceNames.includes(name) && !this.options.resourceNames.includes('*')) continue; // not asked for: ignored, as the protocol says
      const version = `sha256:${createHash('sha256').update(any.value).digest('hex')}`;
      if (this.applied.get(name) === version) continue;
      let result: ApplyResult;
      try {
        result = await this.options.onResource({ name, version, body: any.value, typeUrl: any.type_url });
      } catch (err) {
        result = { ok: false, reason: (err as Error).message };
      }
      if (result.ok) this.applied.set(name, version);
      else reasons.push(`${name}: ${result.reason ?? 'rejected'}`);
    }
    const nack = reasons.length > 0 ? reasons.join('; ') : undefined;
    if (nack === undefined) this.acceptedVersion = res.version_info;
    const reply = this.request({
      version_info: this.acceptedVersion,
      response_nonce: res.nonce,
      error_detail: nack === undefined ? undefined : { code: 3, message: nack },
    });
    return { reply, nonce: res.nonce, version: res.version_info, nack };
  }

  private request(fields: Record<string, unknown>): Buffer {
    return encode('envoy.service.discovery.v3.DiscoveryRequest', {
      type_url: this.options.typeUrl,
      resource_names: [...this.options.resourceNames],
      ...fields,
    });
  }
}
