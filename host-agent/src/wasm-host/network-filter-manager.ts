// One TCP connection through the Wasm network filter, as Envoy's Context drives it as a read
// and write filter in front of tcp_proxy (context.cc onNewConnection/onData/onWrite/onEvent):
// - proxy_on_new_connection runs first; a stop there still lets data callbacks run;
// - each direction keeps the bytes the filter has not let through (Envoy leaves them in the
//   connection buffer): a callback sees everything held so far (data_size grows while paused);
//   Continue hands all of it on, with end of stream if it was seen;
// - continue_stream(DOWNSTREAM) hands the held downstream bytes on after the callback returns;
//   continue_stream(UPSTREAM) is Unimplemented in Envoy, so held upstream bytes move only when
//   the next upstream callback continues; close_stream closes that side (after the callback);
// - end of stream in upstream data reports proxy_on_upstream_connection_close(UNKNOWN), which
//   is how Envoy learns the upstream closed;
// - the downstream closing runs proxy_on_downstream_connection_close(peer) and then
//   proxy_on_done, proxy_on_log, proxy_on_delete (Envoy's onCloseTCP), once;
// - with a failed VM, CHECK_FAIL_NET: fail open continues, fail closed closes both sides.

import type { NetworkFilterStream, NetworkStreamSink } from './api.js';
import { ByteBuffer, EMPTY_WASM_BUFFER, MutableWasmBuffer, type WasmBuffer } from './buffers.js';
import { ContextBase, type RootContext } from './context.js';
import type { StreamInfoState } from './properties.js';
import { BufferType, NetworkStatus, PeerType, StreamType, WasmResult } from './status.js';

export interface NetworkFilterManagerOptions {
  root: RootContext;
  sink: NetworkStreamSink;
  streamInfo: StreamInfoState;
  onEnded: () => void;
}

const PEER = { local: PeerType.Local, remote: PeerType.Remote } as const;

export class NetworkFilterManager extends ContextBase implements NetworkFilterStream {
  private readonly rootContext: RootContext;
  private readonly sink: NetworkStreamSink;
  private readonly info: StreamInfoState;
  private readonly onEnded: () => void;
  /** Envoy's network_downstream_data_buffer_ / network_upstream_data_buffer_. */
  private downstreamData: ByteBuffer | null = null;
  private upstreamData: ByteBuffer | null = null;
  private readonly heldDown = ByteBuffer.empty();
  private readonly heldUp = ByteBuffer.empty();
  private downEos = false;
  private upEos = false;
  private downstreamClosed = false;
  private upstreamClosed = false;
  private tcpClosed = false;
  private streamFailed = false;

  constructor(o: NetworkFilterManagerOptions) {
    const vm = o.root.vm;
    super(vm, vm.failed ? 0 : vm.allocContextId());
    this.rootContext = o.root;
    this.sink = o.sink;
    this.info = o.streamInfo;
    this.onEnded = o.onEnded;
    if (this.id !== 0) vm.register(this);
  }

  get root(): RootContext {
    return this.rootContext;
  }

  override streamInfo(): StreamInfoState {
    return this.info;
  }

  // --- CHECK_FAIL_NET ---

  private checkFail(): NetworkStatus | undefined {
    if (!this.vm.failed) return undefined;
    const counters = this.rootContext.pluginConfig?.counters;
    if (this.rootContext.pluginConfig?.failurePolicy === 'open') {
      if (!this.streamFailed && counters) counters.streamsFailedOpen++;
      this.streamFailed = true;
      return NetworkStatus.Continue;
    }
    if (!this.streamFailed) {
      this.streamFailed = true;
      if (counters) counters.streamsFailedClosed++;
      this.sink.close('downstream', 'wasm_fail_stream');
      this.sink.close('upstream', 'wasm_fail_stream');
    }
    return NetworkStatus.StopIteration;
  }

  private dataCallback(name: string, fn: ((...a: number[]) => number | undefined) | undefined, size: number, eos: boolean): NetworkStatus {
    const failed = this.checkFail();
    if (failed !== undefined) return failed;
    if (!fn) return NetworkStatus.Continue;
    return this.vm.deferAfter(() => {
      const r = this.vm.call(this, name, fn, this.id, size, eos ? 1 : 0);
      const after = this.checkFail();
      if (after !== undefined) return after;
      return r === 0 ? NetworkStatus.Continue : NetworkStatus.StopIteration;
    });
  }

  // --- NetworkFilterStream ---

