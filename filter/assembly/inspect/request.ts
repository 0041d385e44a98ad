// Where the engine looks in a request's head: the path, each query parameter (key and value),
// each header that carries client data (User-Agent, Referer, Cookie values one by one,
// X-Forwarded-*, custom headers), and the HTTP framing itself (protocol abuse: smuggling
// shapes, bad Content-Length, control bytes, unknown methods, overlong lines, too many headers).
// Locations name what matched: `path`, `query.id`, `header.user-agent`, `cookie.session`.
import { ByteBuffer } from "../bytes";
import { RequestFacts } from "../http/request-facts";
import { AttackClass, CRITICAL, HIGH, MEDIUM } from "../score";
import { Metric, count } from "../metrics";
import { normalize, normLen, normPtr } from "../decode/normalize";
import { detectScannerAgent, reportScannerHeader, scannerHeader } from "../detect/scanner";
import { report, scan } from "./scan";
import { atNoCase, isAlpha, isDigitB } from "./text";
import { Where, inspectValue } from "./value";
import { isBase64Like } from "../decode/candidates";
import { WordSet } from "./word-set";

const MAX_HEADERS = 100;
const MAX_LINE: usize = 8192;
const keyBuf = new ByteBuffer(64);

// Headers whose values are framing, negotiation or opaque tokens: not inspected as data.
const SKIP: StaticArray<string> = [
  "host", "content-length", "accept", "accept-encoding", "accept-language", "connection",
  "cache-control", "pragma", "te", "upgrade-insecure-requests", "x-request-id", "traceparent",
  "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags",
  "b3", "if-none-match", "if-modified-since", "dnt", "priority", "x-forwarded-proto",
  "x-forwarded-port", "content-encoding", "transfer-encoding", "authorization", "x-envoy-attempt-count",
  "x-envoy-expected-rq-timeout-ms", "x-envoy-internal", "keep-alive", "upgrade", "sec-fetch-site",
  "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user", "sec-ch-ua-mobile", "sec-ch-ua-platform",
  "sec-websocket-key", "sec-websocket-version", "if-match", "if-range", "range", "expect",
  "x-amzn-trace-id", "x-cloud-trace-context", "x-datadog-trace-id", "x-datadog-parent-id",
  "content-type", "x-csrf-token", "x-xsrf-token", "accept-charset",
];

const METHODS: StaticArray<string> = [
  "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "PROPFIND",
  "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT", "MKACTIVITY",
  "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "LINK",
  "UNLINK", "BIND", "REBIND", "UNBIND", "ACL", "MKCALENDAR", "VERSION-CONTROL", "QUERY", "BAN",
  "MKWORKSPACE", "UPDATE", "LABEL", "BASELINE-CONTROL", "MKREDIRECTREF", "UPDATEREDIRECTREF", "ORDERPATCH",
];

// SKIP by name length: the first entry of each length, then the next of the same length.
const SKIP_MAX_LEN = 40;
const skipFirst = new StaticArray<i32>(SKIP_MAX_LEN + 1);
const skipNext = new StaticArray<i32>(SKIP.length);
function initSkip(): void {
  for (let l = 0; l <= SKIP_MAX_LEN; l++) unchecked(skipFirst[l] = -1);
  for (let i = SKIP.length - 1; i >= 0; i--) {
    const l = unchecked(SKIP[i]).length;
    if (l > SKIP_MAX_LEN) abort("SKIP entry too long");
    unchecked(skipNext[i] = skipFirst[l]);
    unchecked(skipFirst[l] = i);
  }
}
initSkip();

function skipped(k: usize, kl: usize): bool {
  if (kl > <usize>SKIP_MAX_LEN) return false;
  let i = unchecked(skipFirst[<i32>kl]);
  while (i >= 0) {
    if (atNoCase(k, k + kl, unchecked(SKIP[i]))) return true;
    i = unchecked(skipNext[i]);
  }
  return false;
}

// Byte classes: 1 = token character (RFC 9110), 2 = control byte (not tab), 4 = NUL,
// 8 = a character of payloads that go in any header.
const BYTE_CLASS = new StaticArray<u8>(256);
function initByteClass(): void {
  for (let c = 0; c < 256; c++) {
    const b = <u8>c;
    let k: u8 = 0;
    if (isAlpha(b) || isDigitB(b) || b == 0x21 || b == 0x23 || b == 0x24 || b == 0x25 || b == 0x26 ||
        b == 0x27 || b == 0x2a || b == 0x2b || b == 0x2d || b == 0x2e || b == 0x5e || b == 0x5f ||
        b == 0x60 || b == 0x7c || b == 0x7e) k |= 1;
    if ((b < 0x20 && b != 0x09) || b == 0x7f) k |= 2;
    if (b == 0) k |= 4;
    if (b == 0x24 || b == 0x23 || b == 0x25 || b == 0x28) k |= 8;
    unchecked(BYTE_CLASS[c] = k);
  }
}
initByteClass();

