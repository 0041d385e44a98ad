// A bare xDS client for conformance tests: it sends exactly the requests a test writes and
// queues the responses, so each protocol rule can be driven step by step. "Nothing was sent" is
// shown without waiting: barrier() asks for a fresh probe type on the same ADS stream, and since
// a stream's responses arrive in order, the probe's answer coming first proves nothing else came.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  discoveryCodecs,
  METHOD,
  type DeltaDiscoveryRequestMsg,
  type DeltaDiscoveryResponseMsg,
  type DiscoveryRequestMsg,
  type DiscoveryResponseMsg,
  type NodeMsg,
} from '../../../src/xds/index.js';

export const PROBE_PREFIX = 'type.googleapis.com/meshward.test.Probe';

export interface RawClientTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

type Kind = 'sotw' | 'delta';

export class RawStream<Req, Res extends { type_url: string; nonce: string }> {
  private readonly queue: Res[] = [];
  private waiter: ((r: Res) => void) | undefined;
  private probes = 0;
  readonly ended: Promise<grpc.StatusObject>;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Req, Res>;

  constructor(
    address: string,
    private readonly kind: Kind,
    method: string,
    tls?: RawClientTls,
  ) {
    const codecs = discoveryCodecs();
    const req = kind === 'sotw' ? codecs.request : codecs.deltaRequest;
    const res = kind === 'sotw' ? codecs.response : codecs.deltaResponse;
    const creds = tls ? grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null) : grpc.credentials.createInsecure();
    this.client = new grpc.Client(address, creds, { 'grpc.use_local_subchannel_pool': 1, ...(tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {}) });
    this.call = this.client.makeBidiStreamRequest(method, req.encode as unknown as (r: Req) => Buffer, res.decode as unknown as (b: Buffer) => Res);
    this.call.on('data', (r: Res) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(r);
      } else this.queue.push(r);
    });
    this.call.on('error', () => {});
    this.ended = new Promise((resolve) => this.call.on('status', resolve));
  }

  static sotw(address: string, service: 'ads' | 'ecds' = 'ads', tls?: RawClientTls): RawStream<Partial<DiscoveryRequestMsg>, DiscoveryResponseMsg> {
    return new RawStream(address, 'sotw', service === 'ads' ? METHOD.adsSotw : METHOD.ecdsSotw, tls);
  }

  static delta(address: string, service: 'ads' | 'ecds' = 'ads', tls?: RawClientTls): RawStream<Partial<DeltaDiscoveryRequestMsg>, DeltaDiscoveryResponseMsg> {
    return new RawStream(address, 'delta', service === 'ads' ? METHOD.adsDelta : METHOD.ecdsDelta, tls);
  }

  send(request: Req): void {
    this.call.write(request);
  }

  /** The next response (in arrival order). */
  next(timeoutMs = 5000): Promise<Res> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.ended.then((s) => {
        if (this.waiter) {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(new Error(`stream ended: ${grpc.status[s.code]} ${s.details}`));
        }
      });
    });
  }

  /** Proves the server sent nothing since the last response read: the next response must be
   * the answer to a probe sent now. */
  async expectNothing(what = 'the server sent a response'): Promise<void> {
    const typeUrl = `${PROBE_PREFIX}${++this.probes}`;
    if (this.kind === 'sotw') {
      (this.call as unknown as grpc.ClientDuplexStream<Partial<DiscoveryRequestMsg>, unknown>).write({ type_url: typeUrl, resource_names: ['probe'] });
    } else {
      (this.call as unknown as grpc.ClientDuplexStream<Partial<DeltaDiscoveryRequestMsg>, unknown>).write({ type_url: typeUrl, resource_names_subscribe: ['probe'] });
    }
    const r = await this.next();
    assert.equal(r.type_url, typeUrl, `${what}: expected nothing before the probe, got a ${r.type_url} response`);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** An Istio-shaped node for workload ns/name. */
export function nodeFor(namespace: string, name: string, id = `sidecar~10.0.0.1~${name}-pod.${namespace}~${namespace}.svc.cluster.local`): NodeMsg {
  return {
    id,
    cluster: `${name}.${namespace}`,
    metadata: { fields: { NAMESPACE: { stringValue: namespace }, WORKLOAD_NAME: { stringValue: name } } },
  };
}

export function agentNodeFor(node: string): NodeMsg {
  return { id: `agent~${node}`, metadata: { fields: { MESHWARD_ROLE: { stringValue: 'agent' }, NODE_NAME: { stringValue: node } } } };
}

export type SotwStream = RawStream<Partial<DiscoveryRequestMsg>, DiscoveryResponseMsg>;
export type DeltaStream = RawStream<Partial<DeltaDiscoveryRequestMsg>, DeltaDiscoveryResponseMsg>;
