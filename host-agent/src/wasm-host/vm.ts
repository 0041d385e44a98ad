// One instance of a proxy-wasm module: what proxy-wasm-cpp-host's WasmBase and Envoy's Wasm do.
//
// - Loading: the module's ABI marker picks the host functions registered (0.2.0 lacks
//   proxy_get_log_level); an import the host does not provide, or with another signature, fails
//   the load with the name of the import, as V8 does in Envoy; a callback exported with the
//   wrong signature fails it too ("Bad function signature for: ...").
// - Starting: _initialize (then main(0, 0) or __main_void) or _start runs with only the host
//   calls cpp-host allows at that point (logging, clocks, random, environment, args, WASI stubs);
//   any other call traps ("restricted_callback").
// - Calling: every call into the module runs with a current context (cpp-host's
//   SaveRestoreContext); a trap or a host-side exception fails the VM for good, logged with the
//   stack; "after VM call" actions (continue, local reply, reset, proxy_done) queue during the
//   call and run when the outermost callback method returns (DeferAfterCallActions).
// - Memory returned to the module is allocated with its `malloc` export, else
//   `proxy_on_memory_allocate` (cpp-host looks for malloc first).

import type { HeaderList, HostLogger, LogLevel } from './api.js';
import { RootContext, type ContextBase } from './context.js';
import { WasmHostError, describeThrown } from './errors.js';
import { GrpcCallManager } from './grpc-call.js';
import { proxyHostFunctions, type HostFunctionDef } from './host-functions.js';
import { HttpCallManager } from './http-call.js';
import { GuestMemory } from './memory.js';
import { MetricIds, type MetricStore } from './metrics.js';
import { formatFuncType, sameFuncType, sig, type FuncType, type ModuleInfo } from './module-inspect.js';
import { sharedData } from './shared-data.js';
import { sharedQueues, type QueueOwner } from './shared-queue.js';
import { FailState, WasmResult } from './status.js';
import { acquireVmId, onLastVmIdReleased, releaseVmId } from './vm-id.js';
import { wasiHostFunctions } from './wasi.js';
import { WA, isWasmMemory, type WasmImports, type WasmMemory, type WasmModule } from './wasm-types.js';

onLastVmIdReleased((vmId) => {
  sharedData.deleteVmId(vmId);
  sharedQueues.deleteVmId(vmId);
});

export type AbiVersion = '0.2.0' | '0.2.1';
export type WasmFn = (...args: number[]) => number | undefined;

/** The module's callbacks the host looks up (cpp-host getFunctions), by their short name. */
export interface GuestFunctions {
  malloc?: WasmFn;
  _initialize?: WasmFn;
  _start?: WasmFn;
  main?: WasmFn;
  __main_void?: WasmFn;
  on_vm_start?: WasmFn;
  validate_configuration?: WasmFn;
  on_configure?: WasmFn;
  on_tick?: WasmFn;
  on_context_create?: WasmFn;
  on_new_connection?: WasmFn;
  on_downstream_data?: WasmFn;
  on_upstream_data?: WasmFn;
  on_downstream_connection_close?: WasmFn;
  on_upstream_connection_close?: WasmFn;
  on_request_headers?: WasmFn;
  on_request_body?: WasmFn;
  on_request_trailers?: WasmFn;
  on_request_metadata?: WasmFn;
  on_response_headers?: WasmFn;
  on_response_body?: WasmFn;
  on_response_trailers?: WasmFn;
  on_response_metadata?: WasmFn;
  on_http_call_response?: WasmFn;
  on_grpc_receive?: WasmFn;
  on_grpc_close?: WasmFn;
  on_grpc_receive_initial_metadata?: WasmFn;
  on_grpc_receive_trailing_metadata?: WasmFn;
  on_queue_ready?: WasmFn;
  on_done?: WasmFn;
  on_log?: WasmFn;
  on_delete?: WasmFn;
  on_foreign_function?: WasmFn;
}

