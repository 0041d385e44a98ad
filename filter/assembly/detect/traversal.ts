// Path traversal and local file inclusion: how far a value climbs (`../`, `..\`, `..;/`, nested
// `....//`, after decoding), whether it names a file only an attacker wants (/etc/passwd,
// win.ini, WEB-INF/web.xml, .ssh keys, /proc/self/environ ...), and stream wrappers that read
// or run files (php://, expect://, phar://, zip://, file://). One `../` to a normal file is a
// relative link and counts only at paranoia 2.
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha } from "../inspect/text";
import { ByteBuffer } from "../bytes";
import { WordSet } from "../inspect/word-set";

const C = AttackClass.Traversal;

const TARGETS: StaticArray<string> = [
  "etc/passwd", "etc/shadow", "etc/group", "etc/hosts", "etc/issue", "etc/motd", "etc/sudoers",
  "etc/crontab", "etc/hostname", "etc/resolv.conf", "etc/nginx", "etc/apache2", "etc/httpd",
  "etc/mysql", "etc/ssh", "etc/environment", "etc/profile", "etc/fstab", "etc/os-release",
  "proc/self", "proc/version", "proc/cpuinfo", "proc/1/", "proc/net", "win.ini", "boot.ini",
  "system.ini", "windows/system32", "windows\\system32", "winnt", "system32/", "system32\\",
  "web-inf/", "web-inf\\", "meta-inf/", ".htaccess", ".htpasswd", "web.config", "id_rsa", "id_dsa",
  "id_ed25519", ".ssh/", "authorized_keys", ".bash_history", ".bashrc", ".git/", ".svn/", ".env",
  "wp-config", "var/log/", "var/run/secrets", ".aws/credentials", ".kube/config", "php.ini",
  "my.cnf", "httpd.conf", "applicationhost.config", "localstart.asp", "sam\\", "repair\\sam",
  "inetpub", "docker.sock", "etc/kubernetes", "config.php", "database.yml", "settings.py",
  "ntuser.dat",
];
const TARGET_SET = new WordSet(TARGETS);

const WRAPPERS: StaticArray<string> = [
  "php://", "expect://", "phar://", "zip://", "glob://", "data://", "file://", "jar:file:",
  "netdoc:", "compress.zlib://", "compress.bzip2://", "ogg://", "rar://", "ssh2.",
];
const WRAPPER_SET = new WordSet(WRAPPERS);

/** How many times the value climbs a directory. */
function climbs(p: usize, len: usize): i32 {
  let n = 0;
  let i: usize = 0;
  while (i + 1 < len) {
    if (load<u8>(p + i) == 0x2e && load<u8>(p + i + 1) == 0x2e) {
      let j = i + 2;
      while (j < len && load<u8>(p + j) == 0x2e) j++; // ....//
      if (j < len && load<u8>(p + j) == 0x3b) j++; // ..;/
      if (j >= len || load<u8>(p + j) == 0x2f || load<u8>(p + j) == 0x5c) {
        // ".." must start a segment (not "file..name/")
        const prev: u8 = i > 0 ? load<u8>(p + i - 1) : 0x2f;
        if (i == 0 || prev == 0x2f || prev == 0x5c || prev == 0x3d || prev == 0x20 || prev == 0x22 || prev == 0x27 || prev == 0x2e) n++;
        i = j;
        continue;
      }
      i = j;
      continue;
    }
    i++;
  }
  return n;
}

const slashed = new ByteBuffer(256);

function isSep(c: u8): bool {
  return c == 0x2f || c == 0x5c;
}

export function detectTraversal(p0: usize, len: usize, isPath: bool): void {
  // Windows separators read as '/' (..\..\windows, php:\\input), and `/./` as `/`
  // (/etc/./passwd names /etc/passwd).
  let p = p0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p0 + i);
    if (c == 0x5c || (c == 0x2e && i > 0 && i + 1 < len && isSep(load<u8>(p0 + i - 1)) && isSep(load<u8>(p0 + i + 1)))) {
      slashed.reset();
      slashed.reserve(len);
      for (let k: usize = 0; k < len; k++) {
        const b = load<u8>(p0 + k);
        if (b == 0x2e && k > 0 && k + 1 < len && isSep(load<u8>(p0 + k - 1)) && isSep(load<u8>(p0 + k + 1))) {
          k++; // drop "./"
          continue;
        }
        slashed.byte(b == 0x5c ? 0x2f : b);
      }
      p = slashed.ptr;
      len = slashed.len;
      break;
    }
  }
  let score = 0;
  let rule = "";
  let ms: usize = 0;
  let ml: usize = len < 64 ? len : 64;
  let slashes = false;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x2f || c == 0x3a) {
      slashes = true;
      break;
    }
  }
  if (!slashes) return; // every target, wrapper and climb has a '/' (or ':' for wrappers)
  const ups = climbs(p, len);
  let target: isize = -1;
  let tlen: usize = 0;
  let from: usize = 0;
  for (let n = 0; n < 8; n++) {
    const i = TARGET_SET.find(p, len, from);
    if (i < 0) break;
    const t = unchecked(TARGETS[i]);
    const a = TARGET_SET.at;
    from = a + 1;
    // ".env", ".git/" and the like must be path components, not words ("the .environment").
    if (i >= 43 && i <= 47) {
      const before: u8 = a > 0 ? load<u8>(p + a - 1) : 0x2f;
      if (before != 0x2f && before != 0x5c) continue;
      const after = a + <usize>t.length;
      if (t == ".env" && after < len && isAlpha(load<u8>(p + after))) continue;
    }
    target = <isize>a;
    tlen = <usize>t.length;
    break;
  }
  if (ups >= 3) {
    score = CRITICAL;
    rule = "deep-traversal";
  } else if (ups >= 1 && target >= 0) {
    score = CRITICAL;
    rule = "traversal-to-file";
  } else if (target >= 0) {
    // An absolute path to a system file as the value, or inside it.
    let lead: usize = 0;
    while (lead < len && (load<u8>(p + lead) == 0x20)) lead++;
    const t = <usize>target;
    const abs = t > 0 && (load<u8>(p + t - 1) == 0x2f || load<u8>(p + t - 1) == 0x5c);
    // the value is one absolute path (/..., C:\...) leading to the file
    let oneToken = true;
    for (let k = lead; k < len; k++) if (load<u8>(p + k) == 0x20) oneToken = false;
    const first: u8 = lead < len ? load<u8>(p + lead) : 0;
    const startsThere = abs && oneToken && (first == 0x2f || (lead + 1 < len && isAlpha(first) && load<u8>(p + lead + 1) == 0x3a));
    if (startsThere && !isPath) {
      score = CRITICAL;
      rule = "system-file";
    } else if (abs) {
      score = isPath ? MEDIUM : HIGH;
      rule = "system-file";
    } else {
      score = LOW;
      rule = "system-file-name";
    }
    ms = t;
    ml = tlen;
  } else if (ups == 2) {
    score = HIGH;
    rule = "traversal";
  } else if (ups == 1) {
    score = LOW;
    rule = "traversal";
  }
  const wi = WRAPPER_SET.find(p, len, 0);
  if (wi >= 0) {
    const w = unchecked(WRAPPERS[wi]);
    const s = wi <= 4 || target >= 0 ? CRITICAL : (wi == 6 ? MEDIUM : HIGH);
    if (s > score) {
      score = s;
      rule = "stream-wrapper";
      ms = WRAPPER_SET.at;
      ml = <usize>w.length + 16;
    }
  }
  if (score > 0) report(C, score, score >= MEDIUM ? 1 : 2, rule, ms, ml);
}
