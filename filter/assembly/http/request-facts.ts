// What the filter knows about one request, as offsets into the bytes the host returned: the
// request headers come from one proxy_get_header_map_pairs call and are scanned in place; peer
// and connection properties are fetched only when a rule (or an event) asks for them. One
// instance is reused for every request (callbacks never overlap inside a VM); reset() drops the
// references so the host's buffers can be collected.
import {
  MapType, getHeaderPairs, getProperty, propertyPath, valueSize,
} from "../abi/host";
import { ByteBuffer, eqAscii, eqAsciiNoCase, startsWithAsciiNoCase } from "../bytes";
import { IpAddress, parseIp } from "../policy/cidr";
import { PathSegments } from "../policy/match-path";
import { needsNormalization, normalizePath } from "./path-normalize";

const P_PEER_PRINCIPAL = propertyPath("connection.uri_san_peer_certificate");
// Set only by Meshward's own host (the agent's inline proxy, `meshward proxy --peers`), from
// what it knows of a plaintext peer's address. Envoy resolves an unknown top-level name to the
// filter state `wasm.meshward_peer`, which no client header can set.
const P_MESHWARD_PEER_PRINCIPAL = propertyPath("meshward_peer.principal");
const P_PEER_NAMESPACE = propertyPath("downstream_peer.namespace");
const P_PEER_WORKLOAD = propertyPath("downstream_peer.workload");
const P_SOURCE_ADDRESS = propertyPath("source.address");
const P_SOURCE_PORT = propertyPath("source.port");
const P_DESTINATION_ADDRESS = propertyPath("destination.address");
const P_DESTINATION_PORT = propertyPath("destination.port");
const P_LOCAL_PRINCIPAL = propertyPath("connection.uri_san_local_certificate");
const P_PROTOCOL = propertyPath("request.protocol");

/** A byte range, with the buffer that holds it kept alive. */
export class Slice {
  ptr: usize = 0;
  len: usize = 0;
  holder: ArrayBuffer | null = null;

  set(ptr: usize, len: usize, holder: ArrayBuffer | null): void {
    this.ptr = ptr;
    this.len = len;
    this.holder = holder;
  }

  clear(): void {
    this.ptr = 0;
    this.len = 0;
    this.holder = null;
  }

  get present(): bool {
    return this.len > 0;
  }
}

// Bits of `loaded`: which lazy facts were fetched.
const L_PRINCIPAL: u32 = 1;
const L_NAMESPACE: u32 = 2;
const L_WORKLOAD: u32 = 4;
const L_SOURCE: u32 = 8;
const L_SOURCE_IP: u32 = 16;
const L_DESTINATION: u32 = 32;
const L_LOCAL_PRINCIPAL: u32 = 64;
const L_PROTOCOL: u32 = 128;
const L_MATCH_PATH: u32 = 256;

export class RequestFacts {
  private headers: ArrayBuffer | null = null;
  /** `:path` as sent, query included (for inspection). */
  readonly fullPath: Slice = new Slice();
  /** The header map could not be read or was malformed (what was readable is kept). */
  malformed: bool = false;

  readonly method: Slice = new Slice();
  /** `:path` without query or fragment, as sent. */
  readonly path: Slice = new Slice();
  /** `:authority` (or `host`) as sent. */
  readonly authority: Slice = new Slice();
  /** The authority without port or trailing dot, for matching (compared ignoring case). */
  readonly host: Slice = new Slice();
  isGrpc: bool = false;
  readonly grpcService: Slice = new Slice();
  readonly grpcMethod: Slice = new Slice();

  private loaded: u32 = 0;
  private readonly contentTypeSlice: Slice = new Slice();
  private readonly hostHeaderSlice: Slice = new Slice();
  private readonly matchPathSlice: Slice = new Slice();
  private readonly normalized: ByteBuffer = new ByteBuffer(128);
  private readonly segs: PathSegments = new PathSegments();
  private readonly principalSlice: Slice = new Slice();
  private readonly namespaceSlice: Slice = new Slice();
  private readonly workloadSlice: Slice = new Slice();
  private readonly sourceIpSlice: Slice = new Slice();
  private sourcePortValue: u32 = 0;
  private readonly sourceAddress: IpAddress = new IpAddress();
  private sourceAddressValid: bool = false;
  private readonly destinationIpSlice: Slice = new Slice();
  private destinationPortValue: u32 = 0;
  private readonly localPrincipalSlice: Slice = new Slice();
  private readonly protocolSlice: Slice = new Slice();

