// Sets of ASCII words (lower-case literals) searched in values, ignoring case. Every set is
// also registered in one shared keyword index: `indexValue()` walks a value once and records,
// for every set, where its words occur (a hash of each position's first two bytes finds the
// candidates), so that the detectors' many word lists cost one pass per value instead of one
// pass per list. `find()` answers from that index when asked about the indexed value, and
// scans directly otherwise (transformed copies, response bodies). Words are at least two bytes
// long. Built once at start.
import { lc } from "./text";

const BUCKETS = 1024;
// A bloom of every word's first three bytes (lower-case): most positions of ordinary text are
// rejected with one bit test before any table look-up.
const BLOOM_BITS = 1 << 16;
const bloom = new StaticArray<u32>(BLOOM_BITS >> 5);

// @ts-ignore: decorator
@inline
function tri(a: u8, b: u8, c: u8): u32 {
  return ((<u32>a * 0x9e37) ^ (<u32>b * 0x85eb) ^ (<u32>c * 0xc2b3)) & (BLOOM_BITS - 1);
}

function bloomAdd(w: usize, n: usize): void {
  const a = load<u8>(w);
  const b = load<u8>(w + 1);
  if (n >= 3) {
    const h = tri(a, b, load<u8>(w + 2));
    unchecked(bloom[h >> 5] |= <u32>1 << (h & 31));
    return;
  }
  for (let c = 0; c < 256; c++) {
    const h = tri(a, b, lc(<u8>c));
    unchecked(bloom[h >> 5] |= <u32>1 << (h & 31));
  }
}

// @ts-ignore: decorator
@inline
function maybe(p: usize, i: usize, len: usize): bool {
  const c: u8 = i + 2 < len ? lc(load<u8>(p + i + 2)) : 0;
  const h = tri(lc(load<u8>(p + i)), lc(load<u8>(p + i + 1)), c);
  return (unchecked(bloom[h >> 5]) & (<u32>1 << (h & 31))) != 0;
}
const MAX_HITS = 8;
const MAX_SETS = 32;

// The shared index.
const gHeads = new StaticArray<i32>(BUCKETS);
const gNext = new Array<i32>();
const gSet = new Array<i32>();
const gWord = new Array<i32>();
const gBytes = new Array<ArrayBuffer>();
let gInit = false;
// Frozen copies of the arrays above, made at the first use (after every set registered).
let fNext = new StaticArray<i32>(0);
let fSet = new StaticArray<i32>(0);
let fWord = new StaticArray<i32>(0);
let fBytes = new StaticArray<ArrayBuffer>(0);
let frozen = -1;
let setCount = 0;
let ixPtr: usize = 0;
let ixLen: usize = usize.MAX_VALUE;
const hitPos = new StaticArray<u32>(MAX_SETS * MAX_HITS);
const hitWord = new StaticArray<i32>(MAX_SETS * MAX_HITS);
const hitCount = new StaticArray<i32>(MAX_SETS);
const hitOverflow = new StaticArray<bool>(MAX_SETS);

// @ts-ignore: decorator
@inline
function hash(a: u8, b: u8): i32 {
  return ((<i32>a * 31) ^ (<i32>b * 7)) & (BUCKETS - 1);
}

function register(setId: i32, words: StaticArray<string>): void {
  if (!gInit) {
    for (let i = 0; i < BUCKETS; i++) unchecked(gHeads[i] = -1);
    gInit = true;
  }
  for (let i = words.length - 1; i >= 0; i--) {
    const b = String.UTF8.encode(unchecked(words[i]));
    const g = gBytes.length;
    gBytes.push(b);
    gSet.push(setId);
    gWord.push(i);
    const h = hash(load<u8>(changetype<usize>(b)), load<u8>(changetype<usize>(b) + 1));
    bloomAdd(changetype<usize>(b), <usize>b.byteLength);
    gNext.push(unchecked(gHeads[h]));
    unchecked(gHeads[h] = g);
  }
}

function freeze(): void {
  const n = gBytes.length;
  fNext = StaticArray.fromArray(gNext);
  fSet = StaticArray.fromArray(gSet);
  fWord = StaticArray.fromArray(gWord);
  fBytes = StaticArray.fromArray(gBytes);
  frozen = n;
}

