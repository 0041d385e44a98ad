// The upstream cluster of `meshward proxy`: one URL, spoken to in HTTP/1.1 or HTTP/2.
// `auto` follows the downstream protocol (Envoy's USE_DOWNSTREAM_PROTOCOL), so gRPC clients
// reach gRPC servers over HTTP/2 and HTTP/1.1 clients reach plain servers over HTTP/1.1.
import type { HeaderList } from '../wasm-host/api.js';
import type { Upstream, UpstreamEvents, UpstreamRequest } from './exchange.js';
import { Http1Upstream } from './upstream-http1.js';
import { Http2Upstream } from './upstream-http2.js';

export type UpstreamProtocol = 'auto' | 'http1' | 'http2';

export class ClusterUpstream implements Upstream {
  private readonly h1: Http1Upstream;
  private readonly h2: Http2Upstream;

  constructor(
    url: string,
    private readonly protocol: UpstreamProtocol = 'auto',
  ) {
    const parsed = new URL(url);
    if (!['http:', 'https:'].includes(parsed.protocol)) {
      throw new Error(`upstream ${url}: scheme must be http or https`);
    }
    this.h1 = new Http1Upstream(parsed);
    this.h2 = new Http2Upstream(parsed);
  }

  start(headers: HeaderList, endStream: boolean, events: UpstreamEvents, downstreamProtocol: string): UpstreamRequest {
    const useH2 = this.protocol === 'http2' || (this.protocol === 'auto' && downstreamProtocol === 'HTTP/2');
    return useH2 ? this.h2.start(headers, endStream, events) : this.h1.start(headers, endStream, events);
  }

  async close(): Promise<void> {
    await Promise.all([this.h1.close(), this.h2.close()]);
  }
}
