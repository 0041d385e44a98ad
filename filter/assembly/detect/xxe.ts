// XML external entities: a DOCTYPE declaring external (SYSTEM/PUBLIC) or parameter entities,
// an external DTD, entity expansion (billion laughs), XInclude. A DOCTYPE that only names the
// document type (<!DOCTYPE html>) is fine.
import { AttackClass, CRITICAL, HIGH, LOW } from "../score";
import { report } from "../inspect/scan";
import { findNoCase, isSpace } from "../inspect/text";

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
    if (external || parameter) report(C, CRITICAL, 1, parameter ? "parameter-entity" : "external-entity", <usize>en, 80);
    else if (entities >= 3 && findNoCase(p, len, "&", <usize>en) >= 0) report(C, CRITICAL, 1, "entity-expansion", <usize>en, 80);
    else report(C, HIGH, 1, "entity-declaration", <usize>en, 80);
    return;
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
  const xsl = findNoCase(p, len, "<xsl:", 0);
  if (xsl >= 0 && (findNoCase(p, len, "document(", 0) >= 0 || findNoCase(p, len, "system-property(", 0) >= 0 ||
      findNoCase(p, len, "php:function", 0) >= 0 || findNoCase(p, len, "unparsed-text", 0) >= 0)) {
    report(C, HIGH, 1, "xslt", <usize>xsl, 64);
  }
}
