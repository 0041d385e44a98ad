// proxy_grpc_call / proxy_grpc_stream / proxy_grpc_send / proxy_grpc_cancel / proxy_grpc_close
// with @grpc/grpc-js and identity (raw bytes) serializers, answered as Envoy's Context does:
// - the `service` argument is a serialized GrpcService (its envoy_grpc.cluster_name is used) or
//   else a cluster name; an unknown cluster is ParseFailure;
// - call tokens are 5, 9, 13... and stream tokens 6, 10, 14... (per VM);
// - a unary call answers with proxy_on_grpc_receive(root, token, size) on success (message in
//   GRPC_CALL_MESSAGE) or proxy_on_grpc_close(root, token, status) on failure (message via
//   proxy_get_status); Envoy's raw unary client reports no metadata callbacks;
// - a stream reports initial metadata, each message, trailing metadata, then close;
// - send on a call token is BadArgument, on an unknown stream NotFound; cancel drops a call or
//   resets a stream without further callbacks; close on a stream half-closes it (the stream is
//   forgotten once the remote side closed too); a token of the wrong kind is BadArgument.
// The metadata maps the module reads are rebuilt from grpc-js' view of the HTTP/2 frames Envoy
// would hand over: initial metadata is `:status: 200` followed by the response headers grpc-js
// reports (content-type, date, custom metadata); trailing metadata is grpc-status and
// grpc-message followed by the custom trailers.

import * as grpc from '@grpc/grpc-js';
import type { HeaderList } from './api.js';
import type { RootContext } from './context.js';
import { HeaderMap } from './header-map.js';
import { WasmResult } from './status.js';

const identity = (b: Buffer): Buffer => b;

/** Reads GrpcService.envoy_grpc.cluster_name (fields 1 -> 1) from protobuf bytes, if they are that. */
function clusterFromGrpcService(bytes: Uint8Array): string | undefined {
  const readVarint = (b: Uint8Array, pos: number): [number, number] | undefined => {
    let v = 0;
    let shift = 0;
    while (pos < b.byteLength && shift < 35) {
      const byte = b[pos++];
      v |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return [v >>> 0, pos];
      shift += 7;
    }
    return undefined;
  };
  const field = (b: Uint8Array, want: number): Uint8Array | undefined => {
    let pos = 0;
    let found: Uint8Array | undefined;
    while (pos < b.byteLength) {
      const tag = readVarint(b, pos);
      if (!tag) return undefined;
      pos = tag[1];
      const wire = tag[0] & 7;
      const num = tag[0] >>> 3;
      if (wire === 2) {
        const len = readVarint(b, pos);
        if (!len || len[1] + len[0] > b.byteLength) return undefined;
        if (num === want) found = b.subarray(len[1], len[1] + len[0]);
        pos = len[1] + len[0];
      } else if (wire === 0) {
        const v = readVarint(b, pos);
        if (!v) return undefined;
        pos = v[1];
      } else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else return undefined;
    }
    return pos === b.byteLength ? found : undefined;
  };
  if (bytes.byteLength === 0 || bytes[0] !== 0x0a) return undefined;
  const envoyGrpc = field(bytes, 1);
  const name = envoyGrpc ? field(envoyGrpc, 1) : undefined;
  return name ? Buffer.from(name).toString('utf8') : undefined;
}

function metadataOf(pairs: HeaderList): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of pairs) {
    if (k.startsWith(':')) continue;
    if (k.endsWith('-bin')) md.add(k, Buffer.from(v, 'latin1'));
    else md.add(k, v);
  }
  return md;
}

function listOf(md: grpc.Metadata | undefined): HeaderList {
  const out: HeaderList = [];
  if (!md) return out;
  for (const [k, values] of Object.entries(md.getMap())) {
    void values;
    for (const v of md.get(k)) out.push([k, typeof v === 'string' ? v : Buffer.from(v).toString('latin1')]);
  }
  return out;
}

