// Remote file inclusion: a value that is a URL the application would fetch and run. What gives
// it away (not merely being a URL, which redirect and callback parameters legitimately carry):
// a query cut off with a trailing `?` or NUL, a script or text file on another host, an
// include-like parameter name, a numeric host, UNC paths, known web-shell names.
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report, scan } from "../inspect/scan";
import { atNoCase, findNoCase, isDigitB } from "../inspect/text";

const C = AttackClass.Rfi;

const EXTS: StaticArray<string> = [".txt", ".php", ".inc", ".phtml", ".pl", ".sh", ".cgi", ".py", ".jsp", ".asp", ".aspx", ".gif?", ".jpg?"];
const SHELLS: StaticArray<string> = ["c99", "r57", "webshell", "shell.txt", "cmd.txt", "phpshell", "wso.php", "b374k"];
const INCLUDE_PARAMS: StaticArray<string> = [
  "file", "page", "include", "inc", "path", "template", "dir", "document", "folder", "root",
  "pg", "style", "pdf", "doc", "lang", "module", "load", "conf", "show", "site", "view",
  "content", "layout", "mod", "require", "src", "source",
];

function includeParam(): bool {
  const l = scan.location;
  // the last segment of the location
  let s = l.len;
  while (s > 0 && load<u8>(l.ptr + s - 1) != 0x2e) s--;
  const p = l.ptr + s;
  const n = l.len - s;
  for (let i = 0; i < INCLUDE_PARAMS.length; i++) {
    const w = unchecked(INCLUDE_PARAMS[i]);
    if (findNoCase(p, n, w, 0) >= 0) return true;
  }
  return false;
}

export function detectRfi(p: usize, len: usize): void {
  let i: usize = 0;
  while (i < len && load<u8>(p + i) <= 0x20) i++;
  const end = p + len;
  let scheme: usize = 0;
  if (atNoCase(p + i, end, "http://")) scheme = 7;
  else if (atNoCase(p + i, end, "https://")) scheme = 8;
  else if (atNoCase(p + i, end, "ftp://")) scheme = 6;
  else if (atNoCase(p + i, end, "ftps://")) scheme = 7;
  else if (i + 2 < len && load<u8>(p + i) == 0x5c && load<u8>(p + i + 1) == 0x5c && (isHostByte(load<u8>(p + i + 2)) || load<u8>(p + i + 2) == 0x3a || load<u8>(p + i + 2) == 0x5b)) {
    // \\host\share: numeric hosts (IPv4, IPv6), script files and administrative shares (c$,
    // admin$) make it an inclusion
    let score = HIGH;
    let he = i + 2;
    let numeric = true;
    while (he < len && load<u8>(p + he) != 0x5c) {
      const c = load<u8>(p + he);
      if (!(isDigitB(c) || c == 0x2e || c == 0x3a || c == 0x5b || c == 0x5d)) numeric = false;
      he++;
    }
    for (let k = 0; k < EXTS.length; k++) if (findNoCase(p + he, len - he, unchecked(EXTS[k]), 0) >= 0) numeric = true;
    let se = he + 1;
    while (se < len && load<u8>(p + se) != 0x5c) se++;
    if (se > he + 2 && load<u8>(p + se - 1) == 0x24) numeric = true;
    if (numeric) score = CRITICAL;
    report(C, score, 1, "unc-path", i, len - i < 48 ? len - i : 48);
    return;
  } else if (i + 3 < len && load<u8>(p + i) == 0x2f && load<u8>(p + i + 1) == 0x2f && isHostByte(load<u8>(p + i + 2))) {
    scheme = 2; // scheme-relative //host/...
  }
  if (scheme == 0) return;
  const hs = i + scheme;
  let he = hs;
  while (he < len && load<u8>(p + he) != 0x2f && load<u8>(p + he) != 0x3f && load<u8>(p + he) != 0x23) he++;
  let numericHost = he > hs;
  for (let k = hs; k < he; k++) {
    const c = load<u8>(p + k);
    if (!(isDigitB(c) || c == 0x2e || c == 0x3a)) numericHost = false;
  }
  let score = 0;
  let rule = "";
  // trailing ? (the rest of the including path is cut off)
  if (load<u8>(p + len - 1) == 0x3f) {
    score = CRITICAL;
    rule = "trailing-question-mark";
  }
  for (let k = 0; k < SHELLS.length; k++) {
    if (findNoCase(p + he, len - he, unchecked(SHELLS[k]), 0) >= 0) {
      score = CRITICAL;
      rule = "web-shell";
    }
  }
  if (score < CRITICAL) {
    let ext = false;
    for (let k = 0; k < EXTS.length; k++) {
      if (findNoCase(p + he, len - he, unchecked(EXTS[k]), 0) >= 0) ext = true;
    }
    const inc = includeParam();
    if (ext && (inc || numericHost)) {
      score = CRITICAL;
      rule = "include-remote-script";
    } else if (ext) {
      score = HIGH;
      rule = "remote-script";
    } else if (inc) {
      if (MEDIUM > score) {
        score = MEDIUM;
        rule = "include-remote-url";
      }
    } else if (numericHost) {
      score = LOW;
      rule = "numeric-host";
    }
  }
  if (score > 0) report(C, score, score >= MEDIUM ? 1 : 2, rule, i, len - i < 64 ? len - i : 64);
}

function isHostByte(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}
