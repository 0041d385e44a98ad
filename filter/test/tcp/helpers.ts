// Drive TCP connections through the compiled filter in the proxy-wasm host: a network stream
// with a peer, chunks in either direction, and what the filter let through on each side.
import type { NetworkFilterStream, PropertyMap, WasmPluginNetwork } from '../../../host-agent/src/wasm-host/api.js';
import type { Filter } from '../helpers.js';

export interface TcpPeer {
  principal?: string;
  sourceAddress?: string;
  destinationPort?: number;
  properties?: PropertyMap;
}

export class TcpTap {
  readonly toUpstream: Buffer[] = [];
  readonly toDownstream: Buffer[] = [];
  readonly closed: string[] = [];
  upstreamEnded = false;
  downstreamEnded = false;
  stream!: NetworkFilterStream;

  get upstreamBytes(): Buffer {
    return Buffer.concat(this.toUpstream);
  }

  get downstreamBytes(): Buffer {
    return Buffer.concat(this.toDownstream);
  }

  client(data: Buffer | string, end = false): this {
    this.stream.onDownstreamData(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, end);
    return this;
  }

  server(data: Buffer | string, end = false): this {
    this.stream.onUpstreamData(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, end);
    return this;
  }

  close(): void {
    this.stream.onDownstreamClose('remote');
  }
}

export function connect(filter: Filter, peer: TcpPeer = {}): TcpTap {
  const tap = new TcpTap();
  const properties: PropertyMap = { ...(peer.properties ?? {}) };
  if (peer.principal) properties['meshward_peer.principal'] = { type: 'string', value: peer.principal };
  tap.stream = (filter.plugin as unknown as WasmPluginNetwork).createNetworkStream(
    {
      connection: {
        id: 7,
        sourceAddress: peer.sourceAddress ?? '10.0.0.9',
        sourcePort: 40001,
        destinationAddress: '10.0.0.3',
        destinationPort: peer.destinationPort ?? 5432,
      },
      properties,
    },
    {
      upstreamWrite: (data: Uint8Array, end: boolean) => {
        tap.toUpstream.push(Buffer.from(data));
        if (end) tap.upstreamEnded = true;
      },
      downstreamWrite: (data: Uint8Array, end: boolean) => {
        tap.toDownstream.push(Buffer.from(data));
        if (end) tap.downstreamEnded = true;
      },
      close: (side: string) => {
        tap.closed.push(side);
      },
    },
  );
  tap.stream.onNewConnection();
  return tap;
}