// @ts-ignore: decorator
@inline
function isToken(c: u8): bool {
  return (load<u8>(changetype<usize>(BYTE_CLASS) + <usize>c) & 1) != 0;
}

function controlBytes(p: usize, len: usize): i32 {
  let any: u8 = 0;
  const table = changetype<usize>(BYTE_CLASS);
  for (let i: usize = 0; i < len; i++) any |= load<u8>(table + <usize>load<u8>(p + i));
  if ((any & 4) != 0) return 2;
  return (any & 2) != 0 ? 1 : 0;
}

function checkMethod(facts: RequestFacts): void {
  const m = facts.method;
  if (!m.present) return;
  scan.setLocationRaw("method");
  s_value(m.ptr, m.len);
  for (let i: usize = 0; i < m.len; i++) {
    if (!isToken(load<u8>(m.ptr + i))) {
      report(AttackClass.Protocol, CRITICAL, 1, "invalid-method", 0, m.len);
      return;
    }
  }
  for (let i = 0; i < METHODS.length; i++) {
    const name = unchecked(METHODS[i]);
    if (<usize>name.length != m.len) continue;
    let same = true;
    for (let j = 0; j < name.length; j++) {
      if (<u32>load<u8>(m.ptr + <usize>j) != <u32>name.charCodeAt(j)) {
        same = false;
        break;
      }
    }
    if (same) {
      if (i == 8) report(AttackClass.Protocol, MEDIUM, 1, "trace-method", 0, m.len);
      return;
    }
  }
  report(AttackClass.Protocol, CRITICAL, 1, "unknown-method", 0, m.len);
}

function s_value(p: usize, len: usize): void {
  scan.valuePtr = p;
  scan.valueLen = len;
}

/** Query string `a=1&b=2` (without the `?`): each key and value. */
function inspectQuery(p: usize, len: usize): void {
  inspectQueryAs("query", p, len);
}

function inspectQueryAs(prefix: string, p: usize, len: usize): void {
  let i: usize = 0;
  while (i <= len) {
    let e = i;
    while (e < len && load<u8>(p + e) != 0x26) e++;
    if (e > i) {
      let eq = i;
      while (eq < e && load<u8>(p + eq) != 0x3d) eq++;
      const kl = eq - i;
      // The location uses the decoded key.
      keyBuf.reset();
      if (normalize(p + i, kl, true)) keyBuf.bytes(normPtr, normLen);
      else keyBuf.bytes(p + i, kl);
      scan.setLocation(prefix, keyBuf.ptr, keyBuf.len);
      if (kl > 0 && (hasSpecial(p + i, kl) || kl >= 9)) inspectValue(p + i, kl, Where.QueryKey);
      if (eq < e) inspectValue(p + eq + 1, e - eq - 1, Where.Query);
      else if (kl > 0 && !hasSpecial(p + i, kl)) inspectValue(p + i, kl, Where.Query); // ?<payload>
    }
    i = e + 1;
  }
}

function hasSpecial(p: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (!(isAlpha(c) || isDigitB(c) || c == 0x5f || c == 0x2d || c == 0x2e)) return true;
  }
  return false;
}

/** `a=1; b=2`: each cookie value, located as cookie.<name>. */
function inspectCookies(p: usize, len: usize): void {
  let i: usize = 0;
  while (i < len) {
    while (i < len && (load<u8>(p + i) == 0x20 || load<u8>(p + i) == 0x3b)) i++;
    let e = i;
    while (e < len && load<u8>(p + e) != 0x3b) e++;
    if (e > i) {
      let eq = i;
      while (eq < e && load<u8>(p + eq) != 0x3d) eq++;
      scan.setLocation("cookie", p + i, eq - i);
      if (eq < e) inspectValue(p + eq + 1, e - eq - 1, Where.Cookie);
      else inspectValue(p + i, e - i, Where.Cookie);
    }
    i = e + 1;
  }
}