  reset(): void {
    this.headers = null;
    this.fullPath.clear();
    this.malformed = false;
    this.method.clear();
    this.path.clear();
    this.authority.clear();
    this.host.clear();
    this.isGrpc = false;
    this.grpcService.clear();
    this.grpcMethod.clear();
    this.loaded = 0;
    this.matchPathSlice.clear();
    this.principalSlice.clear();
    this.namespaceSlice.clear();
    this.workloadSlice.clear();
    this.sourceIpSlice.clear();
    this.sourcePortValue = 0;
    this.sourceAddressValid = false;
    this.destinationIpSlice.clear();
    this.destinationPortValue = 0;
    this.localPrincipalSlice.clear();
    this.protocolSlice.clear();
    this.normalized.shrink(16384);
  }

  /** The serialized header pairs read by loadRequestHeaders (null when unreadable). */
  get headerPairs(): ArrayBuffer | null {
    return this.headers;
  }

  /** `content-type` as sent (empty when absent). */
  get contentType(): Slice {
    return this.contentTypeSlice;
  }

  /** Read the request headers (one host call) and find what matching needs. */
  loadRequestHeaders(): void {
    const buf = getHeaderPairs(MapType.RequestHeaders);
    if (buf === null) {
      this.malformed = true;
      return;
    }
    this.headers = buf;
    this.scanPairs(changetype<usize>(buf), valueSize);
  }

  /** Walk the serialized pairs by offsets; stop at the first inconsistency. */
  private scanPairs(base: usize, size: usize): void {
    if (size < 4) {
      this.malformed = size != 0;
      return;
    }
    const count = <u64>load<u32>(base);
    // Each pair takes 8 bytes of lengths and at least 2 NULs.
    if (count * 10 > <u64>(size - 4)) {
      this.malformed = true;
      return;
    }
    const n = <usize>count;
    let data: u64 = 4 + count * 8;
    const contentType = this.contentTypeSlice;
    contentType.clear();
    const hostHeader = this.hostHeaderSlice;
    hostHeader.clear();
    for (let i: usize = 0; i < n; i++) {
      const kl = <u64>load<u32>(base + 4 + i * 8);
      const vl = <u64>load<u32>(base + 8 + i * 8);
      if (data + kl + vl + 2 > <u64>size) {
        this.malformed = true;
        break;
      }
      const k = base + <usize>data;
      const v = k + <usize>kl + 1;
      const klen = <usize>kl;
      const vlen = <usize>vl;
      data += kl + vl + 2;
      if (klen == 0) continue;
      const first = load<u8>(k);
      if (first == 0x3a) { // pseudo-header
        if (klen == 7 && !this.method.present && eqAscii(k, klen, ":method")) {
          this.method.set(v, vlen, null);
        } else if (klen == 5 && !this.path.present && eqAscii(k, klen, ":path")) {
          this.path.set(v, vlen, null);
        } else if (klen == 10 && !this.authority.present && eqAscii(k, klen, ":authority")) {
          this.authority.set(v, vlen, null);
        }
      } else if (klen == 4 && !hostHeader.present && eqAsciiNoCase(k, klen, "host")) {
        hostHeader.set(v, vlen, null);
      } else if (klen == 12 && !contentType.present && eqAsciiNoCase(k, klen, "content-type")) {
        contentType.set(v, vlen, null);
      }
    }
    if (!this.authority.present && hostHeader.present) {
      this.authority.set(hostHeader.ptr, hostHeader.len, null);
    }
    this.deriveHost();
    this.fullPath.set(this.path.ptr, this.path.len, null);
    this.cutQuery();
    this.isGrpc = contentType.present && startsWithAsciiNoCase(contentType.ptr, contentType.len, "application/grpc");
    if (this.isGrpc) this.deriveGrpc();
  }

  private cutQuery(): void {
    const p = this.path.ptr;
    const len = this.path.len;
    for (let i: usize = 0; i < len; i++) {
      const c = load<u8>(p + i);
      if (c == 0x3f || c == 0x23) {
        this.path.len = i;
        return;
      }
    }
  }

