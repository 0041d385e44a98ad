// OS command injection. The value is first rewritten the way a shell would read it: empty
// quotes and quotes inside words dropped (w'h'o'am'i), backslashes before letters dropped
// (c\at), $IFS / ${IFS} / $IFS$9 as spaces, brace expansion {cat,/etc/passwd} as words. Then a
// command after a separator (; | || && & newline), inside $( ) or back-ticks, or at the start
// of the value is looked up among the Unix and Windows commands an attacker runs, and its
// arguments say how sure that is: a path, a flag, an address, a redirection, a number, or
// nothing at all for commands that need none (id, whoami). Globs (/???/c?t) match commands.
// "Tom & Jerry" and "a; cat videos are fun" have no such command shape.
import { ByteBuffer } from "../bytes";
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha, isDigitB, isSpace, lc } from "../inspect/text";
import { WordSet } from "../inspect/word-set";

const C = AttackClass.Cmdi;
const sh = new ByteBuffer(256);
const spaced = new ByteBuffer(256);

/** A value with '+' and no white space was url-encoded by its sender (`|getent+hosts+x`) and
 * reaches the shell of an application that decodes it: read the '+' as spaces. */
function plusAsSpace(): void {
  let plus = false;
  for (let i: usize = 0; i < shLen; i++) {
    const c = load<u8>(shPtr + i);
    if (c == 0x20 || c == 0x09) return;
    if (c == 0x2b) plus = true;
  }
  if (!plus) return;
  spaced.reset();
  spaced.bytes(shPtr, shLen);
  for (let i: usize = 0; i < shLen; i++) if (load<u8>(spaced.ptr + i) == 0x2b) store<u8>(spaced.ptr + i, 0x20);
  shPtr = spaced.ptr;
}

// Commands; the first ALONE_END need no argument to be an attack on their own.
const COMMANDS: StaticArray<string> = [
  "id", "whoami", "uname", "ifconfig", "ipconfig", "hostname", "pwd", "systeminfo", "netstat",
  "tasklist", "printenv", "env", "ls", "dir", "ps", "ver", "getent", "groups", "lsof",
  // with arguments
  "cat", "wget", "curl", "nc", "ncat", "netcat", "bash", "sh", "zsh", "dash", "ksh", "csh",
  "python", "python2", "python3", "perl", "ruby", "php", "node", "lua", "ping", "nslookup",
  "dig", "sleep", "echo", "printf", "rm", "chmod", "chown", "cp", "mv", "touch", "mkdir",
  "kill", "killall", "crontab", "telnet", "ssh", "scp", "ftp", "tftp", "awk", "gawk", "sed",
  "grep", "egrep", "find", "xargs", "base64", "xxd", "od", "head", "tail", "more", "less",
  "tac", "nl", "tar", "gzip", "nohup", "timeout", "sudo", "su", "useradd", "systemctl",
  "mount", "dd", "nmap", "socat", "openssl", "powershell", "pwsh", "cmd", "certutil",
  "bitsadmin", "wmic", "net", "type", "taskkill", "reg", "rundll32", "regsvr32", "mshta",
  "cscript", "wscript", "findstr", "schtasks", "vssadmin", "msiexec", "busybox", "whoami.exe",
  "cmd.exe", "powershell.exe", "chattr", "strings", "host", "exec", "eval", "passwd", "useradd",
  "set",
];
const ALONE_END = 19;
// Commands that are also common English words: they need a strong argument.
const WORDY: StaticArray<string> = [
  "cat", "more", "less", "type", "find", "head", "tail", "sort", "set", "echo", "file", "kill",
  "net", "host", "w", "who", "last", "dir", "env", "stat", "touch", "sleep", "source", "which",
  "nl", "od", "dd", "su", "id", "ls", "ps", "ver", "exec", "eval", "node", "reg", "sh", "mount",
  "timeout", "tar", "find", "head", "tail", "date",
];
// Commands whose numeric argument is the attack (a delay, a count, a port).
const NUMERIC: StaticArray<string> = ["sleep", "ping", "timeout", "nc", "ncat", "netcat", "kill", "usleep"];
const DANGEROUS: StaticArray<string> = [
  "wget", "curl", "nc", "ncat", "netcat", "bash", "sh", "zsh", "python", "python3", "perl",
  "ruby", "php", "powershell", "pwsh", "cmd", "certutil", "bitsadmin", "mshta", "rundll32",
  "regsvr32", "telnet", "socat", "nmap", "chmod", "rm", "busybox", "base64", "cmd.exe",
  "powershell.exe", "wmic", "crontab", "useradd", "nslookup", "ping",
];