  onNewConnection(): void {
    this.onCreate(this.rootContext.id);
    const failed = this.checkFail();
    if (failed !== undefined) return;
    const fn = this.vm.fns.on_new_connection;
    if (!fn) return;
    this.vm.deferAfter(() => {
      this.vm.call(this, 'proxy_on_new_connection', fn, this.id);
      this.checkFail();
    });
  }

  onDownstreamData(data: Uint8Array, endStream: boolean): void {
    if (this.tcpClosed) return;
    this.info.bytesReceived += data.byteLength;
    this.heldDown.append(data);
    if (endStream) this.downEos = true;
    if (!this.inVmContextCreated) return this.flushDownstream();
    this.downstreamData = this.heldDown;
    const r = this.dataCallback('proxy_on_downstream_data', this.vm.fns.on_downstream_data, this.heldDown.length, endStream);
    if (r === NetworkStatus.Continue) {
      this.downstreamData = null;
      this.flushDownstream();
    }
  }

  onUpstreamData(data: Uint8Array, endStream: boolean): void {
    if (this.tcpClosed) return;
    this.info.bytesSent += data.byteLength;
    this.heldUp.append(data);
    if (endStream) this.upEos = true;
    if (!this.inVmContextCreated) return this.flushUpstream();
    this.upstreamData = this.heldUp;
    const r = this.dataCallback('proxy_on_upstream_data', this.vm.fns.on_upstream_data, this.heldUp.length, endStream);
    if (r === NetworkStatus.Continue) {
      this.upstreamData = null;
      this.flushUpstream();
    }
    if (endStream) this.upstreamClose(PeerType.Unknown);
  }

  onDownstreamClose(peer: 'local' | 'remote'): void {
    if (!this.inVmContextCreated || this.downstreamClosed) return;
    const fn = this.vm.fns.on_downstream_connection_close;
    if (!this.vm.failed && fn) {
      this.vm.deferAfter(() => this.vm.call(this, 'proxy_on_downstream_connection_close', fn, this.id, PEER[peer]));
    }
    this.downstreamClosed = true;
    this.onCloseTcp();
  }

  onUpstreamClose(peer: 'local' | 'remote'): void {
    this.upstreamClose(PEER[peer]);
  }

  private upstreamClose(peer: PeerType): void {
    if (!this.inVmContextCreated || this.upstreamClosed) return;
    const fn = this.vm.fns.on_upstream_connection_close;
    if (!this.vm.failed && fn) {
      this.vm.deferAfter(() => this.vm.call(this, 'proxy_on_upstream_connection_close', fn, this.id, peer));
    }
    this.upstreamClosed = true;
    if (this.downstreamClosed) this.onCloseTcp();
  }

  /** Envoy's onCloseTCP: on_done, on_log, on_delete. */
  private onCloseTcp(): void {
    if (this.tcpClosed || !this.inVmContextCreated) return;
    this.tcpClosed = true;
    this.info.completedMonotonicNs = process.hrtime.bigint();
    try {
      this.onDone();
      this.onLog();
      this.onDelete();
    } finally {
      this.vm.unregister(this);
      this.onEnded();
    }
  }

  private flushDownstream(): void {
    const bytes = this.heldDown.take();
    if (bytes.byteLength > 0 || this.downEos) this.sink.upstreamWrite(bytes, this.downEos);
  }

  private flushUpstream(): void {
    const bytes = this.heldUp.take();
    if (bytes.byteLength > 0 || this.upEos) this.sink.downstreamWrite(bytes, this.upEos);
  }

  // --- what the module reaches ---

  override getBuffer(type: BufferType): WasmBuffer | null {
    if (type === BufferType.DownstreamData) return this.downstreamData ? new MutableWasmBuffer(this.downstreamData) : EMPTY_WASM_BUFFER;
    if (type === BufferType.UpstreamData) return this.upstreamData ? new MutableWasmBuffer(this.upstreamData) : EMPTY_WASM_BUFFER;
    return super.getBuffer(type);
  }

  override continueStream(type: StreamType): WasmResult {
    switch (type) {
      case StreamType.Downstream:
        this.vm.addAfterVmCallAction(() => {
          if (!this.tcpClosed) this.flushDownstream();
        });
        return WasmResult.Ok;
      case StreamType.Upstream:
        return WasmResult.Unimplemented;
      default:
        return WasmResult.Ok;
    }
  }

  override closeStream(type: StreamType): WasmResult {
    if (type === StreamType.Downstream) this.vm.addAfterVmCallAction(() => this.sink.close('downstream', 'wasm_downstream_close'));
    else if (type === StreamType.Upstream) this.vm.addAfterVmCallAction(() => this.sink.close('upstream', 'wasm_upstream_close'));
    return WasmResult.Ok;
  }
}