  /** `Host: a.example:8080` → `a.example`; `[::1]:80` → `[::1]`; a trailing dot is dropped. */
  private deriveHost(): void {
    const p = this.authority.ptr;
    let len = this.authority.len;
    if (len == 0) return;
    if (load<u8>(p) == 0x5b) { // [v6]:port
      for (let i: usize = 1; i < len; i++) {
        if (load<u8>(p + i) == 0x5d) {
          len = i + 1;
          break;
        }
      }
    } else {
      for (let i = len; i > 0; i--) {
        const c = load<u8>(p + i - 1);
        if (c == 0x3a) {
          len = i - 1;
          break;
        }
        if (c < 0x30 || c > 0x39) break;
      }
    }
    if (len > 0 && load<u8>(p + len - 1) == 0x2e) len--;
    this.host.set(p, len, null);
  }

  /** `/pkg.Service/Method` → service and method; anything else leaves them empty. */
  private deriveGrpc(): void {
    const p = this.path.ptr;
    const len = this.path.len;
    if (len < 4 || load<u8>(p) != 0x2f) return;
    let slash: usize = 0;
    for (let i: usize = 1; i < len; i++) {
      if (load<u8>(p + i) == 0x2f) {
        if (slash != 0) return; // a third slash
        slash = i;
      }
    }
    if (slash <= 1 || slash + 1 >= len) return;
    this.grpcService.set(p + 1, slash - 1, null);
    this.grpcMethod.set(p + slash + 1, len - slash - 1, null);
  }

  /** The path segments to match against, after normalization when the path needs it. */
  segments(): PathSegments {
    if ((this.loaded & L_MATCH_PATH) == 0) {
      this.loaded |= L_MATCH_PATH;
      const p = this.path.ptr;
      const len = this.path.len;
      if (needsNormalization(p, len)) {
        normalizePath(p, len, this.normalized);
        this.matchPathSlice.set(this.normalized.ptr, this.normalized.len, null);
      } else {
        this.matchPathSlice.set(p, len, null);
      }
      this.segs.split(this.matchPathSlice.ptr, this.matchPathSlice.len);
    }
    return this.segs;
  }

  /** Peer principal: the URI SAN of the client certificate; without mTLS, what Meshward's
   * own host attributed to the source address (`meshward_peer.principal`), else empty. */
  principal(): Slice {
    if ((this.loaded & L_PRINCIPAL) == 0) {
      this.loaded |= L_PRINCIPAL;
      loadString(P_PEER_PRINCIPAL, this.principalSlice);
      if (!this.principalSlice.present) loadString(P_MESHWARD_PEER_PRINCIPAL, this.principalSlice);
    }
    return this.principalSlice;
  }

  /** Peer namespace: from a SPIFFE principal (`spiffe://td/ns/<ns>/sa/<sa>`), else from the
   * peer metadata the host exchanged (`downstream_peer.namespace`). */
  peerNamespace(): Slice {
    if ((this.loaded & L_NAMESPACE) == 0) {
      this.loaded |= L_NAMESPACE;
      const principal = this.principal();
      if (!spiffeNamespace(principal, this.namespaceSlice)) {
        loadString(P_PEER_NAMESPACE, this.namespaceSlice);
      }
    }
    return this.namespaceSlice;
  }

  peerWorkload(): Slice {
    if ((this.loaded & L_WORKLOAD) == 0) {
      this.loaded |= L_WORKLOAD;
      loadString(P_PEER_WORKLOAD, this.workloadSlice);
    }
    return this.workloadSlice;
  }

  /** Source IP as text (from `source.address`, `ip:port`). */
  sourceIp(): Slice {
    this.loadSource();
    return this.sourceIpSlice;
  }

  sourcePort(): u32 {
    this.loadSource();
    return this.sourcePortValue;
  }

  /** The parsed source address, or null when there is none or it does not parse. */
  sourceAddr(): IpAddress | null {
    if ((this.loaded & L_SOURCE_IP) == 0) {
      this.loaded |= L_SOURCE_IP;
      const ip = this.sourceIp();
      this.sourceAddressValid = ip.present && parseIp(ip.ptr, ip.len, this.sourceAddress);
    }
    return this.sourceAddressValid ? this.sourceAddress : null;
  }

  private loadSource(): void {
    if ((this.loaded & L_SOURCE) != 0) return;
    this.loaded |= L_SOURCE;
    this.sourcePortValue = loadAddress(P_SOURCE_ADDRESS, P_SOURCE_PORT, this.sourceIpSlice);
  }

