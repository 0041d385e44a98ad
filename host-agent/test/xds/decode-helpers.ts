// Test access to the client's encoders.
import { encode } from '../../src/xds/proto.js';
import { nodeMessage, type NodeDescription } from '../../src/xds/node.js';
export { decodeFilterConfig } from '../../src/xds/index.js';

/** A DiscoveryRequest carrying the node, encoded as the client encodes it. */
export function nodeMessageForTest(node: NodeDescription): Buffer {
  return encode('envoy.service.discovery.v3.DiscoveryRequest', { node: nodeMessage(node), type_url: 't' });
}
