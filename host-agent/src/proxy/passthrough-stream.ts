// A filter stream with no filter: what the proxy runs with `--no-filter`, and the baseline the
// benchmark measures the filter against. It forwards every step unchanged.
import type { HeaderList, HttpFilterStream, HttpStreamSink } from '../wasm-host/api.js';

export class PassthroughStream implements HttpFilterStream {
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
