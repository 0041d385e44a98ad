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

/** An extensible-match filter item (RFC 4515): `attr:dn:=value`, `attr:2.5.13.18:=value`,
 * `attr:dn:caseExactMatch:=value`, `:1.2.840.113556.1.4.803:=2` - the `:=` after a matching
 * rule only LDAP filters write. */
export function detectLdapExtensible(p: usize, len: usize): void {
  for (let i: usize = 1; i + 1 < len; i++) {
    if (load<u8>(p + i) != 0x3a || load<u8>(p + i + 1) != 0x3d) continue;
    // back over the rule: an OID (digits and dots, at least one dot) or `dn`
    let j = i;
    let dots = 0;
    let digits = 0;
    while (j > 0 && (isDigitB(load<u8>(p + j - 1)) || load<u8>(p + j - 1) == 0x2e)) {
      if (load<u8>(p + j - 1) == 0x2e) dots++;
      else digits++;
      j--;
    }
    const oid = dots >= 1 && digits >= 2 && j < i;
    const dn = !oid && i >= 3 && (load<u8>(p + i - 1) | 0x20) == 0x6e && (load<u8>(p + i - 2) | 0x20) == 0x64 && load<u8>(p + i - 3) == 0x3a;
    if (oid) {
      if (j == 0 || load<u8>(p + j - 1) != 0x3a) continue;
    } else if (!dn) {
      continue;
    }
    report(C, CRITICAL, 1, "extensible-match", j > 0 ? j - 1 : 0, 32);
    return;
  }
}
