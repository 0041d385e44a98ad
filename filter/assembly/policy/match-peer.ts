// Who is calling: one `from` entry of an ingress rule. Every field present must match (AND); an
// entry with no field matches any source. Facts are fetched lazily, so an entry that checks only
// the namespace costs one property read (the principal), at most two.
import { eqBytes } from "../bytes";
import { RequestFacts, Slice } from "../http/request-facts";
import { Cidr } from "./cidr";

export const enum PrincipalKind {
  None = 0, // no principal condition
  Any, // "*": any authenticated peer
  Exact,
  Prefix, // "spiffe://td/ns/shop/*"
  Suffix, // "*/sa/frontend"
  Contains, // "*frontend*"
}

export class PrincipalPattern {
  constructor(readonly kind: PrincipalKind, readonly bytes: ArrayBuffer) {}

  matches(s: Slice): bool {
    if (!s.present) return false; // unauthenticated peers match no principal condition
    const b = changetype<usize>(this.bytes);
    const n = <usize>this.bytes.byteLength;
    const kind = this.kind;
    if (kind == PrincipalKind.Any) return true;
    if (kind == PrincipalKind.Exact) return eqBytes(s.ptr, s.len, b, n);
    if (s.len < n) return false;
    if (kind == PrincipalKind.Prefix) return n == 0 || memory.compare(s.ptr, b, n) == 0;
    if (kind == PrincipalKind.Suffix) return n == 0 || memory.compare(s.ptr + s.len - n, b, n) == 0;
    // Contains
    if (n == 0) return true;
    const last = s.len - n;
    for (let i: usize = 0; i <= last; i++) {
      if (memory.compare(s.ptr + i, b, n) == 0) return true;
    }
    return false;
  }
}

/** `*` alone: any; a leading and/or trailing `*`: suffix, prefix or contains; else exact. */
export function compilePrincipal(source: ArrayBuffer): PrincipalPattern {
  const p = changetype<usize>(source);
  const n = <usize>source.byteLength;
  if (n == 1 && load<u8>(p) == 0x2a) return new PrincipalPattern(PrincipalKind.Any, new ArrayBuffer(0));
  const lead = n > 0 && load<u8>(p) == 0x2a;
  const trail = n > 1 && load<u8>(p + n - 1) == 0x2a;
  if (!lead && !trail) return new PrincipalPattern(PrincipalKind.Exact, source);
  const start: usize = lead ? 1 : 0;
  const end: usize = trail ? n - 1 : n;
  const core = new ArrayBuffer(<i32>(end - start));
  if (end > start) memory.copy(changetype<usize>(core), p + start, end - start);
  const kind = lead && trail ? PrincipalKind.Contains : lead ? PrincipalKind.Suffix : PrincipalKind.Prefix;
  return new PrincipalPattern(kind, core);
}

export class PeerMatch {
  constructor(
    readonly principal: PrincipalPattern | null,
    readonly namespace: ArrayBuffer | null,
    readonly workload: ArrayBuffer | null,
    readonly ipBlock: Cidr | null,
  ) {}

  matches(facts: RequestFacts): bool {
    const principal = this.principal;
    if (principal !== null && !principal.matches(facts.principal())) return false;
    const namespace = this.namespace;
    if (namespace !== null) {
      const ns = facts.peerNamespace();
      if (!ns.present || !eqBytes(ns.ptr, ns.len, changetype<usize>(namespace), <usize>namespace.byteLength)) return false;
    }
    const workload = this.workload;
    if (workload !== null) {
      const w = facts.peerWorkload();
      if (!w.present || !eqBytes(w.ptr, w.len, changetype<usize>(workload), <usize>workload.byteLength)) return false;
    }
    const block = this.ipBlock;
    if (block !== null) {
      const ip = facts.sourceAddr();
      if (ip === null || !block.matches(ip)) return false;
    }
    return true;
  }
}
