// Prototype pollution (JavaScript back ends): keys that reach an object's prototype when
// merged: `__proto__`, `constructor.prototype`, in JSON bodies, query and form keys
// (`__proto__[isAdmin]=1`, `constructor[prototype][x]=1`) and JSON carried in values.
import { AttackClass, CRITICAL, HIGH } from "../score";
import { report, scan } from "../inspect/scan";
import { findNoCase } from "../inspect/text";

const C = AttackClass.PrototypePollution;

/** A key (or a location path) naming the prototype. */
export function detectPrototypeKey(p: usize, len: usize): void {
  const a = findNoCase(p, len, "__proto__", 0);
  if (a >= 0) {
    report(C, CRITICAL, 1, "proto-key", <usize>a, 9);
    return;
  }
  const c = findNoCase(p, len, "constructor", 0);
  if (c >= 0 && findNoCase(p, len, "prototype", <usize>c) >= 0) report(C, CRITICAL, 1, "constructor-prototype", <usize>c, 21);
}

/** JSON in a string value: `{"__proto__": ...}` */
export function detectPrototypeValue(p: usize, len: usize): void {
  const a = findNoCase(p, len, "__proto__", 0);
  if (a < 0) return;
  const e = <usize>a + 9;
  let k = e;
  while (k < len && (load<u8>(p + k) == 0x22 || load<u8>(p + k) == 0x27 || load<u8>(p + k) == 0x20 || load<u8>(p + k) == 0x5d)) k++;
  if (k < len && (load<u8>(p + k) == 0x3a || load<u8>(p + k) == 0x5b || load<u8>(p + k) == 0x2e || load<u8>(p + k) == 0x3d)) {
    report(C, HIGH + 1, 1, "proto-key", <usize>a, 9);
  }
}

/** The JSON path of the current value (the location) reaches the prototype. */
export function prototypeInLocation(): void {
  const l = scan.location;
  const vp = scan.valuePtr;
  const vl = scan.valueLen;
  scan.valuePtr = l.ptr;
  scan.valueLen = l.len;
  detectPrototypeKey(l.ptr, l.len);
  scan.valuePtr = vp;
  scan.valueLen = vl;
}
