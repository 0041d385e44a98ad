// Path patterns: `/api/*/items/**`. A pattern is a list of segments: `*` matches exactly one
// non-empty segment, `**` any number of segments (also none), anything else the segment's bytes
// exactly (no partial wildcards: `/v*` is the literal segment `v*`). The request path is split
// into segments once per request (PathSegments) and every pattern walks those offsets.

export const enum SegmentKind {
  Literal = 0,
  One = 1, // *
  Any = 2, // **
}

export class PathPattern {
  constructor(
    readonly kinds: StaticArray<u8>,
    readonly literals: StaticArray<ArrayBuffer | null>,
    readonly source: ArrayBuffer,
  ) {}

  matches(segs: PathSegments): bool {
    const n = segs.count;
    const m = this.kinds.length;
    let pi = 0;
    let si = 0;
    let starPi = -1;
    let starSi = 0;
    while (si < n) {
      if (pi < m) {
        const kind = unchecked(this.kinds[pi]);
        if (kind == SegmentKind.Any) {
          starPi = pi;
          starSi = si;
          pi++;
          continue;
        }
        if (this.segmentMatches(pi, kind, segs, si)) {
          pi++;
          si++;
          continue;
        }
      }
      if (starPi >= 0) {
        pi = starPi + 1;
        starSi++;
        si = starSi;
        continue;
      }
      return false;
    }
    while (pi < m && unchecked(this.kinds[pi]) == SegmentKind.Any) pi++;
    return pi == m;
  }

  private segmentMatches(pi: i32, kind: u8, segs: PathSegments, si: i32): bool {
    const len = segs.length(si);
    if (kind == SegmentKind.One) return len > 0;
    const lit = unchecked(this.literals[pi]);
    if (lit === null) return false;
    const n = <usize>lit.byteLength;
    if (n != len) return false;
    if (n == 0) return true;
    return memory.compare(changetype<usize>(lit), segs.start(si), n) == 0;
  }
}

/** Compile a pattern; null when it does not start with `/`. */
export function compilePath(source: ArrayBuffer): PathPattern | null {
  const p = changetype<usize>(source);
  const len = <usize>source.byteLength;
  if (len == 0 || load<u8>(p) != 0x2f) return null;
  // Count segments.
  let count = 1;
  for (let i: usize = 1; i < len; i++) if (load<u8>(p + i) == 0x2f) count++;
  const kinds = new StaticArray<u8>(count);
  const literals = new StaticArray<ArrayBuffer | null>(count);
  let k = 0;
  let start: usize = 1;
  for (let i: usize = 1; i <= len; i++) {
    if (i == len || load<u8>(p + i) == 0x2f) {
      const segLen = i - start;
      if (segLen == 1 && load<u8>(p + start) == 0x2a) {
        unchecked(kinds[k] = <u8>SegmentKind.One);
      } else if (segLen == 2 && load<u8>(p + start) == 0x2a && load<u8>(p + start + 1) == 0x2a) {
        unchecked(kinds[k] = <u8>SegmentKind.Any);
      } else {
        unchecked(kinds[k] = <u8>SegmentKind.Literal);
        const lit = new ArrayBuffer(<i32>segLen);
        if (segLen > 0) memory.copy(changetype<usize>(lit), p + start, segLen);
        unchecked(literals[k] = lit);
      }
      k++;
      start = i + 1;
    }
  }
  return new PathPattern(kinds, literals, source);
}

/** The segments of one request path (after the leading `/`), as offsets into its bytes. The
 * offset arrays are reused and grow as needed. */
export class PathSegments {
  count: i32 = 0;
  private starts: StaticArray<u32> = new StaticArray<u32>(32);
  private ends: StaticArray<u32> = new StaticArray<u32>(32);

  /** Split [p, p+len); a path not starting with `/` is taken as if it did. */
  split(p: usize, len: usize): void {
    let i: usize = 0;
    if (len > 0 && load<u8>(p) == 0x2f) i = 1;
    let n = 0;
    let start = i;
    while (true) {
      if (i == len || load<u8>(p + i) == 0x2f) {
        if (n >= this.starts.length) this.grow();
        unchecked(this.starts[n] = <u32>(p + start));
        unchecked(this.ends[n] = <u32>(p + i));
        n++;
        if (i == len) break;
        start = i + 1;
      }
      i++;
    }
    this.count = n;
  }

  start(i: i32): usize {
    return <usize>unchecked(this.starts[i]);
  }

  length(i: i32): usize {
    return <usize>(unchecked(this.ends[i]) - unchecked(this.starts[i]));
  }

  private grow(): void {
    const cap = this.starts.length << 1;
    const s = new StaticArray<u32>(cap);
    const e = new StaticArray<u32>(cap);
    memory.copy(changetype<usize>(s), changetype<usize>(this.starts), <usize>this.starts.length << 2);
    memory.copy(changetype<usize>(e), changetype<usize>(this.ends), <usize>this.ends.length << 2);
    this.starts = s;
    this.ends = e;
  }
}
