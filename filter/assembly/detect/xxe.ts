// XML external entities: a DOCTYPE declaring external (SYSTEM/PUBLIC) or parameter entities,
// an external DTD, entity expansion (billion laughs), XInclude, and XML Schema include, import,
// redefine or override naming a schemaLocation with a URI scheme or an absolute path. A DOCTYPE
// that only names the document type (<!DOCTYPE html>) and a schema that includes its neighbour by
// a relative name (schemaLocation="common.xsd") are fine.
import { AttackClass, CRITICAL, HIGH, LOW } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isAlnum, isAlpha, isSpace, skipSpace } from "../inspect/text";

const C = AttackClass.Xxe;

/** An XML declaration naming UTF-7: markup spelled `+ADw-` slips past byte-level checks, and
 * no application sends its documents that way. */
function utf7Declared(p: usize, len: usize): isize {
  const d = findNoCase(p, len, "<?xml", 0);
  if (d < 0) return -1;
  let e = <usize>d;
  while (e < len && e < <usize>d + 128 && load<u8>(p + e) != 0x3e) e++;
  const u = findNoCase(p + <usize>d, e - <usize>d, "utf-7", 0);
  return u >= 0 ? d : -1;
}

/** True when the element opened at `s` (after its '<') is a schema directive that loads another
 * schema: include, import, redefine or override, with any prefix (`xs:`, `xsd:`) or none. */
function schemaDirective(p: usize, s: usize, a: usize): bool {
  let e = s;
  let local = s;
  while (e < a) {
    const c = load<u8>(p + e);
    if (isSpace(c) || c == 0x2f || c == 0x3e) break;
    if (c == 0x3a) local = e + 1;
    e++;
  }
  const n = e - local;
  const end = p + e;
  if (n == 7) return atNoCase(p + local, end, "include");
  if (n == 6) return atNoCase(p + local, end, "import");
  if (n == 8) return atNoCase(p + local, end, "redefine") || atNoCase(p + local, end, "override");
  return false;
}

/** True when a schema location (its first byte at v) is fetched from elsewhere: a URI scheme of
 * two letters or more (a drive letter `C:` is one), or an absolute or UNC path. The W3C's own
 * schemas (`http://www.w3.org/2001/xml.xsd`), imported by many published schemas, are fine. */
function externalLocation(p: usize, len: usize, v: usize): bool {
  if (v >= len) return false;
  const c = load<u8>(p + v);
  if (c == 0x2f || c == 0x5c) return true;
  if (!isAlpha(c)) return false;
  let i = v + 1;
  while (i < len && i < v + 32) {
    const b = load<u8>(p + i);
    if (!isAlnum(b) && b != 0x2b && b != 0x2d && b != 0x2e) break;
    i++;
  }
  if (i - v < 2 || i >= len || load<u8>(p + i) != 0x3a) return false;
  const end = p + len;
  return !atNoCase(p + v, end, "http://www.w3.org/") && !atNoCase(p + v, end, "https://www.w3.org/");
}

/** Offset of a schemaLocation attribute of a schema directive that loads an external schema, or
 * -1. xsi:schemaLocation in an instance document (prefixed, and common) is a hint, not this. */
function externalSchema(p: usize, len: usize): isize {
  let from: usize = 0;
  let directive = false; // of the element holding the attribute found last
  // (each byte is searched and walked back over once: no cap on attributes, which would let
  // harmless ones in front hide the one that matters)
  while (true) {
    const at = findNoCase(p, len, "schemalocation", from);
    if (at < 0) return -1;
    const a = <usize>at;
    // Back to the '<' of the element holding it (attribute values hold no '<'), no further than
    // the previous attribute: without a '<' in between, it is in the same element.
    let s = a;
    while (s > from && load<u8>(p + s - 1) != 0x3c) s--;
    if (s > 0 && load<u8>(p + s - 1) == 0x3c) directive = schemaDirective(p, s, a);
    from = a + 14;
    if (!directive || a == 0 || !isSpace(load<u8>(p + a - 1))) continue;
    let v = skipSpace(p, len, from);
    if (v >= len || load<u8>(p + v) != 0x3d) continue;
    v = skipSpace(p, len, v + 1);
    if (v < len && (load<u8>(p + v) == 0x22 || load<u8>(p + v) == 0x27)) v++;
    if (externalLocation(p, len, v)) return at;
  }
  return -1; // not reached
}

export function detectXxe(p: usize, len: usize): void {
  const u7 = utf7Declared(p, len);
  if (u7 >= 0) {
    report(C, CRITICAL, 1, "utf7-document", <usize>u7, 48);
    return;
  }
  const dt = findNoCase(p, len, "<!doctype", 0);
  const en = findNoCase(p, len, "<!entity", 0);
  if (en >= 0) {
    let entities = 0;
    let from = <usize>en;
    let external = false;
    let parameter = false;
    while (entities < 64) {
      const at = findNoCase(p, len, "<!entity", from);
      if (at < 0) break;
      entities++;
      const a = <usize>at + 8;
      let e = a;
      while (e < len && load<u8>(p + e) != 0x3e) e++;
      if (findNoCase(p + a, e - a, "system", 0) >= 0 || findNoCase(p + a, e - a, "public", 0) >= 0) external = true;
      let k = a;
      while (k < e && isSpace(load<u8>(p + k))) k++;
      if (k < e && load<u8>(p + k) == 0x25) parameter = true;
      from = e;
    }
    if (external || parameter) {
      report(C, CRITICAL, 1, parameter ? "parameter-entity" : "external-entity", <usize>en, 80);
      return;
    }
    if (entities >= 3 && findNoCase(p, len, "&", <usize>en) >= 0) {
      report(C, CRITICAL, 1, "entity-expansion", <usize>en, 80);
      return;
    }
    // An internal entity alone stays below the threshold; what the document does besides (an
    // external DTD, XInclude, an external schema) is still looked at.
    report(C, HIGH, 1, "entity-declaration", <usize>en, 80);
  }
  if (dt >= 0) {
    const a = <usize>dt + 9;
    let e = a;
    while (e < len && load<u8>(p + e) != 0x3e && load<u8>(p + e) != 0x5b) e++;
    if (findNoCase(p + a, e - a, "system", 0) >= 0 || findNoCase(p + a, e - a, "public", 0) >= 0) {
      const isHtml = findNoCase(p + a, e - a, "html", 0) >= 0 && findNoCase(p + a, e - a, "w3.org", 0) >= 0;
      if (!isHtml) {
        report(C, CRITICAL, 1, "external-dtd", <usize>dt, 80);
        return;
      }
    }
    if (e < len && load<u8>(p + e) == 0x5b) report(C, LOW, 2, "internal-subset", <usize>dt, 80);
  }
  const xi = findNoCase(p, len, "xinclude", 0);
  if (xi >= 0 || findNoCase(p, len, "<xi:include", 0) >= 0) {
    report(C, CRITICAL, 1, "xinclude", xi >= 0 ? <usize>xi : 0, 64);
    return;
  }
  const xs = externalSchema(p, len);
  if (xs >= 0) {
    report(C, CRITICAL, 1, "external-schema", <usize>xs, 80);
    return;
  }
  const xsl = findNoCase(p, len, "<xsl:", 0);
  if (xsl >= 0 && (findNoCase(p, len, "document(", 0) >= 0 || findNoCase(p, len, "system-property(", 0) >= 0 ||
      findNoCase(p, len, "php:function", 0) >= 0 || findNoCase(p, len, "unparsed-text", 0) >= 0)) {
    report(C, HIGH, 1, "xslt", <usize>xsl, 64);
  }
}
