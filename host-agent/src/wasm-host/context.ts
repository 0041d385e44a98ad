// Contexts, as proxy-wasm-cpp-host's ContextBase and Envoy's Context see them: the object a host
// call acts on, and the owner of the calls into the module for one root or stream.
//
// ContextBase holds what every context answers (maps, buffers, properties, stream operations)
// with the answers Envoy gives when the context has no HTTP or network stream attached; the HTTP
// and TCP contexts override what their stream provides. RootContext adds the plugin's state:
// the configuration visible in proxy_on_configure, http_call / gRPC responses visible in their
// callbacks, ticks, and the on_done / proxy_done handshake.

import type { FailurePolicy, HttpCallCluster, PropertyValue } from './api.js';
import { ConstWasmBuffer, EMPTY_WASM_BUFFER, type WasmBuffer } from './buffers.js';
import type { HeaderList } from './api.js';
import type { HeaderMap } from './header-map.js';
import { getProperty, setProperty, type PropertyEnv, type StreamInfoState } from './properties.js';
import { BufferType, MapType, StreamType, WasmResult } from './status.js';
import type { WasmVm } from './vm.js';
import type { HttpCallManager } from './http-call.js';
import type { GrpcCallManager } from './grpc-call.js';

/** Counters of one plugin handle (shared by the root contexts a reconfigure creates). */
export interface PluginCounters {
  streamsFailedOpen: number;
  streamsFailedClosed: number;
  configureRejected: number;
  httpCallsStarted: number;
  httpCallsFailed: number;
  bufferOverflows: number;
  activeStreams: number;
}

/** One plugin configuration, as Envoy's PluginBase: fixed for the life of a root context. */
export interface PluginConfig {
  name: string;
  rootId: string;
  configuration: Uint8Array;
  failurePolicy: FailurePolicy;
  clusters: Record<string, HttpCallCluster>;
  nodeId?: string;
  nodeMetadata?: Record<string, PropertyValue>;
  bufferLimitBytes: number;
  counters: PluginCounters;
}

export abstract class ContextBase {
  /** proxy_on_context_create ran (or the module has no such callback). */
  inVmContextCreated = false;
  /** Envoy's access_log_phase_: set while proxy_on_log runs. */
  accessLogPhase = false;

  constructor(
    readonly vm: WasmVm,
    readonly id: number,
  ) {}

  /** The root context (itself for a root context). */
  abstract get root(): RootContext;

  get isRoot(): boolean {
    return this.root === (this as ContextBase);
  }

  get plugin(): PluginConfig | null {
    return this.root.pluginConfig;
  }

  // --- header maps ---

  /** The map a filter may modify now, or null (Envoy's getMap). */
  getMap(_type: MapType): HeaderMap | null {
    return null;
  }

  /** The map a filter may read now, or null (Envoy's getConstMap). */
  getConstMap(type: MapType): HeaderMap | null {
    const root = this.root;
    switch (type) {
      case MapType.GrpcReceiveInitialMetadata:
        return root.grpcInitialMetadata;
      case MapType.GrpcReceiveTrailingMetadata:
        return root.grpcTrailingMetadata;
      case MapType.HttpCallResponseHeaders:
        return root.httpCallResponse?.headers ?? null;
      case MapType.HttpCallResponseTrailers:
        return root.httpCallResponse?.trailers ?? null;
      default:
        return null;
    }
  }

  // --- buffers ---

  /** The buffer of `type` in this phase, or null when Envoy answers NotFound. */
  getBuffer(type: BufferType): WasmBuffer | null {
    const root = this.root;
    switch (type) {
      case BufferType.VmConfiguration:
        // Spec: readable in proxy_on_vm_start. (Envoy itself serves it in any callback.)
        return root.vmConfigurationReadable ? new ConstWasmBuffer(this.vm.vmConfiguration) : null;
      case BufferType.PluginConfiguration:
        return root.tempConfiguration ? new ConstWasmBuffer(root.tempConfiguration) : null;
      case BufferType.HttpCallResponseBody:
        return root.httpCallResponse ? new ConstWasmBuffer(root.httpCallResponse.body) : null;
      case BufferType.GrpcReceiveBuffer:
        return root.grpcReceiveBuffer ? new ConstWasmBuffer(root.grpcReceiveBuffer) : EMPTY_WASM_BUFFER;
      case BufferType.CallData:
        // Arguments of proxy_on_foreign_function, which Envoy never calls: always empty.
        return EMPTY_WASM_BUFFER;
      default:
        // Body and data buffers of a stream this context does not have: Envoy hands out an
        // empty, read-only buffer rather than NotFound.
        return EMPTY_WASM_BUFFER;
    }
  }

