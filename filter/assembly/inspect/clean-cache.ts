// Values found clean, remembered per VM: the same User-Agent, cookie or query value arriving
// again is not inspected again. Direct-mapped (2048 slots), keyed by a seeded 64-bit hash
// of (kind, location, bytes) and the length; a value is remembered only when its inspection
// added no finding and dropped none through an exclusion. Forgotten whenever the detection
// settings change (another WafConfig object). The seed is random per VM, so colliding with a
// remembered value on purpose means guessing it.
import { randomBytes } from "../abi/host";
import { WafConfig } from "../config/waf-config";

const SLOTS = 2048;
const hashes = new StaticArray<u64>(SLOTS);
const lengths = new StaticArray<u32>(SLOTS);
let owner: WafConfig | null = null;
let seed: u64 = 0xcbf29ce484222325;
let seeded = false;
let key: u64 = 0;
let keyLen: u32 = 0;

export let hits: u64 = 0;

function clear(): void {
  for (let i = 0; i < SLOTS; i++) unchecked(lengths[i] = 0);
}

/** Use the cache of this configuration (clears it when the configuration changed). */
export function useCache(waf: WafConfig): void {
  if (!seeded) {
    seeded = true;
    const tmp = memory.data(8, 8);
    if (randomBytes(tmp, 8)) seed ^= load<u64>(tmp);
  }
  if (owner !== waf) {
    owner = waf;
    clear();
  }
}

function mix(h: u64, p: usize, len: usize): u64 {
  // Eight bytes a step (multiply and fold), the tail byte by byte.
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    h = (h ^ load<u64>(p + i)) * 0x9e3779b97f4a7c15;
    h ^= h >> 29;
  }
  for (; i < len; i++) {
    h ^= <u64>load<u8>(p + i);
    h *= 0x100000001b3;
  }
  return h;
}

/** Compute the key of a value; true when it is remembered as clean. */
export function known(kind: i32, lp: usize, ll: usize, p: usize, len: usize): bool {
  let h = seed ^ <u64>kind;
  h = mix(h, lp, ll);
  h ^= 0xff;
  h *= 0x100000001b3;
  h = mix(h, p, len);
  key = h;
  keyLen = <u32>len + 1;
  const slot = <i32>(h & (SLOTS - 1));
  if (unchecked(lengths[slot]) == keyLen && unchecked(hashes[slot]) == h) {
    hits++;
    return true;
  }
  return false;
}

/** Remember the value whose key `known` computed last. */
export function remember(): void {
  const slot = <i32>(key & (SLOTS - 1));
  unchecked(hashes[slot] = key);
  unchecked(lengths[slot] = keyLen);
}
