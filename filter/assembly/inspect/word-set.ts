// Sets of ASCII words (lower-case literals) searched in values, ignoring case. Every set is
// also registered in one shared keyword index: `indexValue()` walks a value once and records,
// for every set, where its words occur (a hash of each position's first two bytes finds the
// candidates), so that the detectors' many word lists cost one pass per value instead of one
// pass per list. `find()` answers from that index when asked about the indexed value, and
// scans directly otherwise (transformed copies, response bodies). Words are at least two bytes
// long. Built once at start.
import { indexOfEither, lc } from "./text";

const BUCKETS = 1024;
// The hot tables live in static linear memory (not managed arrays): the scan loops read them
// through plain pointers, with no per-access bookkeeping for the garbage collector.
// LOWER: ASCII lower-case of every byte.
const LOWER: usize = memory.data(256, 16);
// Blooms of words' three-byte windows with bit 5 cleared (ASCII letters fold to one case; the
// few other bytes that fold together only cost a false positive): one 32-bit load, a multiply
// and one bit test reject most positions of ordinary text.
// The shared index tests every second position only: a word starting at an odd position is
// seen from the next one, so each word enters with its bytes from offset 0 and from offset 1
// (missing bytes of short words enter with every value; a two-byte word's second byte goes
// to SECOND).
const BLOOM_BITS: u32 = 17;
const BLOOM: usize = memory.data(1 << (BLOOM_BITS - 3), 16);
const SECOND: usize = memory.data(256, 16);
// Words' first three bytes only: which of the two starts a hit covers is worth a chain walk.
const START_BITS: u32 = 16;
const START: usize = memory.data(1 << (START_BITS - 3), 16);
// Sets that are not in the shared index keep a small bloom of their own.
const OWN_BLOOM_BITS: u32 = 1 << 13;
// Chain heads of the shared index, by hash of the first two bytes (lower-case).
const HEADS: usize = memory.data(BUCKETS << 2, 16);
const FOLD: u32 = 0x00dfdfdf;

// @ts-ignore: decorator
@inline
function lcb(c: u32): u32 {
  return <u32>load<u8>(LOWER + <usize>c);
}

// @ts-ignore: decorator
@inline
function triHash(v: u32, bits: u32): u32 {
  return ((v & FOLD) * 0x9e3779b1) >> (32 - bits);
}

// @ts-ignore: decorator
@inline
function bitSet(table: usize, h: u32): void {
  const a = table + (<usize>(h >> 5) << 2);
  store<u32>(a, load<u32>(a) | (<u32>1 << (h & 31)));
}

// @ts-ignore: decorator
@inline
function bitTest(table: usize, h: u32): bool {
  return (load<u32>(table + (<usize>(h >> 5) << 2)) & (<u32>1 << (h & 31))) != 0;
}

let tablesReady = false;
function initTables(): void {
  if (tablesReady) return;
  tablesReady = true;
  for (let c = 0; c < 256; c++) store<u8>(LOWER + <usize>c, lc(<u8>c));
  for (let i = 0; i < BUCKETS; i++) store<i32>(HEADS + (<usize>i << 2), -1);
}

/** Enter a word (at w, n >= 2 bytes) into a bloom of `bits` bits. */
/** Enter a word of the shared index (see BLOOM). */
function indexAdd(w: usize, n: usize): void {
  bloomAdd(START, START_BITS, w, n);
  bloomAdd(BLOOM, BLOOM_BITS, w, n);
  if (n >= 4) {
    bloomAdd(BLOOM, BLOOM_BITS, w + 1, 3);
  } else if (n == 3) {
    bloomAdd(BLOOM, BLOOM_BITS, w + 1, 2);
  } else {
    const b = <u32>load<u8>(w + 1);
    store<u8>(SECOND + <usize>b, 1);
    if (b >= 0x61 && b <= 0x7a) store<u8>(SECOND + <usize>(b - 0x20), 1);
  }
}

function bloomAdd(table: usize, bits: u32, w: usize, n: usize): void {
  const ab = <u32>load<u8>(w) | (<u32>load<u8>(w + 1) << 8);
  if (n >= 3) {
    bitSet(table, triHash(ab | (<u32>load<u8>(w + 2) << 16), bits));
    return;
  }
  for (let c: u32 = 0; c < 256; c++) bitSet(table, triHash(ab | (c << 16), bits));
}

/** The three bytes at p+i (zero past the end), as a little-endian word. */
// @ts-ignore: decorator
@inline
function tri3(p: usize, i: usize, len: usize): u32 {
  if (i + 4 <= len) return load<u32>(p + i);
  let v = <u32>load<u8>(p + i) | (<u32>load<u8>(p + i + 1) << 8);
  if (i + 2 < len) v |= <u32>load<u8>(p + i + 2) << 16;
  return v;
}

