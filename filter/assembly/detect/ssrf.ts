// Server-side request forgery: URLs (and bare host[:port] values) that point the server at
// itself, its cloud's metadata service or the private network, in any spelling a URL parser
// accepts: 127.1, 2130706433, 0x7f000001, 0177.0.0.1, 0x7f.0.0.1, [::1], [::ffff:127.0.0.1],
// [::ffff:7f00:1], 169.254.169.254 and its decimal and hex forms, fd00:ec2::254,
// metadata.google.internal, localhost names, wildcard-DNS names that embed an address
// (127.0.0.1.nip.io), user-info tricks (http://example.com@127.0.0.1/), and schemes that
// smuggle other protocols (gopher://, dict://).
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report, scan } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha, isDigitB, lc } from "../inspect/text";
import { hexValue } from "../json/json-reader";
import { WordSet } from "../inspect/word-set";

const SCHEME_SEP = new WordSet(["://"]);

const C = AttackClass.Ssrf;

const K_NONE = 0;
const K_PRIVATE = 1;
const K_LINKLOCAL = 2;
const K_LOOPBACK = 3;
const K_METADATA = 4;

let obfuscated = false;

/** Parse an IPv4 address the way inet_aton does (1-4 parts, decimal, octal or hex). */
const parts = new StaticArray<u64>(4);
function ipv4(p: usize, len: usize): i64 {
  if (len == 0 || len > 40) return -1;
  let n = 0;
  let i: usize = 0;
  obfuscated = false;
  while (i < len) {
    if (n >= 4) return -1;
    let v: u64 = 0;
    let base: u64 = 10;
    const s = i;
    if (load<u8>(p + i) == 0x30 && i + 1 < len && (load<u8>(p + i + 1) | 0x20) == 0x78) {
      base = 16;
      i += 2;
      obfuscated = true;
    } else if (load<u8>(p + i) == 0x30 && i + 1 < len && isDigitB(load<u8>(p + i + 1))) {
      base = 8;
      obfuscated = true;
    }
    const ds = i;
    while (i < len && load<u8>(p + i) != 0x2e) {
      const c = load<u8>(p + i);
      let d: i32 = -1;
      if (base == 16) d = hexValue(c);
      else if (isDigitB(c)) d = <i32>c - 0x30;
      if (d < 0 || <u64>d >= base) return -1;
      v = v * base + <u64>d;
      if (v > 0xffffffff) return -1;
      i++;
    }
    if (i == ds && base != 16) return -1;
    if (i - s > 12) return -1;
    unchecked(parts[n] = v);
    n++;
    if (i < len) {
      i++;
      if (i == len) return -1;
    }
  }
  if (n != 4) obfuscated = true;
  let addr: u64 = 0;
  if (n == 1) addr = parts[0];
  else if (n == 2) {
    if (parts[0] > 255 || parts[1] > 0xffffff) return -1;
    addr = (parts[0] << 24) | parts[1];
  } else if (n == 3) {
    if (parts[0] > 255 || parts[1] > 255 || parts[2] > 0xffff) return -1;
    addr = (parts[0] << 24) | (parts[1] << 16) | parts[2];
  } else {
    for (let k = 0; k < 4; k++) if (parts[k] > 255) return -1;
    addr = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3];
  }
  return <i64>addr;
}

function classify4(a: u32): i32 {
  if (a == 0xa9fea9fe || a == 0x64646464 + 0x64 || a == 0xa9fea902) return K_METADATA; // 169.254.169.254, 100.100.100.200, 169.254.170.2
  if ((a >> 24) == 127 || a == 0) return K_LOOPBACK;
  if ((a >> 16) == 0xa9fe) return K_LINKLOCAL;
  if ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 || (a >> 22) == 0x191) return K_PRIVATE;
  return K_NONE;
}