function isCmdByte(c: u8): bool {
  return isAlpha(c) || isDigitB(c) || c == 0x2e || c == 0x5f || c == 0x2d || c == 0x3f || c == 0x2a;
}

/** Rewrite as a shell reads it into `sh`. */
let shPtr: usize = 0;
let shLen: usize = 0;

function shellForm(p: usize, len: usize): void {
  // Nothing a shell would rewrite: use the value as it is.
  let plain = true;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x24 || c == 0x27 || c == 0x22 || c == 0x5c || c == 0x7b) {
      plain = false;
      break;
    }
  }
  if (plain) {
    shPtr = p;
    shLen = len;
    return;
  }
  sh.reset();
  sh.reserve(len);
  let i: usize = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    // $IFS, ${IFS}, $IFS$9, $@, $*, ${x:-}
    if (c == 0x24 && i + 1 < len) {
      if (atNoCase(p + i + 1, p + len, "{ifs}")) {
        sh.byte(0x20);
        i += 6;
        continue;
      }
      if (atNoCase(p + i + 1, p + len, "ifs")) {
        sh.byte(0x20);
        i += 4;
        if (i + 1 < len && load<u8>(p + i) == 0x24 && isDigitB(load<u8>(p + i + 1))) i += 2;
        continue;
      }
      // ${PATH:0:1}, ${HOME:0:1}: the first character of a path, '/'
      if (load<u8>(p + i + 1) == 0x7b) {
        let j = i + 2;
        while (j < len && (isAlpha(load<u8>(p + j)) || load<u8>(p + j) == 0x5f)) j++;
        if (j > i + 2 && j < len && load<u8>(p + j) == 0x3a) {
          let k = j + 1;
          while (k < len && (isDigitB(load<u8>(p + k)) || load<u8>(p + k) == 0x3a || load<u8>(p + k) == 0x2d)) k++;
          if (k < len && load<u8>(p + k) == 0x7d) {
            sh.byte(0x2f);
            i = k + 1;
            continue;
          }
        }
      }
      const n = load<u8>(p + i + 1);
      if (n == 0x40 || n == 0x2a || (isDigitB(n) && i + 2 < len && isAlpha(load<u8>(p + i + 2)))) {
        i += 2;
        continue;
      }
    }
    if ((c == 0x27 || c == 0x22) && i + 1 < len && load<u8>(p + i + 1) == c) { // '' ""
      i += 2;
      continue;
    }
    if ((c == 0x27 || c == 0x22 || c == 0x5c) && sh.len > 0 && i + 1 < len &&
        isCmdByte(load<u8>(sh.ptr + sh.len - 1)) && isCmdByte(load<u8>(p + i + 1))) { // w'h'o, c\at
      i++;
      continue;
    }
    if (c == 0x5c && i + 1 < len && isAlpha(load<u8>(p + i + 1))) {
      i++;
      continue;
    }
    if (c == 0x7b) { // {cat,/etc/passwd} -> cat /etc/passwd
      let j = i + 1;
      let comma = false;
      while (j < len && j < i + 256 && load<u8>(p + j) != 0x7d && !isSpace(load<u8>(p + j))) {
        if (load<u8>(p + j) == 0x2c) comma = true;
        j++;
      }
      if (comma && j < len && load<u8>(p + j) == 0x7d) {
        sh.byte(0x20);
        for (let k = i + 1; k < j; k++) {
          const d = load<u8>(p + k);
          if (d == 0x27 || d == 0x22 || d == 0x5c) continue;
          sh.byte(d == 0x2c ? 0x20 : d);
        }
        sh.byte(0x20);
        i = j + 1;
        continue;
      }
    }
    sh.byte(c);
    i++;
  }
  shPtr = sh.ptr;
  shLen = sh.len;
}