  destinationIp(): Slice {
    this.loadDestination();
    return this.destinationIpSlice;
  }

  destinationPort(): u32 {
    this.loadDestination();
    return this.destinationPortValue;
  }

  private loadDestination(): void {
    if ((this.loaded & L_DESTINATION) != 0) return;
    this.loaded |= L_DESTINATION;
    this.destinationPortValue = loadAddress(P_DESTINATION_ADDRESS, P_DESTINATION_PORT, this.destinationIpSlice);
  }

  localPrincipal(): Slice {
    if ((this.loaded & L_LOCAL_PRINCIPAL) == 0) {
      this.loaded |= L_LOCAL_PRINCIPAL;
      loadString(P_LOCAL_PRINCIPAL, this.localPrincipalSlice);
    }
    return this.localPrincipalSlice;
  }

  /** `request.protocol`: HTTP/1.1, HTTP/2, ... */
  protocol(): Slice {
    if ((this.loaded & L_PROTOCOL) == 0) {
      this.loaded |= L_PROTOCOL;
      loadString(P_PROTOCOL, this.protocolSlice);
    }
    return this.protocolSlice;
  }
}

function loadString(path: ArrayBuffer, out: Slice): void {
  const buf = getProperty(path);
  if (buf === null) {
    out.clear();
    return;
  }
  out.set(changetype<usize>(buf), valueSize, buf);
}

/** Load an `ip:port` address property into `ip`; returns the port (from the address, else from
 * the separate port property, else 0). */
function loadAddress(addressPath: ArrayBuffer, portPath: ArrayBuffer, ip: Slice): u32 {
  const buf = getProperty(addressPath);
  if (buf === null) {
    ip.clear();
    return loadPort(portPath);
  }
  const p = changetype<usize>(buf);
  const len = valueSize;
  let ipStart = p;
  let ipLen = len;
  let portStart: usize = 0;
  let portLen: usize = 0;
  if (len > 0 && load<u8>(p) == 0x5b) { // [v6]:port
    ipStart = p + 1;
    ipLen = 0;
    for (let i: usize = 1; i < len; i++) {
      if (load<u8>(p + i) == 0x5d) {
        ipLen = i - 1;
        if (i + 1 < len && load<u8>(p + i + 1) == 0x3a) {
          portStart = p + i + 2;
          portLen = len - i - 2;
        }
        break;
      }
    }
  } else {
    let colons = 0;
    let last: usize = 0;
    for (let i: usize = 0; i < len; i++) {
      if (load<u8>(p + i) == 0x3a) {
        colons++;
        last = i;
      }
    }
    if (colons == 1) {
      ipLen = last;
      portStart = p + last + 1;
      portLen = len - last - 1;
    }
  }
  ip.set(ipStart, ipLen, buf);
  if (portLen == 0) return loadPort(portPath);
  return parsePort(portStart, portLen);
}

function parsePort(p: usize, len: usize): u32 {
  if (len == 0 || len > 5) return 0;
  let v: u32 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c < 0x30 || c > 0x39) return 0;
    v = v * 10 + (<u32>c - 0x30);
  }
  return v > 65535 ? 0 : v;
}

/** A port property: Envoy encodes integers as 8 bytes little-endian. */
function loadPort(path: ArrayBuffer): u32 {
  const buf = getProperty(path);
  if (buf === null || valueSize != 8) return 0;
  const v = load<u64>(changetype<usize>(buf));
  return v > 65535 ? 0 : <u32>v;
}

/** The `<ns>` of `spiffe://<trust domain>/ns/<ns>/sa/<sa>`, as a slice of the principal. */
export function spiffeNamespace(principal: Slice, out: Slice): bool {
  const p = principal.ptr;
  const len = principal.len;
  if (len < 9 || !eqAscii(p, 9, "spiffe://")) return false;
  let i: usize = 9;
  while (i < len && load<u8>(p + i) != 0x2f) i++;
  if (i == 9 || i + 4 > len) return false; // empty trust domain or too short
  if (!eqAscii(p + i, 4, "/ns/")) return false;
  const start = i + 4;
  let end = start;
  while (end < len && load<u8>(p + end) != 0x2f) end++;
  if (end == start || end + 4 > len || !eqAscii(p + end, 4, "/sa/")) return false;
  out.set(p + start, end - start, principal.holder);
  return true;
}
