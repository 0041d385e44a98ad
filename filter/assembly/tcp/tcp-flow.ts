// The flow entries of allowed TCP traffic: keyed by the peer, the protocol and the operation (a
// connection: `connect`; a SQL statement: its kinds joined by `+`, e.g. `SELECT+UNION`; a Redis
// command: its name in upper case). Records carry no status class.
import { ByteBuffer, copyBytes } from "../bytes";
import { fillSource, writePeerKey } from "../events/flow-source";
import { FlowTable, keyHash } from "../events/flow-table";
import { RequestFacts } from "../http/request-facts";
import { IngressRule } from "../policy/ingress";
import { KIND_NAMES } from "./tcp-config";

/** The operation of the next record (written by the helpers below or by the caller). */
export const operation = new ByteBuffer(64);

export function operationConnect(): void {
  operation.reset();
  operation.ascii("connect");
}

export function operationKinds(kinds: u32): void {
  operation.reset();
  for (let i = 0; i < KIND_NAMES.length; i++) {
    if ((kinds & (<u32>1 << <u32>i)) == 0) continue;
    if (operation.len > 0) operation.byte(0x2b);
    operation.ascii(unchecked(KIND_NAMES[i]));
  }
  if (operation.len == 0) operation.ascii("OTHER");
}

export function operationCommand(p: usize, len: usize): void {
  operation.reset();
  const n = len < 64 ? len : 64;
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    operation.byte(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
}

const peerScratch = new ByteBuffer(256);

/** The peer part of a connection's flow keys (kept by the session for its statements). */
export function tcpPeerKey(facts: RequestFacts): ArrayBuffer {
  peerScratch.reset();
  writePeerKey(peerScratch, facts);
  return copyBytes(peerScratch.ptr, peerScratch.len);
}

/** Count one allowed connection or statement with the operation in `operation`; `peer` is
 * tcpPeerKey() of the connection. */
export function countTcpFlow(table: FlowTable, facts: RequestFacts, peer: ArrayBuffer, protocol: string, rule: IngressRule | null, bytes: u64, ms: u64): void {
  const k = table.key;
  k.reset();
  k.buffer(peer);
  k.byte(0);
  k.ascii(protocol);
  k.byte(0);
  k.bytes(operation.ptr, operation.len);
  const h = keyHash(k);
  let e = table.find(h);
  if (e === null) {
    e = table.insert(h);
    if (e === null) return;
    e.tcp = true;
    e.protocol = protocol;
    fillSource(e, facts);
    e.method = copyBytes(operation.ptr, operation.len);
    e.rule = rule;
  }
  table.add(e, 0, ms, bytes, 0);
}