/** Glob match of a command name (with ? and *) against a literal. */
function globIs(p: usize, len: usize, lit: string): bool {
  const n = lit.length;
  let i: usize = 0;
  let k = 0;
  let star: isize = -1;
  let starK = 0;
  while (i < len || k < n) {
    if (i < len) {
      const c = lc(load<u8>(p + i));
      if (c == 0x2a) {
        star = <isize>i;
        starK = k;
        i++;
        continue;
      }
      if (k < n && (c == 0x3f || <u32>c == <u32>lit.charCodeAt(k))) {
        i++;
        k++;
        continue;
      }
    }
    if (star >= 0 && starK < n) {
      starK++;
      k = starK;
      i = <usize>star + 1;
      continue;
    }
    return false;
  }
  return true;
}

// Exact command names by a hash of (length, first two bytes).
const CMD_HEADS = new StaticArray<i32>(256);
const CMD_NEXT = new StaticArray<i32>(COMMANDS.length);
const CMD_BYTES = new StaticArray<ArrayBuffer>(COMMANDS.length);
function cmdHash(n: usize, a: u8, b: u8): i32 {
  return (<i32>n * 13 + <i32>a * 31 + <i32>b * 7) & 255;
}
function initCommands(): void {
  for (let i = 0; i < 256; i++) unchecked(CMD_HEADS[i] = -1);
  for (let i = COMMANDS.length - 1; i >= 0; i--) {
    const b = String.UTF8.encode(unchecked(COMMANDS[i]));
    unchecked(CMD_BYTES[i] = b);
    const w = changetype<usize>(b);
    const h = cmdHash(<usize>b.byteLength, load<u8>(w), b.byteLength > 1 ? load<u8>(w + 1) : 0);
    unchecked(CMD_NEXT[i] = CMD_HEADS[h]);
    unchecked(CMD_HEADS[h] = i);
  }
}
initCommands();

/** Index of the command at [p, p+len) in COMMANDS (basename of a path; globs allowed), or -1. */
function commandIndex(p: usize, len: usize): i32 {
  let s: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x2f || c == 0x5c) s = i + 1;
  }
  const np = p + s;
  const nl = len - s;
  if (nl == 0 || nl > 16) return -1;
  let glob = false;
  for (let i: usize = 0; i < nl; i++) {
    const c = load<u8>(np + i);
    if (c == 0x3f || c == 0x2a) glob = true;
  }
  if (glob) {
    if (s == 0 || nl < 2) return -1; // globs only in paths: /???/c?t
    for (let i = 0; i < COMMANDS.length; i++) {
      if (globIs(np, nl, unchecked(COMMANDS[i]))) return i;
    }
    return -1;
  }
  let k = unchecked(CMD_HEADS[cmdHash(nl, lc(load<u8>(np)), nl > 1 ? lc(load<u8>(np + 1)) : 0)]);
  while (k >= 0) {
    const b = unchecked(CMD_BYTES[k]);
    if (<usize>b.byteLength == nl) {
      const w = changetype<usize>(b);
      let same = true;
      for (let j: usize = 0; j < nl; j++) {
        if (lc(load<u8>(np + j)) != load<u8>(w + j)) {
          same = false;
          break;
        }
      }
      if (same) return k;
    }
    k = unchecked(CMD_NEXT[k]);
  }
  return -1;
}

function inList(list: StaticArray<string>, word: string): bool {
  for (let i = 0; i < list.length; i++) if (unchecked(list[i]) == word) return true;
  return false;
}

let numericStrong = false;
// A host name is a strong argument for commands that are not English words (getent, dig).
let hostStrong = false;