/** Export name -> [short name, expected signature] (cpp-host's typed getFunction). */
const MODULE_FUNCTIONS: Array<[string, keyof GuestFunctions, string]> = [
  ['_initialize', '_initialize', ':'],
  ['_start', '_start', ':'],
  ['main', 'main', 'ii:i'],
  ['__main_void', '__main_void', ':i'],
  ['malloc', 'malloc', 'i:i'],
  ['proxy_on_memory_allocate', 'malloc', 'i:i'],
  ['proxy_validate_configuration', 'validate_configuration', 'ii:i'],
  ['proxy_on_vm_start', 'on_vm_start', 'ii:i'],
  ['proxy_on_configure', 'on_configure', 'ii:i'],
  ['proxy_on_tick', 'on_tick', 'i:'],
  ['proxy_on_context_create', 'on_context_create', 'ii:'],
  ['proxy_on_new_connection', 'on_new_connection', 'i:i'],
  ['proxy_on_downstream_data', 'on_downstream_data', 'iii:i'],
  ['proxy_on_upstream_data', 'on_upstream_data', 'iii:i'],
  ['proxy_on_downstream_connection_close', 'on_downstream_connection_close', 'ii:'],
  ['proxy_on_upstream_connection_close', 'on_upstream_connection_close', 'ii:'],
  ['proxy_on_request_headers', 'on_request_headers', 'iii:i'],
  ['proxy_on_request_body', 'on_request_body', 'iii:i'],
  ['proxy_on_request_trailers', 'on_request_trailers', 'ii:i'],
  ['proxy_on_request_metadata', 'on_request_metadata', 'ii:i'],
  ['proxy_on_response_headers', 'on_response_headers', 'iii:i'],
  ['proxy_on_response_body', 'on_response_body', 'iii:i'],
  ['proxy_on_response_trailers', 'on_response_trailers', 'ii:i'],
  ['proxy_on_response_metadata', 'on_response_metadata', 'ii:i'],
  ['proxy_on_http_call_response', 'on_http_call_response', 'iiiii:'],
  ['proxy_on_grpc_receive', 'on_grpc_receive', 'iii:'],
  ['proxy_on_grpc_close', 'on_grpc_close', 'iii:'],
  ['proxy_on_grpc_receive_initial_metadata', 'on_grpc_receive_initial_metadata', 'iii:'],
  ['proxy_on_grpc_receive_trailing_metadata', 'on_grpc_receive_trailing_metadata', 'iii:'],
  ['proxy_on_queue_ready', 'on_queue_ready', 'ii:'],
  ['proxy_on_done', 'on_done', 'i:i'],
  ['proxy_on_log', 'on_log', 'i:'],
  ['proxy_on_delete', 'on_delete', 'i:'],
  ['proxy_on_foreign_function', 'on_foreign_function', 'iii:'],
];

/** Host calls allowed while the module initializes (cpp-host startVm). */
const START_ALLOWED = new Set<string>([
  'env.emscripten_notify_memory_growth',
  'env.proxy_log',
  ...[
    'fd_write', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'clock_time_get',
    'clock_res_get', 'random_get', 'poll_oneoff', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_advise',
    'fd_allocate', 'fd_datasync', 'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size',
    'fd_filestat_set_times', 'fd_pread', 'fd_prestat_dir_name', 'fd_prestat_get', 'fd_pwrite', 'fd_readdir',
    'fd_renumber', 'fd_sync', 'fd_tell', 'path_create_directory', 'path_filestat_get',
    'path_filestat_set_times', 'path_link', 'path_readlink', 'path_remove_directory', 'path_rename',
    'path_symlink', 'path_unlink_file', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
  ].flatMap((n) => [`wasi_unstable.${n}`, `wasi_snapshot_preview1.${n}`]),
]);

/** Host calls allowed while the module's allocator runs (cpp-host allocMemory). */
const ALLOC_ALLOWED = new Set<string>([
  'env.proxy_log',
  'wasi_unstable.fd_write',
  'wasi_snapshot_preview1.fd_write',
  'wasi_unstable.clock_time_get',
  'wasi_snapshot_preview1.clock_time_get',
  'wasi_unstable.poll_oneoff',
  'wasi_snapshot_preview1.poll_oneoff',
]);

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
export const logLevelNumber = (l: LogLevel): number => LEVELS.indexOf(l);

export interface VmInit {
  module: WasmModule;
  info: ModuleInfo | null;
  abi: AbiVersion;
  vmId: string;
  vmConfiguration: Uint8Array;
  environment: Array<[string, string]>;
  logger: HostLogger;
  logLevel: LogLevel;
  metrics: MetricStore;
}

