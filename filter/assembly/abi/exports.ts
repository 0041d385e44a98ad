// The proxy-wasm entry points (ABI 0.2.1), written here instead of taken from the SDK, whose
// exports build debug strings on every context creation and trap on proxy_on_done/on_delete of
// a root context. Root contexts are kept per id: a host that starts a new root for a new
// configuration (Envoy on ECDS) and keeps the old one when the new is rejected gets exactly that;
// streams are bound to the root (and configuration) in force when they were created. Unknown
// context ids are ignored rather than trapping. Network-filter callbacks answer Continue.
// Each entry point that runs filter code is bracketed by enter()/leave() (abi/memory.ts): the
// collector runs only between callbacks.
import { PluginRoot } from "../plugin-root";
import { HttpFilter } from "../http/http-filter";
import { deleteConnection, downstreamData, newConnection, upstreamData } from "../tcp/network-filter";
import { enter, leave } from "./memory";

const roots = new Map<u32, PluginRoot>();
const streams = new Map<u32, HttpFilter>();

function root(id: u32): PluginRoot {
  if (roots.has(id)) return roots.get(id);
  const r = new PluginRoot(id);
  roots.set(id, r);
  return r;
}

/** A stream whose root the host never created: it runs unconfigured (pass-through). */
let orphans: PluginRoot | null = null;
function orphanRoot(): PluginRoot {
  let r = orphans;
  if (r === null) {
    r = new PluginRoot(0);
    orphans = r;
  }
  return r;
}

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(contextId: u32, rootContextId: u32): void {
  enter();
  onContextCreate(contextId, rootContextId);
  leave();
}
function onContextCreate(contextId: u32, rootContextId: u32): void {
  if (rootContextId == 0) {
    root(contextId);
    return;
  }
  if (streams.has(contextId)) return;
  const r = roots.has(rootContextId) ? roots.get(rootContextId) : orphanRoot();
  streams.set(contextId, new HttpFilter(contextId, r, r.config));
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): u32 {
  enter();
  const r = onVmStart(rootContextId, vmConfigurationSize);
  leave();
  return r;
}
function onVmStart(rootContextId: u32, vmConfigurationSize: u32): u32 {
  return root(rootContextId).onStart(vmConfigurationSize) ? 1 : 0;
}

export function proxy_validate_configuration(rootContextId: u32, configurationSize: u32): u32 {
  enter();
  const r = validateConfiguration(rootContextId, configurationSize);
  leave();
  return r;
}
function validateConfiguration(rootContextId: u32, configurationSize: u32): u32 {
  return root(rootContextId).validateConfiguration(configurationSize) ? 1 : 0;
}

export function proxy_on_configure(rootContextId: u32, configurationSize: u32): u32 {
  enter();
  const r = onConfigure(rootContextId, configurationSize);
  leave();
  return r;
}
function onConfigure(rootContextId: u32, configurationSize: u32): u32 {
  return root(rootContextId).onConfigure(configurationSize) ? 1 : 0;
}

export function proxy_on_tick(rootContextId: u32): void {
  enter();
  onTick(rootContextId);
  leave();
}
function onTick(rootContextId: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).onTick();
}

export function proxy_on_http_call_response(contextId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  enter();
  onHttpCallResponse(contextId, token, headers, bodySize, trailers);
  leave();
}
function onHttpCallResponse(contextId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  if (roots.has(contextId)) roots.get(contextId).onHttpCallResponse(token, headers, bodySize, trailers);
}

export function proxy_on_queue_ready(_rootContextId: u32, _token: u32): void {}
export function proxy_on_foreign_function(_rootContextId: u32, _functionId: u32, _dataSize: u32): void {}

// HTTP stream callbacks.