/** At i, after spaces: a cmd.exe switch (/a, /p). */
function switchFollows(p: usize, len: usize, i: usize): bool {
  while (i < len && isSpace(load<u8>(p + i))) i++;
  return i + 1 < len && load<u8>(p + i) == 0x2f && isAlpha(load<u8>(p + i + 1));
}

/** A fully qualified host name: at least two dots between letters or digits (a.b.c, a.b.c.). */
function hostName(p: usize, len: usize): bool {
  let dots = 0;
  let prevDot = true;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x2e) {
      if (prevDot) return false;
      dots++;
      prevDot = true;
    } else if (isAlpha(c) || isDigitB(c) || c == 0x2d) {
      prevDot = false;
    } else {
      return false;
    }
  }
  return dots >= 2;
}

/** Strength of the arguments after a command at [p+i, p+len): 2 strong, 1 words, 0 none. */
function argStrength(p: usize, len: usize, i: usize): i32 {
  let strength = 0;
  let words = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == 0x3b || c == 0x7c || c == 0x26 || c == 0x0a || c == 0x60 || c == 0x29) break;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const s = i;
    while (i < len) {
      const d = load<u8>(p + i);
      if (isSpace(d) || d == 0x3b || d == 0x7c || d == 0x26 || d == 0x0a || d == 0x60 || d == 0x29) break;
      i++;
    }
    words++;
    const a = load<u8>(p + s);
    if (a == 0x2f || a == 0x2d || a == 0x3e || a == 0x3c || a == 0x24 || a == 0x7e || a == 0x5c || a == 0x2e || a == 0x25) strength = 2;
    else if (isDigitB(a)) strength = numericStrong ? 2 : (strength == 0 ? 1 : strength);
    else if (findNoCase(p + s, i - s, "://", 0) >= 0 || findNoCase(p + s, i - s, "/", 0) >= 0 || findNoCase(p + s, i - s, ">", 0) >= 0) strength = 2;
    else if (s + 1 < len && isAlpha(a) && load<u8>(p + s + 1) == 0x3a) strength = 2; // C:\
    else if (hostStrong && hostName(p + s, i - s)) strength = 2; // a lookup or a callback: getent hosts a.b.example
    else if (strength == 0) strength = 1;
    if (words >= 3) break;
  }
  return strength;
}

let bestScore = 0;
let bestRule = "";
let bestStart: usize = 0;

function found(score: i32, rule: string, start: usize): void {
  if (score > bestScore) {
    bestScore = score;
    bestRule = rule;
    bestStart = start;
  }
}

