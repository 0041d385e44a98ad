// The response Envoy builds for a local reply (http/utility.cc prepareLocalReply /
// encodeLocalReply), with the default local-reply config (no body or status rewriting):
// - headers start as `:status: <code>`, then the filter's additional headers are added;
// - a gRPC request (content-type application/grpc, application/grpc+..., application/grpc;...)
//   gets a trailers-only reply: `:status: 200`, `content-type: application/grpc`, `grpc-status`
//   (unless an additional header set it) = the given status or the one mapped from the HTTP
//   code, `grpc-message` = the percent-encoded body; no content-length and no body;
// - otherwise a non-empty body sets content-length and, if the filter gave none, content-type
//   text/plain; an empty body removes both;
// - a HEAD request gets the headers only.

import type { HeaderList } from './api.js';
import { HeaderMap } from './header-map.js';
import { GrpcStatus } from './status.js';

/** Grpc::Utility::httpToGrpcStatus. */
export function httpToGrpcStatus(code: number): GrpcStatus {
  switch (code) {
    case 400:
      return GrpcStatus.Internal;
    case 401:
      return GrpcStatus.Unauthenticated;
    case 403:
      return GrpcStatus.PermissionDenied;
    case 404:
      return GrpcStatus.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.Unavailable;
    default:
      return GrpcStatus.Unknown;
  }
}

/** Grpc::Common::isGrpcRequestHeaders: a :path and a gRPC content-type. */
export function isGrpcRequest(headers: HeaderMap | null): boolean {
  if (!headers || headers.get(':path') === undefined) return false;
  const ct = headers.get('content-type');
  if (ct === undefined) return false;
  return ct === 'application/grpc' || ct.startsWith('application/grpc+') || ct.startsWith('application/grpc;');
}

/** Http::Utility::PercentEncoding::encode with the default reserved set ("%"). */
export function percentEncode(body: Uint8Array): string {
  let out = '';
  for (const b of body) {
    // Envoy tests a signed char: bytes >= 0x80 are "< ' '" and get encoded too.
    if (b < 0x20 || b >= 0x7e || b === 0x25) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    else out += String.fromCharCode(b);
  }
  return out;
}

export interface LocalReplyRequest {
  code: number;
  body: Uint8Array;
  additionalHeaders: HeaderList;
  /** undefined when the filter passed no valid gRPC status (Envoy maps it from the HTTP code). */
  grpcStatus?: number;
  isGrpc: boolean;
  isHead: boolean;
}

export interface PreparedLocalReply {
  headers: HeaderMap;
  /** Empty when the reply ends with its headers. */
  body: Uint8Array;
  endStreamOnHeaders: boolean;
}

export const CODE_TEXT: Record<number, string> = {
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function prepareLocalReply(r: LocalReplyRequest): PreparedLocalReply {
  const headers = HeaderMap.from([[':status', String(r.code)]], 'response-headers');
  for (const [k, v] of r.additionalHeaders) headers.add(k, v);

  if (r.isGrpc) {
    headers.setInPlace(':status', '200');
    headers.setInPlace('content-type', 'application/grpc');
    if (!headers.get('grpc-status')) {
      headers.setInPlace('grpc-status', String(r.grpcStatus ?? httpToGrpcStatus(r.code)));
    }
    if (r.body.byteLength > 0 && !r.isHead) headers.setInPlace('grpc-message', percentEncode(r.body));
    headers.remove('content-length');
    return { headers, body: new Uint8Array(0), endStreamOnHeaders: true };
  }

  if (r.body.byteLength > 0) {
    headers.setInPlace('content-length', String(r.body.byteLength));
    if (headers.get('content-type') === undefined) headers.setInPlace('content-type', 'text/plain');
  } else {
    headers.remove('content-length');
    headers.remove('content-type');
  }
  if (r.isHead) return { headers, body: new Uint8Array(0), endStreamOnHeaders: true };
  return { headers, body: r.body, endStreamOnHeaders: r.body.byteLength === 0 };
}
