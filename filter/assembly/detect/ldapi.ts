// LDAP filter injection: a value that closes the filter it was put in and opens another
// (`*)(uid=*))(|(uid=*`, `admin)(&)`, `x)(|(objectClass=*)`), or that is a filter itself.
import { AttackClass, CRITICAL, HIGH, LOW } from "../score";
import { report } from "../inspect/scan";
import { isAlpha, isDigitB, isSpace } from "../inspect/text";

const C = AttackClass.Ldapi;

/** After `(` at i: an operator or `attr=` (also ~= >= <=). */
function filterStart(p: usize, len: usize, i: usize): i32 {
  let j = i;
  while (j < len && (isSpace(load<u8>(p + j)) || load<u8>(p + j) == 0x28)) j++;
  if (j >= len) return 0;
  const c = load<u8>(p + j);
  if (c == 0x7c || c == 0x26 || c == 0x21) return 2;
  const s = j;
  while (j < len && (isAlpha(load<u8>(p + j)) || isDigitB(load<u8>(p + j)) || load<u8>(p + j) == 0x2d || load<u8>(p + j) == 0x2e || load<u8>(p + j) == 0x3b)) j++;
  if (j == s || !isAlpha(load<u8>(p + s))) return 0;
  if (j < len && (load<u8>(p + j) == 0x3d || ((load<u8>(p + j) == 0x7e || load<u8>(p + j) == 0x3e || load<u8>(p + j) == 0x3c) && j + 1 < len && load<u8>(p + j + 1) == 0x3d))) return 1;
  return 0;
}

export function detectLdapi(p: usize, len: usize): void {
  let best = 0;
  let at: usize = 0;
  for (let i: usize = 0; i + 1 < len; i++) {
    if (load<u8>(p + i) != 0x29) continue;
    let j = i + 1;
    while (j < len && isSpace(load<u8>(p + j))) j++;
    if (j >= len) continue;
    const c = load<u8>(p + j);
    if (c == 0x28) {
      const f = filterStart(p, len, j + 1);
      let score = 0;
      if (f == 2) score = CRITICAL;
      else if (f == 1) {
        // a wildcard or a second close makes it certain
        let star = false;
        for (let k: usize = 0; k < len; k++) if (load<u8>(p + k) == 0x2a) star = true;
        score = star || (i > 0 && load<u8>(p + i - 1) == 0x2a) ? CRITICAL : HIGH;
      }
      if (score > best) {
        best = score;
        at = i;
      }
    } else if (c == 0x29 && i > 0 && load<u8>(p + i - 1) == 0x2a) {
      if (CRITICAL > best) {
        best = CRITICAL;
        at = i - 1;
      }
    }
  }
  // A whole filter as the value: (|(uid=*)(cn=*)) or (&(objectClass=*)...)
  if (best < CRITICAL) {
    let i: usize = 0;
    while (i < len && isSpace(load<u8>(p + i))) i++;
    if (i + 2 < len && load<u8>(p + i) == 0x28 && (load<u8>(p + i + 1) == 0x7c || load<u8>(p + i + 1) == 0x26) && load<u8>(p + i + 2) == 0x28) {
      if (filterStart(p, len, i + 3) == 1) {
        best = CRITICAL;
        at = i;
      }
    }
    if (best == 0 && i + 1 < len && load<u8>(p + i) == 0x2a && load<u8>(p + i + 1) == 0x29) {
      best = HIGH;
      at = i;
    }
  }
  // A probe made of filter metacharacters only: *()|&
  if (best == 0 && len >= 4 && len <= 16) {
    let star = false, open = false, close = false, op = false, other = false;
    for (let k: usize = 0; k < len; k++) {
      const c = load<u8>(p + k);
      if (c == 0x2a) star = true;
      else if (c == 0x28) open = true;
      else if (c == 0x29) close = true;
      else if (c == 0x7c || c == 0x26 || c == 0x21) op = true;
      else if (c != 0x27 && c != 0x22 && c != 0x3d && c != 0x20) other = true;
    }
    if (star && open && close && op && !other) {
      best = CRITICAL;
      at = 0;
    }
  }
  if (best > 0) report(C, best, best >= HIGH ? 1 : 2, "filter-injection", at, 48);
  else if (len == 1 && load<u8>(p) == 0x2a) report(C, LOW, 3, "wildcard", 0, 1);
}
