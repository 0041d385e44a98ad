// Encoders and decoders of the four discovery messages, and the gRPC method paths of the services
// that carry them. The server, and the test and benchmark clients, share these.
import type protobuf from 'protobufjs';
import type {
  DeltaDiscoveryRequestMsg,
  DeltaDiscoveryResponseMsg,
  DiscoveryRequestMsg,
  DiscoveryResponseMsg,
} from './messages.js';
import { messageType, xdsProtoRoot } from './proto-root.js';

export const METHOD = {
  adsSotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  adsDelta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
  ecdsSotw: '/envoy.service.extension.v3.ExtensionConfigDiscoveryService/StreamExtensionConfigs',
  ecdsDelta: '/envoy.service.extension.v3.ExtensionConfigDiscoveryService/DeltaExtensionConfigs',
  ecdsFetch: '/envoy.service.extension.v3.ExtensionConfigDiscoveryService/FetchExtensionConfigs',
} as const;

export interface MessageCodec<T> {
  encode(message: T): Buffer;
  decode(bytes: Buffer): T;
}

export interface DiscoveryCodecs {
  request: MessageCodec<DiscoveryRequestMsg>;
  response: MessageCodec<DiscoveryResponseMsg>;
  deltaRequest: MessageCodec<DeltaDiscoveryRequestMsg>;
  deltaResponse: MessageCodec<DeltaDiscoveryResponseMsg>;
}

function codec<T>(type: protobuf.Type): MessageCodec<T> {
  return {
    // Plain objects with the right field names encode directly; no fromObject pass needed.
    encode: (message: T): Buffer => {
      const bytes = type.encode(message as unknown as protobuf.Message).finish();
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode: (bytes: Buffer): T => type.decode(bytes) as unknown as T,
  };
}

let shared: DiscoveryCodecs | undefined;

export function discoveryCodecs(root: protobuf.Root = xdsProtoRoot()): DiscoveryCodecs {
  const make = (): DiscoveryCodecs => ({
    request: codec(messageType('envoy.service.discovery.v3.DiscoveryRequest', root)),
    response: codec(messageType('envoy.service.discovery.v3.DiscoveryResponse', root)),
    deltaRequest: codec(messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest', root)),
    deltaResponse: codec(messageType('envoy.service.discovery.v3.DeltaDiscoveryResponse', root)),
  });
  if (root !== xdsProtoRoot()) return make();
  shared ??= make();
  return shared;
}