/** Host in brackets or bare IPv6. */
function classify6(p: usize, len: usize): i32 {
  // ::ffff:a.b.c.d and ::ffff:7f00:1
  const m = findNoCase(p, len, "ffff:", 0);
  if (m >= 0) {
    const s = <usize>m + 5;
    const v4 = ipv4(p + s, len - s);
    if (v4 >= 0) {
      obfuscated = true;
      return classify4(<u32>v4);
    }
    // two hex groups
    let a: u32 = 0;
    let groups = 0;
    let i = s;
    while (i < len && groups < 2) {
      let g: u32 = 0;
      let d = 0;
      while (i < len && hexValue(load<u8>(p + i)) >= 0 && d < 4) {
        g = (g << 4) | <u32>hexValue(load<u8>(p + i));
        i++;
        d++;
      }
      if (d == 0) break;
      a = (a << 16) | g;
      groups++;
      if (i < len && load<u8>(p + i) == 0x3a) i++;
    }
    if (groups == 2) {
      obfuscated = true;
      return classify4(a);
    }
  }
  if (atNoCase(p, p + len, "fd00:ec2::254")) return K_METADATA;
  // all zero groups, optionally ending in 1
  let nonzero = 0;
  let last: u8 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c != 0x3a && c != 0x30) {
      nonzero++;
      last = c;
    }
  }
  if (nonzero == 0 || (nonzero == 1 && last == 0x31)) {
    if (len > 3) obfuscated = true;
    return K_LOOPBACK;
  }
  const f = lc(load<u8>(p));
  if (len > 2 && f == 0x66 && (lc(load<u8>(p + 1)) == 0x63 || lc(load<u8>(p + 1)) == 0x64)) return K_PRIVATE;
  if (len > 4 && atNoCase(p, p + len, "fe80")) return K_LINKLOCAL;
  return K_NONE;
}

const NAMES: StaticArray<string> = [
  "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "metadata.google.internal",
  "metadata", "instance-data", "metadata.azure.internal", "kubernetes.default", "kubernetes.default.svc",
  "localtest.me", "lvh.me", "vcap.me", "spoofed.burpcollaborator.net",
];

function classifyHost(p: usize, len: usize): i32 {
  obfuscated = false;
  while (len > 0 && load<u8>(p + len - 1) == 0x2e) len--;
  if (len == 0) return K_NONE;
  if (load<u8>(p) == 0x5b) {
    let e: usize = 1;
    while (e < len && load<u8>(p + e) != 0x5d) e++;
    // zone ids: [::1%25eth0]
    let z: usize = 1;
    while (z < e && load<u8>(p + z) != 0x25) z++;
    return classify6(p + 1, z - 1);
  }
  const v4 = ipv4(p, len);
  if (v4 >= 0) return classify4(<u32>v4);
  for (let i = 0; i < NAMES.length; i++) {
    const n = unchecked(NAMES[i]);
    if (<usize>n.length == len && atNoCase(p, p + len, n)) return i >= 4 && i <= 7 ? K_METADATA : K_LOOPBACK;
  }
  // x.localhost, *.localtest.me, *.internal metadata
  if (len > 10 && atNoCase(p + len - 10, p + len, ".localhost")) return K_LOOPBACK;
  if (len > 12 && atNoCase(p + len - 12, p + len, ".localtest.me")) return K_LOOPBACK;
  // wildcard DNS: 127.0.0.1.nip.io, 169.254.169.254.xip.io, 10-0-0-1.sslip.io
  const wild = findNoCase(p, len, ".nip.io", 0) >= 0 || findNoCase(p, len, ".xip.io", 0) >= 0 ||
    findNoCase(p, len, ".sslip.io", 0) >= 0 || findNoCase(p, len, ".traefik.me", 0) >= 0;
  if (wild) {
    let e: usize = 0;
    let dots = 0;
    while (e < len && dots < 4) {
      const c = load<u8>(p + e);
      if (c == 0x2e) dots++;
      if (!(isDigitB(c) || c == 0x2e || c == 0x2d)) break;
      e++;
    }
    if (e > 0) {
      const v = ipv4(p, e - 1);
      if (v >= 0) {
        obfuscated = true;
        return classify4(<u32>v);
      }
    }
    obfuscated = true;
    return K_PRIVATE;
  }
  return K_NONE;
}

let bestScore = 0;
let bestRule = "";
let bestAt: usize = 0;

function found(score: i32, rule: string, at: usize): void {
  if (score > bestScore) {
    bestScore = score;
    bestRule = rule;
    bestAt = at;
  }
}

function judgeHost(p: usize, hs: usize, he: usize, withScheme: bool, smuggle: bool): void {
  const kind = classifyHost(p + hs, he - hs);
  if (kind == K_NONE) {
    if (smuggle) found(CRITICAL, "protocol-smuggling", hs);
    return;
  }
  if (kind == K_METADATA) found(CRITICAL, "cloud-metadata", hs);
  else if (kind == K_LOOPBACK) found(withScheme || obfuscated ? CRITICAL : HIGH, obfuscated ? "loopback-encoded" : "loopback", hs);
  else if (kind == K_LINKLOCAL) found(withScheme ? HIGH : MEDIUM, "link-local", hs);
  else if (smuggle || obfuscated) found(CRITICAL, obfuscated ? "private-encoded" : "protocol-smuggling", hs);
  else found(withScheme ? MEDIUM : LOW, "private-address", hs);
}