/** Finds the ABI marker as cpp-host does: the first proxy_abi_version_* function export. */
export function detectAbi(exports: Array<{ name: string; kind: string }>): AbiVersion {
  for (const e of exports) {
    if (e.kind !== 'function') continue;
    if (e.name === 'proxy_abi_version_0_2_1') return '0.2.1';
    if (e.name === 'proxy_abi_version_0_2_0') return '0.2.0';
    if (e.name === 'proxy_abi_version_0_1_0') {
      throw new WasmHostError(
        'WASM_ABI_VERSION',
        'the module targets proxy-wasm ABI 0.1.0 (it exports proxy_abi_version_0_1_0); this host supports 0.2.0 and 0.2.1: rebuild it with a current SDK',
      );
    }
  }
  throw new WasmHostError(
    'WASM_ABI_VERSION',
    'missing or unknown proxy-wasm ABI version: the module exports none of proxy_abi_version_0_2_1 / proxy_abi_version_0_2_0 (Envoy refuses such a module)',
  );
}

export class WasmVm implements QueueOwner {
  readonly vmId: string;
  readonly abi: AbiVersion;
  readonly vmConfiguration: Uint8Array;
  readonly environment: Array<[string, string]>;
  readonly logger: HostLogger;
  readonly logLevel: number;
  readonly metrics: MetricStore;
  readonly metricIds: MetricIds;
  readonly memory: GuestMemory;
  readonly fns: GuestFunctions = {};
  readonly contexts = new Map<number, ContextBase>();
  /** Context 0: the one current while the module initializes and allocates. */
  readonly vmContext: RootContext;

  current: ContextBase | null = null;
  effectiveId = 0;
  /** Set by proxy_send_local_response: the callback's status becomes a stop. */
  stopIteration = false;
  failState = FailState.Ok;
  failReason: string | undefined;
  closed = false;

  private restricted: ReadonlySet<string> | null = null;
  private readonly afterActions: Array<() => void> = [];
  private nextContextId = 1;
  private nextHttpCallId = 0;
  nextGrpcCallId = 1;
  nextGrpcStreamId = 2;
  private readonly timers = new Map<number, { period: number; handle: NodeJS.Timeout | null }>();
  private readonly realtimeBase: bigint;
  private readonly hrBase: bigint;
  private readonly failListeners: Array<() => void> = [];

  private constructor(readonly init: VmInit) {
    this.vmId = init.vmId;
    this.abi = init.abi;
    this.vmConfiguration = init.vmConfiguration;
    this.environment = init.environment;
    this.logger = init.logger;
    this.logLevel = logLevelNumber(init.logLevel);
    this.metrics = init.metrics;
    this.metricIds = new MetricIds(init.metrics);
    this.realtimeBase = BigInt(Date.now()) * 1_000_000n;
    this.hrBase = process.hrtime.bigint();
    this.vmContext = new RootContext(this, 0, null);

    const defs = [...proxyHostFunctions(init.abi), ...wasiHostFunctions()];
    const imports = this.link(defs);
    let instance;
    try {
      instance = new WA.Instance(init.module, imports.imports);
    } catch (err) {
      throw new WasmHostError('WASM_INVALID_MODULE', `failed to instantiate the Wasm module: ${describeThrown(err).message}`, {
        cause: err,
      });
    }
    const mem = imports.memory ?? instance.exports['memory'];
    if (!isWasmMemory(mem)) {
      throw new WasmHostError('WASM_MISSING_EXPORT', 'the module neither exports nor imports a memory named "memory"');
    }
    this.memory = new GuestMemory(mem as WasmMemory);
    this.bindFunctions(instance.exports);
    this.memory.setAllocator((size) => this.allocate(size));
    acquireVmId(this.vmId);
  }

  /** Instantiates and initializes the module (_initialize / main or _start). */
  static start(init: VmInit): WasmVm {
    const vm = new WasmVm(init);
    vm.startModule();
    if (vm.failed) {
      vm.releaseResources();
      throw new WasmHostError('WASM_START_FAILED', `the module failed while initializing: ${vm.failReason}`);
    }
    return vm;
  }

  get failed(): boolean {
    return this.failState !== FailState.Ok;
  }

  onFail(listener: () => void): void {
    this.failListeners.push(listener);
  }

