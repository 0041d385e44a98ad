// The flow entry of an allowed HTTP or gRPC request: keyed by the peer, the protocol, the method
// and the path template (gRPC: the /service/method path as it is). Looked up on the bytes of the
// request head; a new entry copies what its record will say.
import { copyBytes } from "../bytes";
import { fillSource, writePeerKey } from "../events/flow-source";
import { FlowEntry, FlowTable, keyHash } from "../events/flow-table";
import { IngressRule } from "../policy/ingress";
import { writePathTemplate } from "./path-template";
import { RequestFacts } from "./request-facts";

export function openHttpFlow(table: FlowTable, facts: RequestFacts, rule: IngressRule | null): FlowEntry | null {
  const k = table.key;
  k.reset();
  writePeerKey(k, facts);
  k.byte(0);
  k.ascii(facts.isGrpc ? "grpc" : "http");
  k.byte(0);
  k.bytes(facts.method.ptr, facts.method.len);
  k.byte(0);
  const pathAt = k.len;
  if (facts.isGrpc) k.bytes(facts.path.ptr, facts.path.len);
  else writePathTemplate(k, facts.path.ptr, facts.path.len);
  const h = keyHash(k);
  const found = table.find(h);
  if (found !== null) return found;
  const e = table.insert(h);
  if (e === null) return null;
  e.protocol = facts.isGrpc ? "grpc" : "http";
  fillSource(e, facts);
  e.method = copyBytes(facts.method.ptr, facts.method.len);
  e.path = copyBytes(k.ptr + pathAt, k.len - pathAt);
  e.host = copyBytes(facts.authority.ptr, facts.authority.len);
  if (facts.isGrpc) {
    e.grpcService = copyBytes(facts.grpcService.ptr, facts.grpcService.len);
    e.grpcMethod = copyBytes(facts.grpcMethod.ptr, facts.grpcMethod.len);
  }
  e.rule = rule;
  return e;
}