/** Could a word of the bloom start at p+i? */
// @ts-ignore: decorator
@inline
function maybe(table: usize, bits: u32, p: usize, i: usize, len: usize): bool {
  return bitTest(table, triHash(tri3(p, i, len), bits));
}

const MAX_HITS = 8;
const MAX_SETS = 32;

// The shared index, as it is built.
const gNext = new Array<i32>();
const gSet = new Array<i32>();
const gWord = new Array<i32>();
const gBytes = new Array<ArrayBuffer>();
// Frozen copies of the arrays above, made at the first use (after every set registered); the
// words' bytes are kept alive by gBytes (the collector does not move objects).
let fNext = new StaticArray<i32>(0);
let fSet = new StaticArray<i32>(0);
let fWord = new StaticArray<i32>(0);
let fPtr = new StaticArray<usize>(0);
let fLen = new StaticArray<usize>(0);
let frozen = -1;
let setCount = 0;
let ixPtr: usize = 0;
let ixLen: usize = usize.MAX_VALUE;
const hitPos: usize = memory.data(MAX_SETS * MAX_HITS * 4, 16);
const hitWord: usize = memory.data(MAX_SETS * MAX_HITS * 4, 16);
const hitCount: usize = memory.data(MAX_SETS * 4, 16);
const hitOverflow: usize = memory.data(MAX_SETS, 16);

// @ts-ignore: decorator
@inline
function hash(a: u32, b: u32): u32 {
  return ((a * 31) ^ (b * 7)) & (BUCKETS - 1);
}

function register(setId: i32, words: StaticArray<string>): void {
  initTables();
  for (let i = words.length - 1; i >= 0; i--) {
    const b = String.UTF8.encode(unchecked(words[i]));
    const g = gBytes.length;
    gBytes.push(b);
    gSet.push(setId);
    gWord.push(i);
    const w = changetype<usize>(b);
    const h = hash(<u32>load<u8>(w), <u32>load<u8>(w + 1));
    indexAdd(w, <usize>b.byteLength);
    gNext.push(load<i32>(HEADS + (<usize>h << 2)));
    store<i32>(HEADS + (<usize>h << 2), g);
  }
}

function freeze(): void {
  const n = gBytes.length;
  fNext = StaticArray.fromArray(gNext);
  fSet = StaticArray.fromArray(gSet);
  fWord = StaticArray.fromArray(gWord);
  fPtr = new StaticArray<usize>(n);
  fLen = new StaticArray<usize>(n);
  for (let i = 0; i < n; i++) {
    const b = unchecked(gBytes[i]);
    unchecked(fPtr[i] = changetype<usize>(b));
    unchecked(fLen[i] = <usize>b.byteLength);
  }
  frozen = n;
}

/** Index [p, p+len): every registered set's occurrences (at most MAX_HITS each). */
export function indexValue(p: usize, len: usize): void {
  if (frozen != gBytes.length) freeze();
  memory.fill(hitCount, 0, <usize>setCount << 2);
  memory.fill(hitOverflow, 0, <usize>setCount);
  ixPtr = p;
  ixLen = len;
  if (len < 2) return;
  // Every second position (see BLOOM); a hit there walks the chains of the word starts it
  // covers, the odd one before it and itself, so starts are walked once and in order.
  for (let i: usize = 0; i < len; i += 2) {
    let v: u32;
    if (i + 4 <= len) {
      v = load<u32>(p + i);
    } else {
      v = <u32>load<u8>(p + i);
      if (i + 1 < len) v |= <u32>load<u8>(p + i + 1) << 8;
      if (i + 2 < len) v |= <u32>load<u8>(p + i + 2) << 16;
    }
    if (!bitTest(BLOOM, triHash(v, BLOOM_BITS)) && load<u8>(SECOND + <usize>(v & 0xff)) == 0) continue;
    // The starts' bloom is tested here, so that only likely starts pay for a call.
    if (i > 0 && maybe(START, START_BITS, p, i - 1, len)) walk(p, len, i - 1);
    if (i + 1 < len && bitTest(START, triHash(v, START_BITS))) walk(p, len, i);
  }
}

/** Record the words of the shared index that start at p+i (i + 1 < len; the START bloom said
 * one may). */
