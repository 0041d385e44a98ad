// Who a flow is from: the peer's identity in a flow key (its principal, else its namespace and
// workload, else its address) and the source fields a flow record reports.
import { ByteBuffer, copyBytes } from "../bytes";
import { RequestFacts, Slice } from "../http/request-facts";
import { FlowEntry } from "./flow-table";

/** Append the peer's identity to a flow key. */
export function writePeerKey(k: ByteBuffer, facts: RequestFacts): void {
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
