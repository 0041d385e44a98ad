// Streams without the filter: what Envoy does for new streams when the VM has failed and the
// plugin fails open (the filter is left out of the chain). Everything goes straight to the sink.

import type { HeaderList, HttpFilterStream, HttpStreamSink, NetworkFilterStream, NetworkStreamSink } from './api.js';

export class PassThroughHttpStream implements HttpFilterStream {
  constructor(private readonly sink: HttpStreamSink) {}
  decodeHeaders(headers: HeaderList, endStream: boolean): void {
    this.sink.requestHeaders(headers, endStream);
  }
  decodeData(data: Uint8Array, endStream: boolean): void {
    this.sink.requestData(data, endStream);
  }
  decodeTrailers(trailers: HeaderList): void {
    this.sink.requestTrailers(trailers);
  }
  encodeHeaders(headers: HeaderList, endStream: boolean): void {
    this.sink.responseHeaders(headers, endStream);
  }
  encodeData(data: Uint8Array, endStream: boolean): void {
    this.sink.responseData(data, endStream);
  }
  encodeTrailers(trailers: HeaderList): void {
    this.sink.responseTrailers(trailers);
  }
  onReset(): void {}
  complete(): void {}
}

export class PassThroughNetworkStream implements NetworkFilterStream {
  constructor(private readonly sink: NetworkStreamSink) {}
  onNewConnection(): void {}
  onDownstreamData(data: Uint8Array, endStream: boolean): void {
    this.sink.upstreamWrite(data, endStream);
  }
  onUpstreamData(data: Uint8Array, endStream: boolean): void {
    this.sink.downstreamWrite(data, endStream);
  }
  onDownstreamClose(): void {}
  onUpstreamClose(): void {}
}
