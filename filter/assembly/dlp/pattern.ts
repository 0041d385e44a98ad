// Custom DLP sensor patterns: a small regular-expression subset matched by backtracking with a
// step budget (a pattern can never run away). Syntax: literals; `.`; classes `[a-z0-9_-]`,
// `[^...]`; escapes `\d \w \s \D \W \S` and `\` before any punctuation; quantifiers `* + ?`
// `{n}` `{n,}` `{n,m}` (greedy) on the preceding atom; anchors `^ $`; `|` between whole
// alternatives; a leading `(?i)` makes letters match either case. No groups.
let MAX_STEPS: usize = 20000;
let steps: usize = 0;
let ci = false;

/** Check a pattern's syntax; returns an error message or null. */
export function checkPattern(p: usize, len: usize): string | null {
  if (len == 0) return "must not be empty";
  let i: usize = 0;
  if (len >= 4 && load<u8>(p) == 0x28 && load<u8>(p + 1) == 0x3f && load<u8>(p + 2) == 0x69 && load<u8>(p + 3) == 0x29) i = 4;
  let atom = false;
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == 0x5c) {
      if (i + 1 >= len) return "ends with a backslash";
      i += 2;
      atom = true;
      continue;
    }
    if (c == 0x5b) {
      let j = i + 1;
      if (j < len && load<u8>(p + j) == 0x5e) j++;
      if (j < len && load<u8>(p + j) == 0x5d) j++;
      while (j < len && load<u8>(p + j) != 0x5d) {
        if (load<u8>(p + j) == 0x5c) j++;
        j++;
      }
      if (j >= len) return "a character class is not closed";
      i = j + 1;
      atom = true;
      continue;
    }
    if (c == 0x28 || c == 0x29) return "groups are not supported";
    if (c == 0x2a || c == 0x2b || c == 0x3f) {
      if (!atom) return "a quantifier follows nothing";
      atom = false;
      i++;
      continue;
    }
    if (c == 0x7b) {
      if (!atom) return "a quantifier follows nothing";
      let j = i + 1;
      let digits = 0;
      while (j < len && ((load<u8>(p + j) >= 0x30 && load<u8>(p + j) <= 0x39) || load<u8>(p + j) == 0x2c)) {
        j++;
        digits++;
      }
      if (j >= len || load<u8>(p + j) != 0x7d || digits == 0) return "a {n,m} quantifier is malformed";
      i = j + 1;
      atom = false;
      continue;
    }
    atom = c != 0x7c && c != 0x5e && c != 0x24;
    i++;
  }
  return null;
}

