// What is asked: HTTP operations (methods, paths, hosts) and gRPC operations (service, methods).
// In one entry every non-empty list must match (AND); inside a list any element may (OR).
import { eqBytes, eqBytesNoCase } from "../bytes";
import { RequestFacts } from "../http/request-facts";
import { PathPattern } from "./match-path";

export const enum HostKind {
  Exact = 0,
  Subdomain = 1, // "*.example.com": any name ending in ".example.com"
  Any = 2, // "*"
}

export class HostPattern {
  /** Lower-case; for Subdomain the suffix including its leading dot. */
  constructor(readonly kind: HostKind, readonly bytes: ArrayBuffer) {}

  matches(p: usize, len: usize): bool {
    const kind = this.kind;
    if (kind == HostKind.Any) return true;
    const b = changetype<usize>(this.bytes);
    const n = <usize>this.bytes.byteLength;
    if (kind == HostKind.Exact) return eqBytesNoCase(p, len, b, n);
    if (len <= n) return false;
    return eqBytesNoCase(p + len - n, n, b, n);
  }
}

/** Hosts are lower-cased by the caller; a trailing dot and a port are not part of a pattern. */
export function compileHost(lowered: ArrayBuffer): HostPattern {
  const p = changetype<usize>(lowered);
  const n = <usize>lowered.byteLength;
  if (n == 1 && load<u8>(p) == 0x2a) return new HostPattern(HostKind.Any, new ArrayBuffer(0));
  if (n > 2 && load<u8>(p) == 0x2a && load<u8>(p + 1) == 0x2e) {
    const suffix = new ArrayBuffer(<i32>(n - 1));
    memory.copy(changetype<usize>(suffix), p + 1, n - 1);
    return new HostPattern(HostKind.Subdomain, suffix);
  }
  return new HostPattern(HostKind.Exact, lowered);
}

export class HttpMatch {
  constructor(
    readonly methods: StaticArray<ArrayBuffer>,
    readonly paths: StaticArray<PathPattern>,
    readonly hosts: StaticArray<HostPattern>,
  ) {}

  matches(facts: RequestFacts): bool {
    const methods = this.methods;
    if (methods.length > 0) {
      const m = facts.method;
      let ok = false;
      for (let i = 0; i < methods.length; i++) {
        const b = unchecked(methods[i]);
        if (eqBytes(m.ptr, m.len, changetype<usize>(b), <usize>b.byteLength)) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
    const hosts = this.hosts;
    if (hosts.length > 0) {
      const h = facts.host;
      let ok = false;
      for (let i = 0; i < hosts.length; i++) {
        if (unchecked(hosts[i]).matches(h.ptr, h.len)) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
    const paths = this.paths;
    if (paths.length > 0) {
      if (!facts.path.present) return false;
      const segs = facts.segments();
      let ok = false;
      for (let i = 0; i < paths.length; i++) {
        if (unchecked(paths[i]).matches(segs)) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
    return true;
  }
}

export class GrpcMatch {
  constructor(
    /** null: `*`, any service. */
    readonly service: ArrayBuffer | null,
    /** Empty: any method (also when the list held `*`). */
    readonly methods: StaticArray<ArrayBuffer>,
  ) {}

  matches(facts: RequestFacts): bool {
    const s = facts.grpcService;
    if (!s.present) return false; // not a `/<service>/<method>` path
    const service = this.service;
    if (service !== null && !eqBytes(s.ptr, s.len, changetype<usize>(service), <usize>service.byteLength)) {
      return false;
    }
    const methods = this.methods;
    if (methods.length == 0) return true;
    const m = facts.grpcMethod;
    for (let i = 0; i < methods.length; i++) {
      const b = unchecked(methods[i]);
      if (eqBytes(m.ptr, m.len, changetype<usize>(b), <usize>b.byteLength)) return true;
    }
    return false;
  }
}