/** Index [p, p+len): every registered set's occurrences (at most MAX_HITS each). */
export function indexValue(p: usize, len: usize): void {
  if (frozen != gBytes.length) freeze();
  for (let s = 0; s < setCount; s++) {
    unchecked(hitCount[s] = 0);
    unchecked(hitOverflow[s] = false);
  }
  ixPtr = p;
  ixLen = len;
  if (len < 2) return;
  for (let i: usize = 0; i + 1 < len; i++) {
    if (!maybe(p, i, len)) continue;
    let k = unchecked(gHeads[hash(lc(load<u8>(p + i)), lc(load<u8>(p + i + 1)))]);
    while (k >= 0) {
      const b = unchecked(fBytes[k]);
      const n = <usize>b.byteLength;
      if (i + n <= len && matches(p + i, changetype<usize>(b), n)) {
        const s = unchecked(fSet[k]);
        const c = unchecked(hitCount[s]);
        if (c < MAX_HITS) {
          unchecked(hitPos[s * MAX_HITS + c] = <u32>i);
          unchecked(hitWord[s * MAX_HITS + c] = fWord[k]);
          unchecked(hitCount[s] = c + 1);
        } else {
          unchecked(hitOverflow[s] = true);
        }
      }
      k = unchecked(fNext[k]);
    }
  }
}

/** Forget the index (the value it describes is about to change). */
export function dropIndex(): void {
  ixLen = usize.MAX_VALUE;
}

export class WordSet {
  private readonly heads: StaticArray<i32> = new StaticArray<i32>(256);
  private readonly next: StaticArray<i32>;
  private readonly bytes: StaticArray<ArrayBuffer>;
  private readonly id: i32;
  /** Offset of the last match (after find). */
  at: usize = 0;

  constructor(readonly words: StaticArray<string>) {
    const n = words.length;
    this.next = new StaticArray<i32>(n);
    this.bytes = new StaticArray<ArrayBuffer>(n);
    for (let i = 0; i < 256; i++) unchecked(this.heads[i] = -1);
    for (let i = n - 1; i >= 0; i--) {
      const b = String.UTF8.encode(unchecked(words[i]));
      unchecked(this.bytes[i] = b);
      const h = hash(load<u8>(changetype<usize>(b)), load<u8>(changetype<usize>(b) + 1)) & 255;
      unchecked(this.next[i] = this.heads[h]);
      unchecked(this.heads[h] = i);
    }
    this.id = setCount < MAX_SETS ? setCount++ : -1;
    if (this.id >= 0) register(this.id, words);
  }

  /** Index of the first word found in [p+from, p+len) (earliest position), or -1; its offset
   * is left in `at`. */
  find(p: usize, len: usize, from: usize = 0): i32 {
    if (len < 2) return -1;
    let start = from;
    const id = this.id;
    if (id >= 0 && p == ixPtr && len == ixLen) {
      const c = unchecked(hitCount[id]);
      let last: usize = 0;
      for (let k = 0; k < c; k++) {
        const pos = <usize>unchecked(hitPos[id * MAX_HITS + k]);
        last = pos;
        if (pos >= from) {
          this.at = pos;
          return unchecked(hitWord[id * MAX_HITS + k]);
        }
      }
      if (!unchecked(hitOverflow[id])) return -1;
      if (last + 1 > start) start = last + 1;
    }
    const heads = this.heads;
    for (let i = start; i + 1 < len; i++) {
      if (this.id >= 0 && !maybe(p, i, len)) continue;
      let k = unchecked(heads[hash(lc(load<u8>(p + i)), lc(load<u8>(p + i + 1))) & 255]);
      while (k >= 0) {
        const b = unchecked(this.bytes[k]);
        const n = <usize>b.byteLength;
        if (i + n <= len && matches(p + i, changetype<usize>(b), n)) {
          this.at = i;
          return k;
        }
        k = unchecked(this.next[k]);
      }
    }
    return -1;
  }

  has(p: usize, len: usize): bool {
    return this.find(p, len, 0) >= 0;
  }
}

function matches(p: usize, w: usize, n: usize): bool {
  for (let j: usize = 0; j < n; j++) {
    if (lc(load<u8>(p + j)) != load<u8>(w + j)) return false;
  }
  return true;
}