function lower(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Length of the atom at pattern offset i. */
function atomLen(p: usize, len: usize, i: usize): usize {
  const c = load<u8>(p + i);
  if (c == 0x5c) return 2;
  if (c == 0x5b) {
    let j = i + 1;
    if (j < len && load<u8>(p + j) == 0x5e) j++;
    if (j < len && load<u8>(p + j) == 0x5d) j++;
    while (j < len && load<u8>(p + j) != 0x5d) {
      if (load<u8>(p + j) == 0x5c) j++;
      j++;
    }
    return j + 1 - i;
  }
  return 1;
}

function classMatch(cls: u8, c: u8): bool {
  const isD = c >= 0x30 && c <= 0x39;
  const isW = isD || (lower(c) >= 0x61 && lower(c) <= 0x7a) || c == 0x5f;
  const isS = c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c;
  if (cls == 0x64) return isD;
  if (cls == 0x44) return !isD;
  if (cls == 0x77) return isW;
  if (cls == 0x57) return !isW;
  if (cls == 0x73) return isS;
  if (cls == 0x53) return !isS;
  if (cls == 0x6e) return c == 0x0a;
  if (cls == 0x74) return c == 0x09;
  return c == cls;
}

function atomMatch(p: usize, i: usize, n: usize, c: u8): bool {
  const a = load<u8>(p + i);
  if (a == 0x2e) return c != 0x0a;
  if (a == 0x5c) return classMatch(load<u8>(p + i + 1), c);
  if (a == 0x5b) {
    let j = i + 1;
    const end = i + n - 1;
    let neg = false;
    if (load<u8>(p + j) == 0x5e) {
      neg = true;
      j++;
    }
    let hit = false;
    const lc = ci ? lower(c) : c;
    while (j < end) {
      let lo = load<u8>(p + j);
      if (lo == 0x5c && j + 1 < end) {
        if (classMatch(load<u8>(p + j + 1), c)) hit = true;
        j += 2;
        continue;
      }
      let hi = lo;
      if (j + 2 < end && load<u8>(p + j + 1) == 0x2d) {
        hi = load<u8>(p + j + 2);
        j += 3;
      } else {
        j++;
      }
      if (ci) {
        lo = lower(lo);
        hi = lower(hi);
      }
      if ((c >= lo && c <= hi) || (lc >= lo && lc <= hi)) hit = true;
    }
    return hit != neg;
  }
  return ci ? lower(a) == lower(c) : a == c;
}

/** Match the alternative [pi, pe) at text offset ti; returns the end offset or -1. */
function matchHere(p: usize, pi: usize, pe: usize, t: usize, tl: usize, ti: usize): isize {
  while (true) {
    if (++steps > MAX_STEPS) return -1;
    if (pi >= pe) return <isize>ti;
    const c = load<u8>(p + pi);
    if (c == 0x24 && pi + 1 == pe) return ti == tl ? <isize>ti : -1;
    const n = atomLen(p, pe, pi);
    let min: usize = 1;
    let max: usize = 1;
    let next = pi + n;
    if (next < pe) {
      const q = load<u8>(p + next);
      if (q == 0x2a) { min = 0; max = usize.MAX_VALUE; next++; }
      else if (q == 0x2b) { min = 1; max = usize.MAX_VALUE; next++; }
      else if (q == 0x3f) { min = 0; max = 1; next++; }
      else if (q == 0x7b) {
        let j = next + 1;
        let a: usize = 0;
        while (j < pe && load<u8>(p + j) >= 0x30 && load<u8>(p + j) <= 0x39) { a = a * 10 + <usize>(load<u8>(p + j) - 0x30); j++; }
        min = a;
        max = a;
        if (j < pe && load<u8>(p + j) == 0x2c) {
          j++;
          if (load<u8>(p + j) == 0x7d) max = usize.MAX_VALUE;
          else {
            let b: usize = 0;
            while (j < pe && load<u8>(p + j) >= 0x30 && load<u8>(p + j) <= 0x39) { b = b * 10 + <usize>(load<u8>(p + j) - 0x30); j++; }
            max = b;
          }
        }
        next = j + 1;
      }
    }
    if (min == 1 && max == 1) {
      if (ti >= tl || !atomMatch(p, pi, n, load<u8>(t + ti))) return -1;
      ti++;
      pi = next;
      continue;
    }
    // greedy: take as many as possible, then back off
    let k: usize = 0;
    while (k < max && ti + k < tl && atomMatch(p, pi, n, load<u8>(t + ti + k))) k++;
    if (k < min) return -1;
    while (true) {
      const r = matchHere(p, next, pe, t, tl, ti + k);
      if (r >= 0) return r;
      if (k == min || steps > MAX_STEPS) return -1;
      k--;
    }
  }
  return -1;
}

export let matchStart: usize = 0;
export let matchEnd: usize = 0;

/** Search text [t, t+tl) for the pattern; true with matchStart/matchEnd set. */
export function search(pat: ArrayBuffer, t: usize, tl: usize): bool {
  const p = changetype<usize>(pat);
  let pl = <usize>pat.byteLength;
  let start: usize = 0;
  ci = false;
  if (pl >= 4 && load<u8>(p) == 0x28 && load<u8>(p + 1) == 0x3f && load<u8>(p + 2) == 0x69 && load<u8>(p + 3) == 0x29) {
    ci = true;
    start = 4;
  }
  steps = 0;
  // alternatives
  let a = start;
  while (a <= pl) {
    let e = a;
    while (e < pl) {
      const c = load<u8>(p + e);
      if (c == 0x5c) { e += 2; continue; }
      if (c == 0x5b) { e += atomLen(p, pl, e); continue; }
      if (c == 0x7c) break;
      e++;
    }
    if (e > pl) e = pl;
    const anchored = e > a && load<u8>(p + a) == 0x5e;
    const pa = anchored ? a + 1 : a;
    steps = 0;
    MAX_STEPS = 64 * tl + 10000;
    for (let ti: usize = 0; ti <= tl; ti++) {
      const r = matchHere(p, pa, e, t, tl, ti);
      if (r >= 0 && <usize>r > ti) {
        matchStart = ti;
        matchEnd = <usize>r;
        return true;
      }
      if (anchored || steps > MAX_STEPS) break;
    }
    a = e + 1;
  }
  return false;
}