/** Everything in the request head. */
export function inspectHead(facts: RequestFacts): void {
  checkMethod(facts);
  // Path and query.
  const full = facts.fullPath;
  if (full.present) {
    if (full.len > MAX_LINE) {
      // Beyond what servers accept by default (8 KiB request lines); long search URLs exist, so
      // only past 16 KiB is it an attack by itself.
      scan.setLocationRaw("path");
      s_value(full.ptr, full.len);
      report(AttackClass.Protocol, full.len > 2 * MAX_LINE ? CRITICAL : MEDIUM, 1, "overlong-uri", 0, 32);
    }
    const ctl = controlBytes(full.ptr, full.len);
    if (ctl > 0) {
      scan.setLocationRaw("path");
      s_value(full.ptr, full.len);
      report(AttackClass.Protocol, ctl == 2 ? CRITICAL : HIGH, 1, "control-bytes", 0, full.len);
    }
    const path = facts.path;
    scan.setLocationRaw("path");
    inspectValue(path.ptr, path.len, Where.Path);
    restrictedFile(path.ptr, path.len);
    // Each segment that holds more than a plain name: REST parameters live there.
    let s0: usize = 0;
    for (let i: usize = 0; i <= path.len; i++) {
      if (i == path.len || load<u8>(path.ptr + i) == 0x2f) {
        const sl = i - s0;
        if (sl > 0 && segmentWorthIt(path.ptr + s0, sl)) {
          scan.setLocationRaw("path");
          inspectValue(path.ptr + s0, sl, Where.Segment);
        }
        s0 = i + 1;
      }
    }
    if (full.len > path.len + 1) {
      const q = path.len + 1;
      // A '#' in a request target is not a fragment the client kept: inspect it with the query.
      if (load<u8>(full.ptr + path.len) == 0x3f) inspectQuery(full.ptr + q, full.len - q);
      else inspectQuery(full.ptr + path.len, full.len - path.len);
    }
  }
  // Headers.
  const buf = facts.headerPairs;
  if (buf === null) return;
  const base = changetype<usize>(buf);
  const size = <usize>buf.byteLength;
  if (size < 4) return;
  const n = <usize>load<u32>(base);
  if (<u64>n * 10 > <u64>(size - 4)) return;
  let data: usize = 4 + n * 8;
  let headers = 0;
  let clCount = 0;
  let clPtr: usize = 0;
  let clLen: usize = 0;
  let clDiffer = false;
  let teCount = 0;
  let hostCount = 0;
  for (let i: usize = 0; i < n; i++) {
    const kl = <usize>load<u32>(base + 4 + i * 8);
    const vl = <usize>load<u32>(base + 8 + i * 8);
    if (<u64>data + <u64>kl + <u64>vl + 2 > <u64>size) break;
    const k = base + data;
    const v = k + kl + 1;
    data += kl + vl + 2;
    if (kl == 0) continue;
    if (load<u8>(k) == 0x3a) continue; // pseudo-headers: done above
    headers++;
    scan.setLocation("header", k, kl);
    s_value(v, vl);
    // Framing.
    let nameOk = true;
    for (let j: usize = 0; j < kl; j++) if (!isToken(load<u8>(k + j))) nameOk = false;
    if (!nameOk) report(AttackClass.Protocol, HIGH, 1, "invalid-header-name", 0, vl);
    const ctl = controlBytes(v, vl);
    if (ctl > 0) report(AttackClass.Protocol, CRITICAL, 1, "control-bytes", 0, vl);
    if (vl > MAX_LINE || kl > 256) report(AttackClass.Protocol, HIGH, 1, "overlong-header", 0, 32);
    if (kl == 14 && atNoCase(k, k + kl, "content-length")) {
      clCount++;
      if (clCount > 1 && !(clLen == vl && memory.compare(clPtr, v, vl) == 0)) clDiffer = true;
      clPtr = v;
      clLen = vl;
      contentLength(v, vl);
      continue;
    }
    if (kl == 17 && atNoCase(k, k + kl, "transfer-encoding")) {
      teCount++;
      if (!(vl == 7 && atNoCase(v, v + vl, "chunked"))) report(AttackClass.Protocol, CRITICAL, 1, "obfuscated-transfer-encoding", 0, vl);
      continue;
    }
    if (kl == 4 && atNoCase(k, k + kl, "host")) hostCount++;
    if (scannerHeader(k, kl)) reportScannerHeader();
    if (kl == 10 && atNoCase(k, k + kl, "user-agent")) detectScannerAgent(v, vl);
    if (kl == 6 && atNoCase(k, k + kl, "cookie")) {
      inspectCookies(v, vl);
      continue;
    }
    if (kl == 7 && atNoCase(k, k + kl, "referer")) {
      // The page the client came from: its query parameters are data too.
      let q: usize = 0;
      while (q < vl && load<u8>(v + q) != 0x3f) q++;
      if (q + 1 < vl) {
        inspectQueryAs("header.referer", v + q + 1, vl - q - 1);
        scan.setLocation("header", k, kl);
      }
    }
    if (skipped(k, kl)) {
      // Framing and token headers are not data, but Log4Shell, OGNL (Struts' Content-Type) and
      // Shellshock payloads go in any header: look when one of their characters is there.
      if (vl > 0 && hasPayloadByte(v, vl)) {
        inspectValue(v, vl, Where.Header);
      }
      continue;
    }
    inspectValue(v, vl, Where.Header);
  }
  scan.setLocationRaw("headers");
  s_value(0, 0);
  if (clCount > 0 && teCount > 0) report(AttackClass.Protocol, CRITICAL, 1, "content-length-with-transfer-encoding", 0, 0);
  if (clDiffer) report(AttackClass.Protocol, CRITICAL, 1, "conflicting-content-length", 0, 0);
  if (teCount > 1) report(AttackClass.Protocol, CRITICAL, 1, "repeated-transfer-encoding", 0, 0);
  if (hostCount > 1) report(AttackClass.Protocol, HIGH, 1, "repeated-host", 0, 0);
  if (headers > MAX_HEADERS) report(AttackClass.Protocol, CRITICAL, 1, "too-many-headers", 0, 0);
  if (scan.paramsCapped) report(AttackClass.Protocol, CRITICAL, 1, "too-many-parameters", 0, 0);
  if (scan.findings.perClass[<i32>AttackClass.Protocol] > 0) count(Metric.ProtocolViolations);
}