  // --- linking ---

  private link(defs: HostFunctionDef[]): { imports: WasmImports; memory?: WasmMemory } {
    const table = new Map<string, HostFunctionDef>();
    for (const d of defs) table.set(`${d.module}.${d.name}`, d);
    const imports: WasmImports = {};
    let memory: WasmMemory | undefined;
    const declared = this.init.info
      ? this.init.info.imports
      : WA.Module.imports(this.init.module).map((i) => ({ ...i, type: undefined as FuncType | undefined }));
    for (const imp of declared) {
      const q = `${imp.module}.${imp.name}`;
      const slot = (imports[imp.module] ??= {});
      if (imp.kind === 'function') {
        const def = table.get(q);
        if (!def) {
          throw new WasmHostError('WASM_MISSING_IMPORT', `Failed to load Wasm module due to a missing import: ${q}`);
        }
        const want = 'type' in imp ? imp.type : undefined;
        if (want && !sameFuncType(want, def.type)) {
          throw new WasmHostError(
            'WASM_IMPORT_SIGNATURE',
            `Failed to load Wasm module due to an import type mismatch: ${q}, want: ${formatFuncType(want)}, but host exports: ${formatFuncType(def.type)}`,
          );
        }
        slot[imp.name] = this.wrapHostFunction(q, def.make(this));
      } else if (imp.kind === 'memory') {
        const limits = 'limits' in imp ? imp.limits : { min: 1, max: undefined, shared: false };
        memory = new WA.Memory({ initial: limits.min, maximum: limits.max });
        slot[imp.name] = memory;
      } else if (imp.kind === 'table') {
        const limits = 'limits' in imp ? imp.limits : { min: 0, max: undefined, shared: false };
        slot[imp.name] = new WA.Table({ element: 'anyfunc', initial: limits.min, maximum: limits.max });
      } else {
        throw new WasmHostError('WASM_MISSING_IMPORT', `Failed to load Wasm module due to a missing import: ${q} (globals are not provided)`);
      }
    }
    return { imports, memory };
  }

  /** Enforces cpp-host's restricted-callback windows without allocating per call. */
  private wrapHostFunction(q: string, fn: (...args: never[]) => number | void): (...args: never[]) => number | void {
    const f = fn as unknown as (...a: unknown[]) => number | void;
    return ((a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, g: unknown, h: unknown, i: unknown, j: unknown, k: unknown, l: unknown, m: unknown) => {
      if (this.restricted !== null && !this.restricted.has(q)) {
        throw new WA.RuntimeError(`restricted_callback: ${q} may not be called at this point (module initialization or memory allocation)`);
      }
      return f(a, b, c, d, e, g, h, i, j, k, l, m);
    }) as unknown as (...args: never[]) => number | void;
  }

  private bindFunctions(exports: Record<string, unknown>): void {
    const typeOf = new Map<string, FuncType | undefined>();
    if (this.init.info) for (const e of this.init.info.exports) if (e.kind === 'function') typeOf.set(e.name, e.type);
    for (const [exportName, short, spec] of MODULE_FUNCTIONS) {
      const fn = exports[exportName];
      if (typeof fn !== 'function') continue;
      // malloc wins over proxy_on_memory_allocate, as in cpp-host.
      if (short === 'malloc' && this.fns.malloc) continue;
      const have = typeOf.get(exportName);
      if (have && !sameFuncType(have, sig(spec))) {
        throw new WasmHostError(
          'WASM_EXPORT_SIGNATURE',
          `Bad function signature for: ${exportName}: the module exports ${formatFuncType(have)}, the ABI wants ${formatFuncType(sig(spec))}`,
        );
      }
      this.fns[short] = fn as WasmFn;
    }
    if (!this.fns.malloc) {
      throw new WasmHostError(
        'WASM_MISSING_EXPORT',
        'Wasm module is missing malloc function: export `malloc` or `proxy_on_memory_allocate` (i32) -> i32',
      );
    }
  }

