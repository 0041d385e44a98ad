// Insecure deserialization markers: serialized objects of Java (raw, base64 rO0AB, hex
// aced0005), PHP (O:8:"Class":...), Python pickle, .NET BinaryFormatter and Json.NET $type
// gadgets, fastjson/Jackson @type, YAML tags that build objects, Ruby Marshal, node-serialize,
// java.beans.XMLDecoder.
import { AttackClass, CRITICAL, HIGH, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha, isDigitB, isSpace } from "../inspect/text";
import { WordSet } from "../inspect/word-set";

const C = AttackClass.Deserialization;

const MARKERS: StaticArray<string> = [
  "ro0ab", "aced0005", "_$$nd_func$$_", "!!python/object", "!!python/name", "!!python/apply",
  "!!javax.script", "!!java.", "!ruby/object", "!ruby/hash", "java.beans.xmldecoder",
  "com.sun.rowset.jdbcrowsetimpl", "objectdataprovider", "system.diagnostics.process",
  "typeconfusedelegate", "aaeaaad/////", "cos\nsystem", "cposix\nsystem", "c__builtin__",
  "csubprocess", "org.apache.commons.collections", "javax.management.", "bsh.interpreter",
  "org.springframework.context.support", "com.mchange.v2.c3p0", "java.lang.processbuilder",
  "gasv", "bahvog",
];
const MARKER_SET = new WordSet(MARKERS);
const TYPE_KEYS = new WordSet(["\"$type\"", "\"@type\""]);

export function detectDeserialization(p: usize, len: usize): void {
  // Raw Java stream magic
  if (len >= 4 && load<u8>(p) == 0xac && load<u8>(p + 1) == 0xed && load<u8>(p + 2) == 0x00 && load<u8>(p + 3) == 0x05) {
    report(C, CRITICAL, 1, "java-serialized", 0, 4);
    return;
  }
  let from: usize = 0;
  for (let n = 0; n < 8; n++) {
    const k = MARKER_SET.find(p, len, from);
    if (k < 0) break;
    const a = MARKER_SET.at;
    from = a + 1;
    // the base64 markers must start a token
    if ((k == 0 || k == 15 || k == 26 || k == 27) && a > 0 && (isAlpha(load<u8>(p + a - 1)) || isDigitB(load<u8>(p + a - 1)))) continue;
    if ((k == 26 || k == 27) && a + 8 > len) continue;
    report(C, k == 26 || k == 27 ? HIGH : CRITICAL, 1, "serialized-object", a, 48);
    return;
  }
  // PHP: O:<n>:"Class":<n>:{  C:<n>:"Class"
  for (let i: usize = 0; i + 6 < len; i++) {
    const c = load<u8>(p + i);
    if ((c == 0x4f || c == 0x43) && load<u8>(p + i + 1) == 0x3a && (i == 0 || !isAlpha(load<u8>(p + i - 1)))) {
      let j = i + 2;
      while (j < len && isDigitB(load<u8>(p + j))) j++;
      if (j > i + 2 && j + 2 < len && load<u8>(p + j) == 0x3a && load<u8>(p + j + 1) == 0x22) {
        report(C, CRITICAL, 1, "php-serialized", i, 48);
        return;
      }
    }
  }
  // Json.NET and fastjson type names
  if (!TYPE_KEYS.has(p, len)) return;
  const t = findNoCase(p, len, "\"$type\"", 0);
  if (t >= 0) {
    const a = <usize>t + 7;
    if (findNoCase(p + a, len - a < 96 ? len - a : 96, "system.", 0) >= 0 || findNoCase(p + a, len - a < 96 ? len - a : 96, "microsoft.", 0) >= 0) {
      report(C, CRITICAL, 1, "dotnet-type", <usize>t, 64);
      return;
    }
  }
  const at = findNoCase(p, len, "\"@type\"", 0);
  if (at >= 0) {
    const a = <usize>at + 7;
    const w = len - a < 96 ? len - a : 96;
    if (findNoCase(p + a, w, "java.", 0) >= 0 || findNoCase(p + a, w, "com.", 0) >= 0 || findNoCase(p + a, w, "org.", 0) >= 0 || findNoCase(p + a, w, "javax.", 0) >= 0) {
      report(C, CRITICAL, 1, "java-type", <usize>at, 64);
      return;
    }
    report(C, MEDIUM, 2, "java-type", <usize>at, 64);
  }
}