/** Any of `$ # % (` (Log4Shell, OGNL, Shellshock) in [p, p+len)? */
function hasPayloadByte(p: usize, len: usize): bool {
  const table = changetype<usize>(BYTE_CLASS);
  for (let i: usize = 0; i < len; i++) if ((load<u8>(table + <usize>load<u8>(p + i)) & 8) != 0) return true;
  return false;
}

function contentLength(v: usize, vl: usize): void {
  if (vl == 0) {
    report(AttackClass.Protocol, CRITICAL, 1, "invalid-content-length", 0, 0);
    return;
  }
  for (let j: usize = 0; j < vl; j++) {
    if (!isDigitB(load<u8>(v + j))) {
      report(AttackClass.Protocol, CRITICAL, 1, "invalid-content-length", 0, vl);
      return;
    }
  }
  // 1 TB and beyond, or leading zeros padding
  if (vl > 13 || (vl > 1 && load<u8>(v) == 0x30)) report(AttackClass.Protocol, vl > 13 ? CRITICAL : HIGH, 1, "absurd-content-length", 0, vl);
}

/** A segment with encoded or special characters (plain names and numbers are skipped). */
function segmentWorthIt(p: usize, len: usize): bool {
  if (len >= 16 && isBase64Like(p, len)) return true;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (!(isAlpha(c) || isDigitB(c) || c == 0x2d || c == 0x5f || c == 0x2e || c == 0x7e)) return true;
  }
  return false;
}

// Files no application serves and every scanner asks for: version control, environment and
// credential files, server configuration, editor and backup copies of configuration.
const RESTRICTED = new WordSet([
  "/.git/", "/.git", "/.svn/", "/.hg/", "/.bzr/", "/.env", "/.htaccess", "/.htpasswd", "/web.config",
  "/wp-config.php.", "/wp-config.php~", "/.ds_store", "/.aws/", "/.ssh/", "/id_rsa", "/.bash_history",
  "/.npmrc", "/.dockercfg", "/.docker/config.json", "/.kube/config", "/server-status", "/server-info",
  "/phpinfo.php", "/config.php.bak", "/.user.ini", "/web-inf/", "/meta-inf/", "/.idea/", "/.vscode/",
], false);

function restrictedFile(p: usize, len: usize): void {
  let from: usize = 0;
  for (let n = 0; n < 4; n++) {
    const w = RESTRICTED.find(p, len, from);
    if (w < 0) return;
    const a = RESTRICTED.at;
    from = a + 1;
    const word = unchecked(RESTRICTED.words[w]);
    const e = a + <usize>word.length;
    // "/.git" and "/.env" must end the segment (not "/.github/", "/.environment")
    if ((w == 1 || w == 5) && e < len && load<u8>(p + e) != 0x2f && load<u8>(p + e) != 0x2e) continue;
    scan.valuePtr = p;
    scan.valueLen = len;
    report(AttackClass.Traversal, CRITICAL, 1, "restricted-file", a, word.length);
    return;
  }
}
