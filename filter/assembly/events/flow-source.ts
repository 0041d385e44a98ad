// Who a flow is from: the peer's identity in a flow key (its principal, else its namespace and
// workload, else its address) and the source fields a flow record reports. The identity is a
// property of the connection: it is remembered per connection id (a small direct-mapped cache),
// so the requests of a kept-alive connection cost one property read instead of up to four.
import { getProperty, propertyPath, valueSize } from "../abi/host";
import { ByteBuffer, copyBytes } from "../bytes";
import { RequestFacts, Slice } from "../http/request-facts";
import { FlowEntry } from "./flow-table";

const P_CONNECTION_ID = propertyPath("connection.id");
const SLOTS = 64;
const cachedIds = new StaticArray<u64>(SLOTS);
const cachedKeys = new StaticArray<ArrayBuffer | null>(SLOTS);

/** `connection.id`, or 0 when the host has none. */
function connectionId(): u64 {
  const v = getProperty(P_CONNECTION_ID);
  if (v === null || valueSize != 8) return 0;
  return load<u64>(changetype<usize>(v));
}

/** Append the peer's identity to a flow key. */
export function writePeerKey(k: ByteBuffer, facts: RequestFacts): void {
  const id = connectionId();
  const slot = <i32>(id % <u64>SLOTS);
  if (id != 0 && unchecked(cachedIds[slot]) == id) {
    const cached = unchecked(cachedKeys[slot]);
    if (cached !== null) {
      k.buffer(cached);
      return;
    }
  }
  const start = k.len;
  readPeerKey(k, facts);
  if (id != 0) {
    unchecked(cachedIds[slot] = id);
    unchecked(cachedKeys[slot] = copyBytes(k.ptr + start, k.len - start));
  }
}

function readPeerKey(k: ByteBuffer, facts: RequestFacts): void {
  const principal = facts.principal();
  if (principal.len > 0) {
    k.byte(0x70); // p
    k.bytes(principal.ptr, principal.len);
    return;
  }
  const workload = facts.peerWorkload();
  if (workload.len > 0) {
    const ns = facts.peerNamespace();
    k.byte(0x77); // w
    k.bytes(ns.ptr, ns.len);
    k.byte(0x2f);
    k.bytes(workload.ptr, workload.len);
    return;
  }
  const ip = facts.sourceIp();
  k.byte(0x69); // i
  k.bytes(ip.ptr, ip.len);
}

function copy(s: Slice): ArrayBuffer {
  return copyBytes(s.ptr, s.len);
}

/** The source fields of a new entry (copied once). */
export function fillSource(e: FlowEntry, facts: RequestFacts): void {
  e.srcIp = copy(facts.sourceIp());
  e.srcPrincipal = copy(facts.principal());
  e.srcNamespace = copy(facts.peerNamespace());
  e.srcWorkload = copy(facts.peerWorkload());
  e.dstPort = facts.destinationPort();
}
