// NoSQL (MongoDB) injection: query operators where a plain value was expected. In keys
// (`user[$ne]=x` in a query or form, `{"user": {"$ne": null}}` in JSON), in values that carry a
// JSON object with operators, and JavaScript injected into $where (`'; return true; var a='`).
import { AttackClass, CRITICAL, HIGH, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha, isSpace } from "../inspect/text";
import { WordSet } from "../inspect/word-set";

const JS_WORDS = new WordSet(["return", "db.", "this.", "new date"]);

// Collection methods of the mongo shell: db.<collection>.<method>(
const SHELL_METHODS: StaticArray<string> = [
  "find", "findone", "insert", "insertone", "insertmany", "update", "updateone", "updatemany",
  "remove", "deleteone", "deletemany", "drop", "aggregate", "count", "mapreduce", "save",
  "replaceone", "findoneandupdate", "findoneanddelete", "renamecollection", "createindex",
];

const C = AttackClass.Nosqli;

// The first STRONG operators are attacks on their own.
const OPS: StaticArray<string> = [
  "$ne", "$gt", "$gte", "$lt", "$lte", "$regex", "$nin", "$exists", "$where", "$function",
  "$accumulator", "$expr", "$not", "$or", "$nor", "$jsonschema",
  "$in", "$eq", "$and", "$all", "$size", "$type", "$elemmatch", "$mod", "$text", "$lookup",
];
const STRONG = 16;

/** An operator name at [p, p+len) exactly; returns its index or -1. */
function opIndex(p: usize, len: usize): i32 {
  for (let i = 0; i < OPS.length; i++) {
    const o = unchecked(OPS[i]);
    if (<usize>o.length == len && atNoCase(p, p + len, o)) return i;
  }
  return -1;
}

/** A key: JSON `$ne`, or a bracketed form/query key `user[$ne]`, `a[b][$gt]`. */
export function detectNosqlKey(p: usize, len: usize): void {
  let i: usize = 0;
  while (i < len) {
    if (load<u8>(p + i) == 0x24) {
      let e = i + 1;
      while (e < len && isAlpha(load<u8>(p + e))) e++;
      const k = opIndex(p + i, e - i);
      const bracketed = i > 0 && load<u8>(p + i - 1) == 0x5b;
      if (k >= 0 && (i == 0 || bracketed)) {
        report(C, k < STRONG ? CRITICAL : (bracketed ? HIGH : MEDIUM), 1, "query-operator", i, e - i);
        return;
      }
      i = e;
      continue;
    }
    i++;
  }
}

/** The value starts with a statement break: `;`, or a short operand or quote right before it. */
function breakFirst(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  const s = i;
  while (i < len && i - s < 12) {
    const c = load<u8>(p + i);
    if (!(isAlpha(c) || (c >= 0x30 && c <= 0x39) || c == 0x27 || c == 0x22 || c == 0x29)) break;
    i++;
  }
  return i < len && load<u8>(p + i) == 0x3b;
}

/** At i (after `db.`): <collection>.<method>( with a mongo shell method. */
function shellCall(p: usize, len: usize, i: usize): bool {
  let j = i;
  while (j < len && (isAlpha(load<u8>(p + j)) || (load<u8>(p + j) >= 0x30 && load<u8>(p + j) <= 0x39) || load<u8>(p + j) == 0x5f)) j++;
  if (j == i || j >= len || load<u8>(p + j) != 0x2e) return false;
  const m = j + 1;
  let e = m;
  while (e < len && isAlpha(load<u8>(p + e))) e++;
  if (e >= len || load<u8>(p + e) != 0x28) return false;
  for (let k = 0; k < SHELL_METHODS.length; k++) {
    const w = unchecked(SHELL_METHODS[k]);
    if (<usize>w.length == e - m && atNoCase(p + m, p + e, w)) return true;
  }
  return false;
}

export function detectNosqlValue(p: usize, len: usize): void {
  // {"$ne": ...} or {$gt: ''} inside a string value
  let i: usize = 0;
  while (i + 3 < len) {
    const c = load<u8>(p + i);
    if (c == 0x24 && i > 0) {
      const prev = load<u8>(p + i - 1);
      if (prev == 0x22 || prev == 0x27 || prev == 0x7b || prev == 0x5b || isSpace(prev)) {
        let e = i + 1;
        while (e < len && isAlpha(load<u8>(p + e))) e++;
        const k = opIndex(p + i, e - i);
        if (k >= 0) {
          let j = e;
          while (j < len && (load<u8>(p + j) == 0x22 || load<u8>(p + j) == 0x27 || load<u8>(p + j) == 0x5d || isSpace(load<u8>(p + j)))) j++;
          if (j < len && (load<u8>(p + j) == 0x3a || load<u8>(p + j) == 0x3d)) {
            report(C, k < STRONG ? CRITICAL : HIGH, 1, "query-operator", i, e - i + 8);
            return;
          }
        }
      }
    }
    i++;
  }
  // JavaScript in $where: a quote, ';' and return / this; shell queries: db.<collection>.
  if (!JS_WORDS.has(p, len)) return;
  const r = findNoCase(p, len, "return", 0);
  if (r > 0) {
    let b = <usize>r;
    while (b > 0 && isSpace(load<u8>(p + b - 1))) b--;
    if (b > 0 && load<u8>(p + b - 1) == 0x3b) {
      let q = b - 1;
      while (q > 0 && isSpace(load<u8>(p + q - 1))) q--;
      if (q > 0 && (load<u8>(p + q - 1) == 0x27 || load<u8>(p + q - 1) == 0x22)) {
        report(C, CRITICAL, 1, "where-javascript", q - 1, 32);
        return;
      }
    }
  }
  const db = findNoCase(p, len, "db.", 0);
  if (db >= 0 && (db == 0 || !isAlpha(load<u8>(p + <usize>db - 1)))) {
    if (shellCall(p, len, <usize>db + 3) || findNoCase(p, len, "getcollection", 0) >= 0) {
      // at the start, or after a statement or string break: `'; db.users.drop(); '`
      let b = <usize>db;
      while (b > 0 && isSpace(load<u8>(p + b - 1))) b--;
      const c: u8 = b > 0 ? load<u8>(p + b - 1) : 0x3b;
      report(C, c == 0x3b || c == 0x27 || c == 0x22 || c == 0x7b || c == 0x28 ? CRITICAL : HIGH, 1, "shell-query", <usize>db, 32);
      return;
    }
  }
  // A busy-wait delay in $where: `new Date()` read again in a loop until time has passed.
  const nd = findNoCase(p, len, "new date", 0);
  // The value must open with the break (`;`, `0;`, `';`): a snippet of code in a post does not.
  if (nd >= 0 && breakFirst(p, len) && (findNoCase(p, len, "while", 0) >= 0 || findNoCase(p, len, "for(", 0) >= 0 || findNoCase(p, len, "for (", 0) >= 0)) {
    report(C, CRITICAL, 1, "where-delay", <usize>nd, 32);
    return;
  }
  const th = findNoCase(p, len, "this.", 0);
  if (th >= 0 && (findNoCase(p, len, "==", 0) >= 0 || findNoCase(p, len, ".match(", 0) >= 0) && (findNoCase(p, len, "'", 0) >= 0 || findNoCase(p, len, "\"", 0) >= 0)) {
    report(C, MEDIUM, 1, "where-javascript", <usize>th, 32);
  }
}