  private startModule(): void {
    const prev = this.restricted;
    this.restricted = START_ALLOWED;
    try {
      if (this.fns._initialize) {
        this.call(this.vmContext, '_initialize', this.fns._initialize);
        if (this.fns.main) this.call(this.vmContext, 'main', this.fns.main, 0, 0);
        else if (this.fns.__main_void) this.call(this.vmContext, '__main_void', this.fns.__main_void);
      } else if (this.fns._start) {
        this.call(this.vmContext, '_start', this.fns._start);
      }
    } finally {
      this.restricted = prev;
    }
  }

  // --- calls into the module ---

  /** Calls a module function with `ctx` current; undefined when it trapped or the VM had failed. */
  call(ctx: ContextBase, name: string, fn: WasmFn, a?: number, b?: number, c?: number, d?: number, e?: number): number | undefined {
    if (this.failed || this.closed) return undefined;
    const savedCurrent = this.current;
    const savedEffective = this.effectiveId;
    this.current = ctx;
    this.effectiveId = 0;
    try {
      const r = fn(a as number, b as number, c as number, d as number, e as number);
      return typeof r === 'number' ? r : 0;
    } catch (err) {
      this.fail(FailState.RuntimeError, `Function: ${name} failed: ${describeThrown(err).message}`, err);
      return undefined;
    } finally {
      this.current = savedCurrent;
      this.effectiveId = savedEffective;
    }
  }

  /** cpp-host DeferAfterCallActions around `f`: reset the stop flag, then run queued actions. */
  deferAfter<T>(f: () => T): T {
    try {
      return f();
    } finally {
      this.stopIteration = false;
      this.runAfterActions();
    }
  }

  addAfterVmCallAction(action: () => void): void {
    this.afterActions.push(action);
  }