/** A command at offset i of sh (after a separator of strength `sepStrong`). */
function commandAt(p: usize, len: usize, i: usize, sep: i32, atStart: bool): void {
  const atSep = i;
  while (i < len && (isSpace(load<u8>(p + i)) || load<u8>(p + i) == 0x28 || load<u8>(p + i) == 0x7b)) i++;
  const s = i;
  while (i < len && (isCmdByte(load<u8>(p + i)) || load<u8>(p + i) == 0x2f || load<u8>(p + i) == 0x5c || load<u8>(p + i) == 0x3a)) i++;
  if (i == s) return;
  // The name must end where a shell ends a word.
  if (i < len) {
    const c = load<u8>(p + i);
    if (!(isSpace(c) || c == 0x3b || c == 0x7c || c == 0x26 || c == 0x3e || c == 0x3c || c == 0x60 || c == 0x29 || c == 0x23 || c == 0x27 || c == 0x22)) return;
  }
  const idx = commandIndex(p + s, i - s);
  if (idx < 0) return;
  const name = unchecked(COMMANDS[idx]);
  // `set` only as cmd.exe's arithmetic or prompt (set /a, set /p): scripts start with `set -e`.
  if (name == "set" && !switchFollows(p, len, i)) return;
  numericStrong = inList(NUMERIC, name);
  hostStrong = !inList(WORDY, name);
  const args = argStrength(p, len, i);
  const wordy = inList(WORDY, name) && name != "set"; // `set` got here with a cmd.exe switch
  const dangerous = inList(DANGEROUS, name);
  const alone = idx < ALONE_END;
  const pathForm = load<u8>(p + s) == 0x2f || load<u8>(p + s) == 0x5c;
  // What ends the command: end of value, a separator or a comment.
  let e = i;
  while (e < len && load<u8>(p + e) == 0x20) e++;
  const ends = e >= len || load<u8>(p + e) == 0x3b || load<u8>(p + e) == 0x7c || load<u8>(p + e) == 0x26 ||
    load<u8>(p + e) == 0x23 || load<u8>(p + e) == 0x0a || load<u8>(p + e) == 0x60 || load<u8>(p + e) == 0x29;
  let score = 0;
  if (sep >= 2) { // $( ), back-ticks, | ; && || newline
    if (args == 2 || pathForm) score = CRITICAL;
    else if (alone && ends && args == 0) score = CRITICAL;
    else if (dangerous && args >= 1) score = CRITICAL;
    else if (!wordy) score = args == 0 ? HIGH : MEDIUM;
    else score = args == 0 && ends ? MEDIUM : LOW;
  } else if (sep == 1) { // a lone & or a weak separator
    if (args == 2 && !wordy) score = CRITICAL;
    else if (args == 2 || pathForm) score = HIGH;
    else if (alone && ends && !wordy) score = HIGH;
    else score = LOW;
  } else if (atStart) {
    // A command line as the whole value: only an attack where the application runs it as
    // given; HIGH, so that what it reads or runs (a system file, a reverse shell) decides.
    if (pathForm && args >= 1) score = HIGH;
    else if (dangerous && args == 2) score = HIGH;
    else if (args == 2 && !wordy) score = HIGH;
    else if (args == 2) score = MEDIUM;
    else if (alone && ends && !wordy && args == 0) score = MEDIUM;
  }
  // Inside prose (a sentence before the separator, and more after): a code sample, not an
  // injection; other detectors (system files, downloads) still add their own scores.
  if (score > MEDIUM && proseAround(p, len, atSep)) score = pathForm || args == 2 && dangerous ? MEDIUM : LOW;
  // A command named at the start of a question or a search ("cat /etc/hosts windows
  // equivalent"): words of prose follow its arguments.
  if (atStart && score > LOW && proseAfter(p, len, i)) score = LOW;
  if (score > 0) found(score, "command", s);
}

/** Words of prose before offset `at` (at least 3) and in the whole value (at least 6). */
function proseAround(p: usize, len: usize, at: usize): bool {
  let before = 0;
  let total = 0;
  let i: usize = 0;
  while (i < len) {
    while (i < len && !isAlpha(load<u8>(p + i))) i++;
    const s = i;
    while (i < len && isAlpha(load<u8>(p + i))) i++;
    const wl = i - s;
    if (wl < 2) continue;
    // a word: letters followed by a space, a comma, a period or the end
    const e: u8 = i < len ? load<u8>(p + i) : 0x20;
    if (!(e == 0x20 || e == 0x2c || e == 0x2e || e == 0x3f || e == 0x21 || e == 0x3a)) continue;
    const b: u8 = s > 0 ? load<u8>(p + s - 1) : 0x20;
    if (!(b == 0x20 || b == 0x28 || b == 0x22)) continue;
    total++;
    if (s < at) before++;
  }
  return before >= 3 && total >= 6;
}

const MARKERS: StaticArray<string> = [
  "/dev/tcp/", "/dev/udp/", "bash -i", "sh -i", "nc -e", "ncat -e", "nc -c", "powershell -e",
  "powershell -nop", "-encodedcommand", "cmd.exe /c", "cmd /c", "iex(", "invoke-expression",
  "downloadstring(", "certutil -urlcache", "/bin/sh", "/bin/bash", "%comspec%", "mkfifo",
  "python -c", "perl -e", "ruby -e", "php -r", "curl -o", "wget -o", "| sh", "|sh", "| bash",
  "|bash", "chmod +x", "chmod 777", "rm -rf /", "&& whoami", "; whoami",
];
const MARKER_SET = new WordSet(MARKERS);