function walk(p: usize, len: usize, i: usize): void {
  const next = changetype<usize>(fNext);
  const sets = changetype<usize>(fSet);
  const wordIx = changetype<usize>(fWord);
  const ptrs = changetype<usize>(fPtr);
  const lens = changetype<usize>(fLen);
  let k = load<i32>(HEADS + (<usize>hash(lcb(<u32>load<u8>(p + i)), lcb(<u32>load<u8>(p + i + 1))) << 2));
  while (k >= 0) {
    const kk = <usize>k << alignof<usize>();
    const n = load<usize>(lens + kk);
    if (i + n <= len && matches(p + i, load<usize>(ptrs + kk), n)) {
      const s = <usize>load<i32>(sets + (<usize>k << 2));
      const c = load<i32>(hitCount + (s << 2));
      if (c < MAX_HITS) {
        const slot = (s * MAX_HITS + <usize>c) << 2;
        store<u32>(hitPos + slot, <u32>i);
        store<i32>(hitWord + slot, load<i32>(wordIx + (<usize>k << 2)));
        store<i32>(hitCount + (s << 2), c + 1);
      } else {
        store<u8>(hitOverflow + s, 1);
      }
    }
    k = load<i32>(next + (<usize>k << 2));
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
  /** Its own bloom (for direct scans). */
  private readonly bloom: usize;
  private readonly id: i32;
  /** When every word starts with one of at most two bytes (letter cases counted apart), the
   * direct scan jumps from one of them to the next eight bytes at a time. */
  private first0: i32 = -1;
  private first1: i32 = -1;
  private jump: bool = false;
  /** Offset of the last match (after find). */
  at: usize = 0;

  /** `indexed`: the set is searched in the values the detectors inspect (inspect/value.ts), so
   * it joins the shared index; sets searched elsewhere (response bodies, the path, the
   * User-Agent) stay out of it and do not slow it down. */
  constructor(readonly words: StaticArray<string>, indexed: bool = true) {
    initTables();
    const n = words.length;
    this.next = new StaticArray<i32>(n);
    this.bytes = new StaticArray<ArrayBuffer>(n);
    this.bloom = heap.alloc(OWN_BLOOM_BITS >> 3);
    memory.fill(this.bloom, 0, OWN_BLOOM_BITS >> 3);
    for (let i = 0; i < 256; i++) unchecked(this.heads[i] = -1);
    for (let i = n - 1; i >= 0; i--) {
      const b = String.UTF8.encode(unchecked(words[i]));
      unchecked(this.bytes[i] = b);
      const h = hash(<u32>load<u8>(changetype<usize>(b)), <u32>load<u8>(changetype<usize>(b) + 1)) & 255;
      unchecked(this.next[i] = this.heads[h]);
      unchecked(this.heads[h] = i);
      bloomAdd(this.bloom, 13, changetype<usize>(b), <usize>b.byteLength);
    }
    let distinct = 0;
    for (let i = 0; i < n && distinct <= 2; i++) {
      const c = <i32>load<u8>(changetype<usize>(unchecked(this.bytes[i])));
      const upper = c >= 0x61 && c <= 0x7a ? c - 0x20 : -1;
      for (let v = 0; v < 2; v++) {
        const x = v == 0 ? c : upper;
        if (x < 0 || x == this.first0 || x == this.first1) continue;
        if (this.first0 < 0) this.first0 = x;
        else if (this.first1 < 0) this.first1 = x;
        distinct++;
      }
    }
    this.jump = n > 0 && distinct <= 2;
    if (this.first1 < 0) this.first1 = this.first0;
    this.id = indexed && setCount < MAX_SETS ? setCount++ : -1;
    if (this.id >= 0) register(this.id, words);
  }

  /** Index of the first word found in [p+from, p+len) (earliest position), or -1; its offset
   * is left in `at`. */
  find(p: usize, len: usize, from: usize = 0): i32 {
    if (len < 2) return -1;
    let start = from;
    const id = this.id;
    if (id >= 0 && p == ixPtr && len == ixLen) {
      const c = load<i32>(hitCount + (<usize>id << 2));
      let last: usize = 0;
      for (let k = 0; k < c; k++) {
        const slot = (<usize>id * MAX_HITS + <usize>k) << 2;
        const pos = <usize>load<u32>(hitPos + slot);
        last = pos;
        if (pos >= from) {
          this.at = pos;
          return load<i32>(hitWord + slot);
        }
      }
      if (load<u8>(hitOverflow + <usize>id) == 0) return -1;
      if (last + 1 > start) start = last + 1;
    }
    const heads = changetype<usize>(this.heads);
    const next = changetype<usize>(this.next);
    const bytes = changetype<usize>(this.bytes);
    const bloom = this.bloom;
    const jump = this.jump;
    const f0 = <u8>this.first0;
    const f1 = <u8>this.first1;
    for (let i = start; i + 1 < len; i++) {
      if (jump) {
        i = indexOfEither(p, i, len, f0, f1);
        if (i + 1 >= len) break;
      }
      if (!maybe(bloom, 13, p, i, len)) continue;
      let k = load<i32>(heads + (<usize>(hash(lcb(<u32>load<u8>(p + i)), lcb(<u32>load<u8>(p + i + 1))) & 255) << 2));
      while (k >= 0) {
        const b = load<usize>(bytes + (<usize>k << alignof<usize>()));
        const n = <usize>changetype<ArrayBuffer>(b).byteLength;
        if (i + n <= len && matches(p + i, b, n)) {
          this.at = i;
          return k;
        }
        k = load<i32>(next + (<usize>k << 2));
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
    if (lcb(<u32>load<u8>(p + j)) != <u32>load<u8>(w + j)) return false;
  }
  return true;
}