  private runAfterActions(): void {
    let firstError: unknown;
    while (this.afterActions.length > 0) {
      const action = this.afterActions.shift()!;
      try {
        action();
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  /** cpp-host contextOrEffectiveContext(). */
  activeContext(): ContextBase {
    const current = this.current ?? this.vmContext;
    if (this.effectiveId !== 0) {
      const c = this.contexts.get(this.effectiveId);
      if (c) return c;
    }
    return current;
  }

  private allocate(size: number): number {
    const malloc = this.fns.malloc;
    if (!malloc) return 0;
    const prev = this.restricted;
    this.restricted = ALLOC_ALLOWED;
    try {
      return this.call(this.vmContext, 'malloc', malloc, size) ?? 0;
    } finally {
      this.restricted = prev;
    }
  }

  fail(state: FailState, message: string, err?: unknown): void {
    if (this.failed) return;
    this.failState = state;
    this.failReason = message;
    const stack = err === undefined ? undefined : describeThrown(err).stack;
    this.logger.log('error', `Wasm VM failed: ${message}`, { vmId: this.vmId, stack });
    for (const l of this.failListeners) l();
  }

  // --- contexts ---

  allocContextId(): number {
    for (;;) {
      const id = this.nextContextId;
      this.nextContextId = (this.nextContextId + 1) >>> 0;
      if (id !== 0 && !this.contexts.has(id)) return id;
    }
  }

  register(ctx: ContextBase): void {
    this.contexts.set(ctx.id, ctx);
  }

  unregister(ctx: ContextBase): void {
    if (this.contexts.get(ctx.id) === ctx) this.contexts.delete(ctx.id);
  }

  /** proxy_done: finishes the shutdown of the caller's root context if it is pending. */
  done(ctx: ContextBase): WasmResult {
    const root = ctx.root;
    if (root.state !== 'pending-done') return WasmResult.NotFound;
    root.state = 'deleted-pending';
    // Deferred so that on_delete does not run inside the proxy_done call.
    this.addAfterVmCallAction(() => {
      root.onDelete();
      root.markDeleted();
    });
    return WasmResult.Ok;
  }

  /** Runs on_done on a root; on_delete now if it said yes, else when it calls proxy_done. */
  shutdownRoot(root: RootContext): void {
    if (root.state === 'deleted' || root.state === 'pending-done' || root.state === 'deleted-pending') return;
    if (root.onDone()) {
      root.onDelete();
      root.markDeleted();
    } else {
      root.state = 'pending-done';
    }
  }

  // --- logging and time ---

  /** The module's last warning or error, whatever the host log level: a rejected configuration
   * is explained by what the filter logged while refusing it. */
  lastGuestProblem: string | undefined;

  /** A log line from the module (proxy_log, fd_write); dropped below the host log level. */
  guestLog(ctx: ContextBase, level: number, message: string): void {
    if (level >= 3) this.lastGuestProblem = message; // warn, error, critical
    if (level < this.logLevel) return;
    this.logger.log(LEVELS[level] ?? 'info', message, ctx.logFields());
  }

  hostLog(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (logLevelNumber(level) < this.logLevel) return;
    this.logger.log(level, message, { vmId: this.vmId, ...fields });
  }

  realtimeNs(): bigint {
    return this.realtimeBase + (process.hrtime.bigint() - this.hrBase);
  }

  // --- ticks (Envoy Wasm::setTimerPeriod / tickHandler) ---

  setTimerPeriod(rootId: number, periodMs: number): void {
    const existing = this.timers.get(rootId);
    if (existing?.handle) clearTimeout(existing.handle);
    const entry = { period: periodMs, handle: null as NodeJS.Timeout | null };
    this.timers.set(rootId, entry);
    if (periodMs > 0 && !this.closed) this.armTimer(rootId, entry);
  }

  private armTimer(rootId: number, entry: { period: number; handle: NodeJS.Timeout | null }): void {
    entry.handle = setTimeout(() => {
      entry.handle = null;
      if (this.closed || this.timers.get(rootId) !== entry || !this.fns.on_tick) return;
      const ctx = this.contexts.get(rootId);
      if (ctx instanceof RootContext) ctx.onTick();
      // Re-armed after the tick, as Envoy does (a slow tick delays the next one).
      if (this.timers.get(rootId) === entry && entry.period > 0 && !this.closed) this.armTimer(rootId, entry);
    }, entry.period);
    entry.handle.unref();
  }

  clearTimer(rootId: number): void {
    const t = this.timers.get(rootId);
    if (t?.handle) clearTimeout(t.handle);
    this.timers.delete(rootId);
  }

  // --- shared queues ---

  queueReady(contextId: number, token: number): void {
    if (this.closed) return;
    const ctx = this.contexts.get(contextId);
    if (ctx instanceof RootContext) ctx.onQueueReady(token);
  }

  // --- callouts ---

  httpCall(
    root: RootContext,
    upstream: string,
    headers: HeaderList,
    body: Uint8Array,
    trailers: HeaderList,
    timeoutMs: number,
  ): { result: WasmResult; token: number } {
    if (timeoutMs < 0) return { result: WasmResult.BadArgument, token: 0 };
    const cluster = root.pluginConfig?.clusters[upstream];
    if (!cluster || !Object.prototype.hasOwnProperty.call(root.pluginConfig!.clusters, upstream)) {
      return { result: WasmResult.BadArgument, token: 0 };
    }
    root.httpCalls ??= new HttpCallManager(root);
    const token = (this.nextHttpCallId = (this.nextHttpCallId + 4) >>> 0);
    const result = root.httpCalls.start(token, upstream, cluster, headers, body, trailers, timeoutMs);
    return { result, token: result === WasmResult.Ok ? token : 0 };
  }

  grpc(root: RootContext): GrpcCallManager {
    root.grpcCalls ??= new GrpcCallManager(root);
    return root.grpcCalls;
  }

  // --- teardown ---

  /** A fresh instance of the same module and VM configuration (Envoy's configuration canary). */
  cloneForCanary(): WasmVm {
    return WasmVm.start(this.init);
  }

  /**
   * Envoy's Wasm teardown: roots still active get on_done (and on_delete when they agree);
   * roots waiting for proxy_done are dropped without more callbacks.
   */
  close(): void {
    if (this.closed) return;
    for (const ctx of [...this.contexts.values()]) {
      if (ctx instanceof RootContext && ctx.id !== 0 && ctx.state !== 'deleted') {
        if (ctx.state === 'active' || ctx.state === 'retired') {
          if (ctx.onDone()) ctx.onDelete();
        }
        ctx.markDeleted();
      }
    }
    this.releaseResources();
  }

  /** Drops the VM without calling into it (canaries, failed starts). */
  releaseResources(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers.values()) if (t.handle) clearTimeout(t.handle);
    this.timers.clear();
    for (const ctx of [...this.contexts.values()]) if (ctx instanceof RootContext) ctx.markDeleted();
    this.contexts.clear();
    releaseVmId(this.vmId);
  }
}