const CODE: StaticArray<string> = [
  "<?php", "<?=", "passthru(", "shell_exec(", "system(", "proc_open(", "popen(", "pcntl_exec(",
  "__import__(", "os.system(", "os.popen(", "subprocess.", "child_process", "runtime.getruntime(",
  "processbuilder(", "create_function(", "base64_decode(",
];
const CODE_SET = new WordSet(CODE);
const IFS_SET = new WordSet(["$ifs", "${ifs}"]);
const SUPERGLOBALS = new WordSet(["$_get", "$_post", "$_request", "$_cookie", "$_server"]);

export function detectCmdi(p: usize, len: usize, lead: bool): void {
  bestScore = 0;
  bestRule = "";
  shellForm(p, len);
  plusAsSpace();
  const s = shPtr;
  const n = shLen;
  markdownSpans(s, n);
  // Separators and substitutions.
  let seps = 0;
  for (let i: usize = 0; i < n && seps < 24; i++) {
    if (inSpan(i)) continue;
    const c = load<u8>(s + i);
    let sep = 0;
    let skip: usize = 1;
    if (c == 0x3b || c == 0x0a || c == 0x0d) sep = 2;
    else if (c == 0x7c) {
      sep = 2;
      if (i + 1 < n && load<u8>(s + i + 1) == 0x7c) skip = 2;
    } else if (c == 0x26) {
      if (i + 1 < n && load<u8>(s + i + 1) == 0x26) {
        sep = 2;
        skip = 2;
      } else sep = 1;
    } else if (c == 0x60) {
      // back-ticks: markdown code spans in prose are not command substitution
      sep = substitutionContext(s, n, i) ? 2 : 1;
    } else if (c == 0x24 && i + 1 < n && load<u8>(s + i + 1) == 0x28) {
      sep = 2;
      skip = 2;
    } else if ((c == 0x3c || c == 0x3e) && i + 1 < n && load<u8>(s + i + 1) == 0x28) {
      sep = 2;
      skip = 2;
    }
    if (sep == 0) continue;
    seps++;
    commandAt(s, n, i + skip, sep, false);
    i += skip - 1;
    if (bestScore >= CRITICAL) break;
  }
  // $IFS and brace expansion are only ever written to fool a filter: what follows is a command
  // line even at the start of the value.
  const ifs = IFS_SET.has(p, len);
  if (bestScore < CRITICAL && (lead || ifs)) commandAt(s, n, 0, ifs ? 2 : 0, !ifs);
  if (bestScore < CRITICAL) {
    const k = MARKER_SET.find(s, n, 0);
    if (k >= 0) found(k < 16 ? CRITICAL : HIGH, "shell-marker", s + MARKER_SET.at);
  }
  if (bestScore < CRITICAL) codeInjection(p, len);
  if (bestScore > 0) {
    // Evidence from the shell form, located in the original value approximately.
    const off = bestStart - s;
    report(C, bestScore, bestScore >= MEDIUM ? 1 : 2, bestRule, off < len ? off : 0, 48);
  }
}

/** A back-tick that a shell would run: at the start, after an operator or `=`, glued to a
 * word, or in a short value; not a markdown code span inside prose. */
function substitutionContext(s: usize, n: usize, i: usize): bool {
  if (n <= 64) return true;
  if (i == 0) return true;
  const prev = load<u8>(s + i - 1);
  return !(prev == 0x20 || prev == 0x0a || prev == 0x28 || prev == 0x60);
}