/** After `scheme://` at offset s: skip user info, read the host. */
function urlAt(p: usize, len: usize, s: usize, smuggle: bool): void {
  let e = s;
  while (e < len) {
    const c = load<u8>(p + e);
    if (c == 0x2f || c == 0x3f || c == 0x23 || c == 0x5c || c <= 0x20) break;
    e++;
  }
  // user info: the host is after the last '@'
  let hs = s;
  for (let i = s; i < e; i++) if (load<u8>(p + i) == 0x40) hs = i + 1;
  let he = hs;
  if (he < e && load<u8>(p + he) == 0x5b) {
    while (he < e && load<u8>(p + he) != 0x5d) he++;
    if (he < e) he++;
  } else {
    while (he < e && load<u8>(p + he) != 0x3a) he++;
  }
  if (hs > s) obfuscated = true;
  judgeHost(p, hs, he, true, smuggle);
  // Parser confusion: `http://good.example#@127.0.0.1/`, `http://good.example?@10.0.0.1/` —
  // some clients take what follows the last '@' as the host.
  if (e < len && (load<u8>(p + e) == 0x23 || load<u8>(p + e) == 0x3f || load<u8>(p + e) == 0x5c)) {
    let at: usize = 0;
    let k = e;
    while (k < len && load<u8>(p + k) != 0x2f && load<u8>(p + k) > 0x20) {
      if (load<u8>(p + k) == 0x40) at = k + 1;
      k++;
    }
    if (at > 0) {
      let ae = at;
      while (ae < len && load<u8>(p + ae) != 0x2f && load<u8>(p + ae) != 0x3a && load<u8>(p + ae) > 0x20) ae++;
      const kind = classifyHost(p + at, ae - at);
      if (kind != K_NONE) found(CRITICAL, "url-parser-confusion", at);
    }
  }
}

export function detectSsrf(p: usize, len: usize): void {
  bestScore = 0;
  bestRule = "";
  // Referer and Origin name where the client came from, not where the server goes.
  const loc = scan.location;
  if (loc.len >= 7 && (atNoCase(loc.ptr, loc.ptr + loc.len, "header.referer") || atNoCase(loc.ptr, loc.ptr + loc.len, "header.origin"))) return;
  let from: usize = 0;
  for (let n = 0; n < 4; n++) {
    if (SCHEME_SEP.find(p, len, from) < 0) break;
    const a = SCHEME_SEP.at;
    from = a + 3;
    // the scheme before it
    let s = a;
    while (s > 0 && (isAlpha(load<u8>(p + s - 1)) || isDigitB(load<u8>(p + s - 1)) || load<u8>(p + s - 1) == 0x2b || load<u8>(p + s - 1) == 0x2e || load<u8>(p + s - 1) == 0x2d)) s--;
    const sl = a - s;
    const smuggle = (sl == 6 && atNoCase(p + s, p + a, "gopher")) || (sl == 4 && atNoCase(p + s, p + a, "dict")) ||
      (sl == 4 && atNoCase(p + s, p + a, "ldap")) || (sl == 4 && atNoCase(p + s, p + a, "tftp")) ||
      (sl == 3 && atNoCase(p + s, p + a, "jar")) || (sl == 6 && atNoCase(p + s, p + a, "netdoc"));
    urlAt(p, len, a + 3, smuggle);
  }
  // A bare host[:port] value.
  if (bestScore == 0 && len <= 64) {
    let i: usize = 0;
    while (i < len && load<u8>(p + i) == 0x20) i++;
    let e = i;
    if (e < len && load<u8>(p + e) == 0x5b) {
      while (e < len && load<u8>(p + e) != 0x5d) e++;
      if (e < len) e++;
    } else {
      while (e < len && load<u8>(p + e) != 0x3a && load<u8>(p + e) != 0x2f && load<u8>(p + e) != 0x20) e++;
    }
    if (e > i) judgeHost(p, i, e, false, false);
    // bare numbers are too common to be addresses unless they name the metadata service
    if (bestScore > 0 && bestRule != "cloud-metadata") {
      let digitsOnly = true;
      for (let k = i; k < e; k++) if (!isDigitB(load<u8>(p + k))) digitsOnly = false;
      if (digitsOnly) bestScore = 0;
    }
  }
  if (bestScore > 0) report(C, bestScore, bestScore >= MEDIUM ? 1 : 2, bestRule, bestAt, len - bestAt < 48 ? len - bestAt : 48);
}