export function proxy_on_request_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  enter();
  const r = onRequestHeaders(contextId, headers, endOfStream);
  leave();
  return r;
}
function onRequestHeaders(contextId: u32, headers: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return streams.get(contextId).onRequestHeaders(headers, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodyLength: u32, endOfStream: u32): u32 {
  enter();
  const r = onRequestBody(contextId, bodyLength, endOfStream);
  leave();
  return r;
}
function onRequestBody(contextId: u32, bodyLength: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return streams.get(contextId).onRequestBody(bodyLength, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, trailers: u32): u32 {
  enter();
  const r = onRequestTrailers(contextId, trailers);
  leave();
  return r;
}
function onRequestTrailers(contextId: u32, trailers: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return streams.get(contextId).onRequestTrailers(trailers);
}

export function proxy_on_request_metadata(_contextId: u32, _elements: u32): u32 {
  return 0;
}

export function proxy_on_response_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  enter();
  const r = onResponseHeaders(contextId, headers, endOfStream);
  leave();
  return r;
}
function onResponseHeaders(contextId: u32, headers: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return streams.get(contextId).onResponseHeaders(headers, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodyLength: u32, endOfStream: u32): u32 {
  enter();
  const r = onResponseBody(contextId, bodyLength, endOfStream);
  leave();
  return r;
}
function onResponseBody(contextId: u32, bodyLength: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return streams.get(contextId).onResponseBody(bodyLength, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, trailers: u32): u32 {
  enter();
  const r = onResponseTrailers(contextId, trailers);
  leave();
  return r;
}
function onResponseTrailers(contextId: u32, trailers: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return streams.get(contextId).onResponseTrailers(trailers);
}

export function proxy_on_response_metadata(_contextId: u32, _elements: u32): u32 {
  return 0;
}

// gRPC calls: not used.
export function proxy_on_grpc_receive_initial_metadata(_contextId: u32, _token: u32, _headers: u32): void {}
export function proxy_on_grpc_trailing_metadata(_contextId: u32, _token: u32, _trailers: u32): void {}
export function proxy_on_grpc_receive(_contextId: u32, _token: u32, _responseSize: u32): void {}
export function proxy_on_grpc_close(_contextId: u32, _token: u32, _statusCode: u32): void {}

// Network filter callbacks (tcp/network-filter.ts). Envoy creates the context first, then
// calls on_new_connection: the context becomes a connection bound to the same root and config.
export function proxy_on_new_connection(contextId: u32): u32 {
  enter();
  const r = onNewConnection(contextId);
  leave();
  return r;
}
function onNewConnection(contextId: u32): u32 {
  if (!streams.has(contextId)) return 0;
  const s = streams.get(contextId);
  streams.delete(contextId);
  return newConnection(contextId, s.root, s.config);
}
export function proxy_on_downstream_data(contextId: u32, length: u32, endOfStream: u32): u32 {
  enter();
  const r = onDownstreamData(contextId, length, endOfStream);
  leave();
  return r;
}
function onDownstreamData(contextId: u32, length: u32, endOfStream: u32): u32 {
  return downstreamData(contextId, <usize>length, endOfStream != 0);
}
export function proxy_on_upstream_data(contextId: u32, length: u32, endOfStream: u32): u32 {
  enter();
  const r = onUpstreamData(contextId, length, endOfStream);
  leave();
  return r;
}
function onUpstreamData(contextId: u32, length: u32, endOfStream: u32): u32 {
  return upstreamData(contextId, <usize>length, endOfStream != 0);
}
export function proxy_on_downstream_connection_close(_contextId: u32, _peerType: u32): void {}
export function proxy_on_upstream_connection_close(_contextId: u32, _peerType: u32): void {}

// End of life.

export function proxy_on_done(contextId: u32): u32 {
  enter();
  const r = onDone(contextId);
  leave();
  return r;
}
function onDone(contextId: u32): u32 {
  if (roots.has(contextId)) return roots.get(contextId).onDone() ? 1 : 0;
  return 1;
}

export function proxy_on_log(_contextId: u32): void {}

export function proxy_on_delete(contextId: u32): void {
  enter();
  onDelete(contextId);
  leave();
}
function onDelete(contextId: u32): void {
  if (deleteConnection(contextId)) return;
  if (streams.has(contextId)) {
    streams.get(contextId).release();
    streams.delete(contextId);
    return;
  }
  if (roots.has(contextId)) {
    roots.get(contextId).onDelete();
    roots.delete(contextId);
  }
}