function codeInjection(p: usize, len: usize): void {
  let from: usize = 0;
  for (let n = 0; n < 8; n++) {
    const k = CODE_SET.find(p, len, from);
    if (k < 0) return;
    const a = CODE_SET.at;
    from = a + 1;
    if (k >= 2 && a > 0 && (isAlpha(load<u8>(p + a - 1)) || load<u8>(p + a - 1) == 0x5f) && k != 13) continue;
    let score = LOW;
    if (k < 2) score = HIGH;
    if (SUPERGLOBALS.has(p, len)) score = CRITICAL;
    if (k >= 2 && k <= 12) {
      // a call with a command string or a code string
      const q = a + <usize>unchecked(CODE[k]).length;
      if (q < len && (load<u8>(p + q) == 0x22 || load<u8>(p + q) == 0x27 || load<u8>(p + q) == 0x24)) score = CRITICAL;
      else if (k >= 8 && k <= 12) score = HIGH;
    }
    if (k == 16 && findNoCase(p, len, "eval(", 0) >= 0) score = CRITICAL;
    found(score, "code-injection", shPtr + a);
    if (bestScore >= CRITICAL) return;
  }
}

// Markdown code spans: a back-tick pair followed by prose (`ls -la` to list files). What is
// inside is a code sample, not something a shell runs.
const spanStart = new StaticArray<u32>(8);
const spanEnd = new StaticArray<u32>(8);
let spans = 0;

function markdownSpans(p: usize, len: usize): void {
  spans = 0;
  let i: usize = 0;
  while (i < len && spans < 8) {
    if (load<u8>(p + i) != 0x60) {
      i++;
      continue;
    }
    let e = i + 1;
    while (e < len && load<u8>(p + e) != 0x60) e++;
    if (e >= len) break;
    // prose after the closing back-tick: two words
    let words = 0;
    let k = e + 1;
    while (k < len && words < 2) {
      while (k < len && (load<u8>(p + k) == 0x20 || load<u8>(p + k) == 0x2c)) k++;
      const ws = k;
      while (k < len && isAlpha(load<u8>(p + k))) k++;
      if (k - ws >= 2 && (k >= len || load<u8>(p + k) == 0x20 || load<u8>(p + k) == 0x2e || load<u8>(p + k) == 0x2c || load<u8>(p + k) == 0x21 || load<u8>(p + k) == 0x3f)) words++;
      else break;
    }
    // or prose before the opening back-tick and a word after the closing one
    let before = 0;
    let b = i;
    while (b > 0 && before < 2) {
      while (b > 0 && (load<u8>(p + b - 1) == 0x20 || load<u8>(p + b - 1) == 0x2c)) b--;
      const we = b;
      while (b > 0 && isAlpha(load<u8>(p + b - 1))) b--;
      if (we - b >= 2) before++;
      else break;
    }
    if (words >= 2 || (before >= 2 && words >= 1)) {
      unchecked(spanStart[spans] = <u32>i);
      unchecked(spanEnd[spans] = <u32>e);
      spans++;
    }
    i = e + 1;
  }
}

function inSpan(i: usize): bool {
  for (let k = 0; k < spans; k++) {
    if (<u32>i >= unchecked(spanStart[k]) && <u32>i <= unchecked(spanEnd[k])) return true;
  }
  return false;
}

/** A command line as the whole value, for values with no shell syntax at all (no separators,
 * quotes or substitutions): only the command at the start can matter. */
export function detectLeadCommand(p: usize, len: usize): void {
  bestScore = 0;
  bestRule = "";
  commandAt(p, len, 0, 0, true);
  if (bestScore > 0) report(C, bestScore, bestScore >= MEDIUM ? 1 : 2, bestRule, bestStart - p, 48);
}

/** At least two words of letters only after the command's arguments (past offset i). */
function proseAfter(p: usize, len: usize, i: usize): bool {
  // skip the arguments that look like arguments (flags, paths, numbers)
  let words = 0;
  let k = i;
  while (k < len) {
    while (k < len && load<u8>(p + k) == 0x20) k++;
    const s = k;
    let letters = true;
    while (k < len && load<u8>(p + k) != 0x20) {
      if (!isAlpha(load<u8>(p + k))) letters = false;
      k++;
    }
    if (k > s && letters && k - s >= 2) words++;
  }
  return words >= 2;
}

/** Is [p, p+len) exactly a command name (whoami, id, ls ...)? */
export function isCommandWord(p: usize, len: usize): bool {
  return commandIndex(p, len) >= 0;
}