  // --- properties ---

  streamInfo(): StreamInfoState | undefined {
    return undefined;
  }

  propertyEnv(): PropertyEnv {
    const p = this.plugin;
    return {
      vmId: this.vm.vmId,
      plugin: p
        ? { name: p.name, rootId: p.rootId, vmId: this.vm.vmId, nodeId: p.nodeId, nodeMetadata: p.nodeMetadata }
        : undefined,
      stream: this.streamInfo(),
    };
  }

  getProperty(path: Uint8Array): { result: WasmResult; value?: Uint8Array } {
    return getProperty(this.propertyEnv(), path);
  }

  setProperty(path: Uint8Array, value: Uint8Array): WasmResult {
    return setProperty(this.streamInfo(), path, value);
  }

  // --- stream operations (Envoy's answers when no stream callbacks are attached) ---

  continueStream(type: StreamType): WasmResult {
    return type === StreamType.Upstream ? WasmResult.Unimplemented : WasmResult.Ok;
  }

  closeStream(_type: StreamType): WasmResult {
    return WasmResult.Ok;
  }

  sendLocalResponse(_code: number, _body: Uint8Array, _headers: HeaderList, _grpcStatus: number, _details: string): WasmResult {
    return WasmResult.Ok;
  }

  /** The log line prefix Envoy adds: plugin name, root id, vm id. */
  logFields(): Record<string, unknown> {
    const p = this.plugin;
    return { plugin: p?.name, rootId: p?.rootId, vmId: this.vm.vmId, contextId: this.id };
  }

  /** proxy_on_context_create for a stream context, once (Envoy's onCreate). */
  onCreate(parentId: number): void {
    const vm = this.vm;
    if (!vm.failed && !this.inVmContextCreated && vm.fns.on_context_create) {
      const f = vm.fns.on_context_create;
      vm.deferAfter(() => vm.call(this, 'proxy_on_context_create', f, this.id, parentId));
    }
    this.inVmContextCreated = true;
  }

  /** proxy_on_done; true when the context may be deleted now. */
  onDone(): boolean {
    const vm = this.vm;
    const f = vm.fns.on_done;
    if (!vm.failed && f) {
      return vm.deferAfter(() => {
        const r = vm.call(this, 'proxy_on_done', f, this.id);
        return r === undefined ? true : r !== 0;
      });
    }
    return true;
  }

  onLog(): void {
    const vm = this.vm;
    const f = vm.fns.on_log;
    if (!vm.failed && f) vm.deferAfter(() => vm.call(this, 'proxy_on_log', f, this.id));
  }

  onDelete(): void {
    const vm = this.vm;
    const f = vm.fns.on_delete;
    if (this.inVmContextCreated && !vm.failed && f) vm.deferAfter(() => vm.call(this, 'proxy_on_delete', f, this.id));
  }
}

export interface HttpCallResponseView {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap | null;
}

/**
 * active: serves new streams; retired: replaced by a reconfigure, waiting for its streams;
 * pending-done: on_done said "not yet", waiting for proxy_done; deleted-pending: proxy_done was
 * called, on_delete runs after the current callback; deleted: gone.
 */
export type RootState = 'active' | 'retired' | 'pending-done' | 'deleted-pending' | 'deleted';

