// Ingress rules: who may call this workload, and with what. A request matches a rule when its
// source matches one `from` entry (or `from` is empty) and it matches one `http` or `grpc` entry
// (or both lists are empty). A rule with only `grpc` entries never matches a non-gRPC request,
// and one with only `http` entries never matches a gRPC request. The first matching rule wins.
import { RequestFacts } from "../http/request-facts";
import { GrpcMatch, HttpMatch } from "./match-http";
import { PeerMatch } from "./match-peer";
import { TcpRule } from "../tcp/tcp-config";

export class IngressRule {
  constructor(
    readonly id: ArrayBuffer,
    readonly name: ArrayBuffer,
    readonly from: StaticArray<PeerMatch>,
    readonly http: StaticArray<HttpMatch>,
    readonly grpc: StaticArray<GrpcMatch>,
  ) {}

  /** Ports, protocols and statement entries (tcp/); null when the rule has none. Set once by
   * the config parser. A rule with protocol or statement entries and neither `http` nor `grpc`
   * admits no HTTP request; a rule with `ports` admits requests to those ports only. */
  tcp: TcpRule | null = null;

  matches(facts: RequestFacts): bool {
    const tcp = this.tcp;
    if (tcp !== null && !tcp.portMatches(facts.destinationPort())) return false;
    return this.operationMatches(facts) && this.sourceMatches(facts);
  }

  /** Operations first: they only look at headers already read, peers may cost property reads. */
  private operationMatches(facts: RequestFacts): bool {
    const http = this.http;
    const grpc = this.grpc;
    const nh = http.length;
    const ng = grpc.length;
    if (nh == 0 && ng == 0) return this.tcp === null || !this.tcp!.restrictsOperations;
    const isGrpc = facts.isGrpc;
    if (isGrpc && ng == 0) return false;
    if (!isGrpc && nh == 0) return false;
    for (let i = 0; i < nh; i++) {
      if (unchecked(http[i]).matches(facts)) return true;
    }
    if (isGrpc) {
      for (let i = 0; i < ng; i++) {
        if (unchecked(grpc[i]).matches(facts)) return true;
      }
    }
    return false;
  }

  sourceMatches(facts: RequestFacts): bool {
    const from = this.from;
    const n = from.length;
    if (n == 0) return true;
    for (let i = 0; i < n; i++) {
      if (unchecked(from[i]).matches(facts)) return true;
    }
    return false;
  }
}

/** Index of the first rule the request matches, or -1. */
export function firstMatch(rules: StaticArray<IngressRule>, facts: RequestFacts): i32 {
  for (let i = 0; i < rules.length; i++) {
    if (unchecked(rules[i]).matches(facts)) return i;
  }
  return -1;
}