interface GrpcEntry {
  kind: 'call' | 'stream';
  call: grpc.ClientUnaryCall | grpc.ClientDuplexStream<Buffer, Buffer>;
  client: grpc.Client;
  localClosed: boolean;
  remoteClosed: boolean;
}

export class GrpcCallManager {
  private readonly entries = new Map<number, GrpcEntry>();

  constructor(private readonly root: RootContext) {}

  private target(service: Uint8Array): { url: URL } | undefined {
    const name = clusterFromGrpcService(service) ?? Buffer.from(service).toString('utf8');
    const clusters = this.root.pluginConfig?.clusters ?? {};
    if (!Object.prototype.hasOwnProperty.call(clusters, name)) return undefined;
    try {
      return { url: new URL(clusters[name].url) };
    } catch {
      return undefined;
    }
  }

  private client(url: URL): grpc.Client {
    const creds = url.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    return new grpc.Client(url.host, creds);
  }

  call(
    service: Uint8Array,
    serviceName: string,
    method: string,
    metadata: HeaderList,
    message: Uint8Array,
    timeoutMs: number,
  ): { result: WasmResult; token: number } {
    const t = this.target(service);
    if (!t) return { result: WasmResult.ParseFailure, token: 0 };
    const vm = this.root.vm;
    const token = (vm.nextGrpcCallId = (vm.nextGrpcCallId + 4) >>> 0);
    const client = this.client(t.url);
    const options: grpc.CallOptions = timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {};
    let call: grpc.ClientUnaryCall;
    try {
      call = client.makeUnaryRequest(
        `/${serviceName}/${method}`,
        identity,
        identity,
        Buffer.from(message),
        metadataOf(metadata),
        options,
        (err, response) => {
          const entry = this.entries.get(token);
          if (!entry || entry.call !== call) return;
          this.entries.delete(token);
          client.close();
          if (this.root.state === 'deleted' || vm.closed) return;
          if (err) this.deliverClose(token, err.code, err.details);
          else this.deliverMessage(token, response ?? Buffer.alloc(0));
        },
      );
    } catch {
      client.close();
      return { result: WasmResult.InternalFailure, token: 0 };
    }
    this.entries.set(token, { kind: 'call', call, client, localClosed: false, remoteClosed: false });
    return { result: WasmResult.Ok, token };
  }

  stream(service: Uint8Array, serviceName: string, method: string, metadata: HeaderList): { result: WasmResult; token: number } {
    const t = this.target(service);
    if (!t) return { result: WasmResult.ParseFailure, token: 0 };
    const vm = this.root.vm;
    const token = (vm.nextGrpcStreamId = (vm.nextGrpcStreamId + 4) >>> 0);
    const client = this.client(t.url);
    let stream: grpc.ClientDuplexStream<Buffer, Buffer>;
    try {
      stream = client.makeBidiStreamRequest(`/${serviceName}/${method}`, identity, identity, metadataOf(metadata));
    } catch {
      client.close();
      return { result: WasmResult.InternalFailure, token: 0 };
    }
    const entry: GrpcEntry = { kind: 'stream', call: stream, client, localClosed: false, remoteClosed: false };
    this.entries.set(token, entry);
    const live = () => this.entries.get(token) === entry && this.root.state !== 'deleted' && !vm.closed;
    stream.on('metadata', (md: grpc.Metadata) => {
      if (!live()) return;
      const list: HeaderList = [[':status', '200'], ...listOf(md)];
      this.deliverMetadata(token, 'initial', HeaderMap.from(list, 'response-headers'));
    });
    stream.on('data', (chunk: Buffer) => {
      if (live()) this.deliverMessage(token, chunk);
    });
    stream.on('status', (status: grpc.StatusObject) => {
      if (!live()) return;
      entry.remoteClosed = true;
      const list: HeaderList = [['grpc-status', String(status.code)]];
      if (status.details) list.push(['grpc-message', status.details]);
      list.push(...listOf(status.metadata));
      this.deliverMetadata(token, 'trailing', HeaderMap.from(list, 'response-trailers'));
      if (!live()) return;
      if (entry.localClosed) {
        this.entries.delete(token);
        client.close();
      }
      this.deliverClose(token, status.code, status.details);
    });
    // Errors are reported through 'status'; keep the stream from throwing on 'error'.
    stream.on('error', () => undefined);
    return { result: WasmResult.Ok, token };
  }