export class RootContext extends ContextBase {
  /** Set while proxy_on_context_create (of a root) and proxy_on_configure run. */
  tempConfiguration: Uint8Array | null = null;
  vmConfigurationReadable = false;
  httpCallResponse: HttpCallResponseView | null = null;
  grpcInitialMetadata: HeaderMap | null = null;
  grpcTrailingMetadata: HeaderMap | null = null;
  grpcReceiveBuffer: Uint8Array | null = null;
  /** What proxy_get_status answers. */
  statusCode = 0;
  statusMessage = '';
  state: RootState = 'active';
  /** Streams created under this root that have not ended. */
  activeStreams = 0;
  httpCalls: HttpCallManager | null = null;
  grpcCalls: GrpcCallManager | null = null;
  /** Resolves when the root has been deleted (after on_done, or proxy_done). */
  deleted: Promise<void>;
  private resolveDeleted!: () => void;

  constructor(
    vm: WasmVm,
    id: number,
    readonly pluginConfig: PluginConfig | null,
  ) {
    super(vm, id);
    this.deleted = new Promise((resolve) => (this.resolveDeleted = resolve));
  }

  get root(): RootContext {
    return this;
  }

  /** cpp-host onStart: proxy_on_context_create(id, 0), then proxy_on_vm_start. */
  onStart(): boolean {
    const vm = this.vm;
    return vm.deferAfter(() => {
      let ok = true;
      const create = vm.fns.on_context_create;
      if (create) {
        this.tempConfiguration = this.pluginConfig?.configuration ?? null;
        vm.call(this, 'proxy_on_context_create', create, this.id, 0);
        this.inVmContextCreated = true;
        this.tempConfiguration = null;
      }
      const start = vm.fns.on_vm_start;
      if (start && !vm.failed) {
        this.vmConfigurationReadable = true;
        const r = vm.call(this, 'proxy_on_vm_start', start, this.id, vm.vmConfiguration.byteLength);
        this.vmConfigurationReadable = false;
        ok = r !== undefined && r !== 0;
      }
      return ok && !vm.failed;
    });
  }

  /** cpp-host onConfigure: proxy_on_configure with the plugin configuration readable. */
  onConfigure(): boolean {
    const vm = this.vm;
    if (vm.failed) return false;
    if (!this.inVmContextCreated && vm.fns.on_context_create) {
      const create = vm.fns.on_context_create;
      vm.deferAfter(() => vm.call(this, 'proxy_on_context_create', create, this.id, 0));
    }
    this.inVmContextCreated = true;
    const f = vm.fns.on_configure;
    if (!f) return true;
    return vm.deferAfter(() => {
      this.tempConfiguration = this.pluginConfig?.configuration ?? new Uint8Array(0);
      const r = vm.call(this, 'proxy_on_configure', f, this.id, this.tempConfiguration.byteLength);
      this.tempConfiguration = null;
      return r !== undefined && r !== 0 && !vm.failed;
    });
  }

  onTick(): void {
    const vm = this.vm;
    const f = vm.fns.on_tick;
    if (!vm.failed && f) vm.deferAfter(() => vm.call(this, 'proxy_on_tick', f, this.id));
  }

  onQueueReady(token: number): void {
    const vm = this.vm;
    const f = vm.fns.on_queue_ready;
    if (!vm.failed && f) vm.deferAfter(() => vm.call(this, 'proxy_on_queue_ready', f, this.id, token));
  }

  onHttpCallResponse(token: number, response: HttpCallResponseView | null, status: { code: number; message: string }): void {
    const vm = this.vm;
    const f = vm.fns.on_http_call_response;
    if (vm.failed || !f) return;
    vm.deferAfter(() => {
      this.httpCallResponse = response;
      this.statusCode = status.code;
      this.statusMessage = status.message;
      // Envoy clears the response and status only after the callback's deferred actions ran.
      vm.addAfterVmCallAction(() => {
        this.httpCallResponse = null;
        this.statusMessage = '';
      });
      vm.call(
        this,
        'proxy_on_http_call_response',
        f,
        this.id,
        token,
        response ? response.headers.size : 0,
        response ? response.body.byteLength : 0,
        response?.trailers ? response.trailers.size : 0,
      );
    });
  }

  markDeleted(): void {
    if (this.state === 'deleted') return;
    this.state = 'deleted';
    this.vm.clearTimer(this.id);
    this.httpCalls?.cancelAll();
    this.grpcCalls?.cancelAll();
    this.vm.contexts.delete(this.id);
    this.resolveDeleted();
  }
}