  send(token: number, message: Uint8Array, endStream: boolean): WasmResult {
    if ((token & 3) !== 2) return WasmResult.BadArgument;
    const entry = this.entries.get(token);
    if (!entry) return WasmResult.NotFound;
    const stream = entry.call as grpc.ClientDuplexStream<Buffer, Buffer>;
    stream.write(Buffer.from(message));
    if (endStream) stream.end();
    return WasmResult.Ok;
  }

  close(token: number): WasmResult {
    const kind = token & 3;
    if (kind !== 1 && kind !== 2) return WasmResult.BadArgument;
    const entry = this.entries.get(token);
    if (!entry) return WasmResult.NotFound;
    if (entry.kind === 'call') {
      this.entries.delete(token);
      entry.call.cancel();
      entry.client.close();
      return WasmResult.Ok;
    }
    (entry.call as grpc.ClientDuplexStream<Buffer, Buffer>).end();
    if (entry.remoteClosed) {
      this.entries.delete(token);
      entry.client.close();
    } else entry.localClosed = true;
    return WasmResult.Ok;
  }

  cancel(token: number): WasmResult {
    const kind = token & 3;
    if (kind !== 1 && kind !== 2) return WasmResult.BadArgument;
    const entry = this.entries.get(token);
    if (!entry) return WasmResult.NotFound;
    this.entries.delete(token);
    entry.call.cancel();
    entry.client.close();
    return WasmResult.Ok;
  }

  cancelAll(): void {
    for (const e of this.entries.values()) {
      e.call.cancel();
      e.client.close();
    }
    this.entries.clear();
  }

  private deliverMessage(token: number, message: Uint8Array): void {
    const root = this.root;
    const vm = root.vm;
    const f = vm.fns.on_grpc_receive;
    if (vm.failed || !f) return;
    vm.deferAfter(() => {
      root.grpcReceiveBuffer = message;
      vm.addAfterVmCallAction(() => (root.grpcReceiveBuffer = null));
      vm.call(root, 'proxy_on_grpc_receive', f, root.id, token, message.byteLength);
    });
  }

  private deliverMetadata(token: number, which: 'initial' | 'trailing', map: HeaderMap): void {
    const root = this.root;
    const vm = root.vm;
    const f = which === 'initial' ? vm.fns.on_grpc_receive_initial_metadata : vm.fns.on_grpc_receive_trailing_metadata;
    if (vm.failed || !f) return;
    vm.deferAfter(() => {
      if (which === 'initial') root.grpcInitialMetadata = map;
      else root.grpcTrailingMetadata = map;
      const name = which === 'initial' ? 'proxy_on_grpc_receive_initial_metadata' : 'proxy_on_grpc_receive_trailing_metadata';
      vm.call(root, name, f, root.id, token, map.size);
      if (which === 'initial') root.grpcInitialMetadata = null;
      else root.grpcTrailingMetadata = null;
    });
  }

  private deliverClose(token: number, code: number, message: string): void {
    const root = this.root;
    const vm = root.vm;
    const f = vm.fns.on_grpc_close;
    if (vm.failed || !f) return;
    vm.deferAfter(() => {
      root.statusCode = code;
      root.statusMessage = message;
      vm.addAfterVmCallAction(() => (root.statusMessage = ''));
      vm.call(root, 'proxy_on_grpc_close', f, root.id, token, code);
    });
  }
}
