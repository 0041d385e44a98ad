// Data loss prevention: sensors over response bodies (and request bodies, headers and URLs for
// custom sensors and egress). Built-in sensors are validated, not just matched: card numbers
// pass the Luhn check and carry a known issuer prefix, US SSNs obey the area/group/serial rules,
// IBANs pass the ISO 7064 mod-97 check, AWS access key ids, private key blocks, JWTs,
// GitHub and Slack tokens have their exact shapes; stack traces and SQL error messages are
// known phrases. Evidence is masked: the first and last four characters, never the secret.
import { ByteBuffer } from "../bytes";
import { CustomSensor, DlpConfig, SENSOR_NAMES, Sensor } from "../config/waf-config";
import { atNoCase, findNoCase, isAlpha, isDigitB } from "../inspect/text";
import { matchEnd, matchStart, search } from "./pattern";
import { WordSet } from "../inspect/word-set";

export class Leak {
  found: bool = false;
  /** Sensor name (built-in or custom). */
  sensor: string = "";
  custom: ArrayBuffer | null = null;
  readonly evidence: ByteBuffer = new ByteBuffer(32);
  readonly location: ByteBuffer = new ByteBuffer(32);

  reset(): void {
    this.found = false;
    this.sensor = "";
    this.custom = null;
    this.evidence.reset();
    this.location.reset();
  }
}

/** Mask a secret: keep the first and last `keep` characters. */
export function mask(out: ByteBuffer, p: usize, len: usize): void {
  out.reset();
  const keep: usize = len >= 16 ? 4 : len >= 8 ? 2 : 1;
  if (len <= keep * 2) {
    for (let i: usize = 0; i < len; i++) out.byte(0x2a);
    return;
  }
  out.bytes(p, keep);
  const stars = len - keep * 2 < 12 ? len - keep * 2 : 12;
  for (let i: usize = 0; i < stars; i++) out.byte(0x2a);
  out.bytes(p + len - keep, keep);
}

function hit(leak: Leak, sensor: string, p: usize, len: usize, maskIt: bool): void {
  leak.found = true;
  leak.sensor = sensor;
  if (maskIt) mask(leak.evidence, p, len);
  else {
    leak.evidence.reset();
    leak.evidence.bytes(p, len < 64 ? len : 64);
  }
}

// ---- cards ----

function luhn(digits: StaticArray<u8>, n: i32): bool {
  let sum = 0;
  let dbl = false;
  for (let i = n - 1; i >= 0; i--) {
    let d = <i32>unchecked(digits[i]);
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

function issuer(d: StaticArray<u8>, n: i32): bool {
  const d0 = <i32>d[0];
  const d2 = d0 * 10 + <i32>d[1];
  const d4 = d2 * 100 + <i32>d[2] * 10 + <i32>d[3];
  if (d0 == 4 && (n == 13 || n == 16 || n == 19)) return true; // Visa
  if (((d2 >= 51 && d2 <= 55) || (d4 >= 2221 && d4 <= 2720)) && n == 16) return true; // Mastercard
  if ((d2 == 34 || d2 == 37) && n == 15) return true; // Amex
  if ((d4 == 6011 || d2 == 65 || (d4 >= 6440 && d4 <= 6499)) && n >= 16) return true; // Discover
  if (d4 >= 3528 && d4 <= 3589 && n >= 16) return true; // JCB
  if ((d2 == 36 || d2 == 38 || (d4 >= 3000 && d4 <= 3059)) && n == 14) return true; // Diners
  if (d2 == 62 && n >= 16) return true; // UnionPay
  return false;
}

const digits = new StaticArray<u8>(24);

function cards(p: usize, len: usize, leak: Leak): bool {
  let i: usize = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    if (!isDigitB(c) || (i > 0 && (isDigitB(load<u8>(p + i - 1)) || isAlpha(load<u8>(p + i - 1))))) {
      i++;
      continue;
    }
    let n = 0;
    let j = i;
    let sep: u8 = 0;
    while (j < len && n < 20) {
      const d = load<u8>(p + j);
      if (isDigitB(d)) {
        unchecked(digits[n] = d - 0x30);
        n++;
        j++;
        continue;
      }
      if ((d == 0x20 || d == 0x2d) && j + 1 < len && isDigitB(load<u8>(p + j + 1)) && (sep == 0 || sep == d)) {
        sep = d;
        j++;
        continue;
      }
      break;
    }
    const bounded = j >= len || !(isDigitB(load<u8>(p + j)) || isAlpha(load<u8>(p + j)));
    if (n >= 13 && n <= 19 && bounded && issuer(digits, n) && luhn(digits, n)) {
      hit(leak, "credit-card", p + i, j - i, true);
      return true;
    }
    i = j > i ? j : i + 1;
  }
  return false;
}

// ---- SSN ----

function ssn(p: usize, len: usize, leak: Leak): bool {
  for (let i: usize = 0; i + 11 <= len; i++) {
    if (load<u8>(p + i + 3) != 0x2d || load<u8>(p + i + 6) != 0x2d) continue;
    let ok = true;
    for (let k: usize = 0; k < 11; k++) {
      if (k == 3 || k == 6) continue;
      if (!isDigitB(load<u8>(p + i + k))) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (i > 0 && (isDigitB(load<u8>(p + i - 1)) || load<u8>(p + i - 1) == 0x2d)) continue;
    if (i + 11 < len && (isDigitB(load<u8>(p + i + 11)) || load<u8>(p + i + 11) == 0x2d)) continue;
    const area = (<i32>load<u8>(p + i) - 0x30) * 100 + (<i32>load<u8>(p + i + 1) - 0x30) * 10 + (<i32>load<u8>(p + i + 2) - 0x30);
    const group = (<i32>load<u8>(p + i + 4) - 0x30) * 10 + (<i32>load<u8>(p + i + 5) - 0x30);
    let serial = 0;
    for (let k: usize = 7; k < 11; k++) serial = serial * 10 + (<i32>load<u8>(p + i + k) - 0x30);
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) continue;
    // well-known example numbers
    if (area == 123 && group == 45 && serial == 6789) continue;
    if (area == 78 && group == 5 && serial == 1120) continue;
    hit(leak, "ssn", p + i, 11, true);
    return true;
  }
  return false;
}

// ---- IBAN ----

const chars = new StaticArray<u8>(34);

function iban(p: usize, len: usize, leak: Leak): bool {
  for (let i: usize = 0; i + 15 <= len; i++) {
    const a = load<u8>(p + i);
    const b = load<u8>(p + i + 1);
    if (!(a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a)) continue;
    if (i > 0 && (isAlpha(load<u8>(p + i - 1)) || isDigitB(load<u8>(p + i - 1)))) continue;
    if (!isDigitB(load<u8>(p + i + 2)) || !isDigitB(load<u8>(p + i + 3))) continue;
    // collect up to 34 characters (spaces between groups of four allowed)
    let j = i;
    let n = 0;
    let rem: u64 = 0;
    while (j < len && n < 34) {
      const c = load<u8>(p + j);
      if (isDigitB(c) || (c >= 0x41 && c <= 0x5a)) {
        unchecked(chars[n] = c);
        n++;
        j++;
        continue;
      }
      if (c == 0x20 && j + 1 < len && (n % 4) == 0 && (isDigitB(load<u8>(p + j + 1)) || (load<u8>(p + j + 1) >= 0x41 && load<u8>(p + j + 1) <= 0x5a))) {
        j++;
        continue;
      }
      break;
    }
    if (n < 15 || n > 34) continue;
    if (j < len && isAlpha(load<u8>(p + j))) continue;
    rem = 0;
    for (let k = 4; k < n + 4; k++) {
      const c = unchecked(chars[k % n]);
      if (isDigitB(c)) rem = (rem * 10 + <u64>(c - 0x30)) % 97;
      else rem = (rem * 100 + <u64>(c - 0x41 + 10)) % 97;
    }
    if (rem == 1) {
      hit(leak, "iban", p + i, j - i, true);
      return true;
    }
  }
  return false;
}

// ---- keys and tokens ----

const AWS_PREFIXES: StaticArray<string> = ["akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva"];

function aws(p: usize, len: usize, leak: Leak): bool {
  for (let i: usize = 0; i + 20 <= len; i++) {
    if (load<u8>(p + i) != 0x41) continue;
    if (i > 0 && (isAlpha(load<u8>(p + i - 1)) || isDigitB(load<u8>(p + i - 1)))) continue;
    let pre = false;
    for (let k = 0; k < AWS_PREFIXES.length; k++) if (atNoCase(p + i, p + len, unchecked(AWS_PREFIXES[k]))) pre = true;
    if (!pre) continue;
    let ok = true;
    for (let k: usize = 0; k < 20; k++) {
      const c = load<u8>(p + i + k);
      if (!((c >= 0x41 && c <= 0x5a) || isDigitB(c))) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (i + 20 < len && (isAlpha(load<u8>(p + i + 20)) || isDigitB(load<u8>(p + i + 20)))) continue;
    hit(leak, "aws-access-key", p + i, 20, true);
    return true;
  }
  return false;
}

function privateKey(p: usize, len: usize, leak: Leak): bool {
  const at = findNoCase(p, len, "-----begin ", 0);
  if (at < 0) return false;
  const a = <usize>at;
  let e = a + 11;
  while (e < len && e < a + 48 && load<u8>(p + e) != 0x2d) e++;
  if (findNoCase(p + a, e - a, "private key", 0) < 0) return false;
  hit(leak, "private-key", p + a, e - a + 5 < len - a ? e - a + 5 : len - a, false);
  return true;
}

function isB64url(c: u8): bool {
  return isAlpha(c) || isDigitB(c) || c == 0x2d || c == 0x5f;
}

function jwt(p: usize, len: usize, leak: Leak): bool {
  let from: usize = 0;
  while (true) {
    const at = findNoCase(p, len, "eyj", from);
    if (at < 0) return false;
    const a = <usize>at;
    from = a + 3;
    if (load<u8>(p + a) != 0x65 || load<u8>(p + a + 2) != 0x4a) continue;
    let j = a;
    let dots = 0;
    let seg: usize = 0;
    let minSeg: usize = 1000;
    while (j < len) {
      const c = load<u8>(p + j);
      if (c == 0x2e) {
        if (seg < minSeg) minSeg = seg;
        dots++;
        seg = 0;
        j++;
        continue;
      }
      if (!isB64url(c)) break;
      seg++;
      j++;
    }
    if (dots == 2 && minSeg >= 8 && seg >= 8) {
      hit(leak, "jwt", p + a, j - a, true);
      return true;
    }
  }
  return false;
}

function prefixedToken(p: usize, len: usize, leak: Leak, prefix: string, minLen: usize, sensor: string): bool {
  let from: usize = 0;
  while (true) {
    const at = findNoCase(p, len, prefix, from);
    if (at < 0) return false;
    const a = <usize>at;
    from = a + 1;
    if (a > 0 && isB64url(load<u8>(p + a - 1))) continue;
    let j = a + <usize>prefix.length;
    while (j < len && (isAlpha(load<u8>(p + j)) || isDigitB(load<u8>(p + j)) || load<u8>(p + j) == 0x5f || load<u8>(p + j) == 0x2d)) j++;
    if (j - a - <usize>prefix.length >= minLen) {
      hit(leak, sensor, p + a, j - a, true);
      return true;
    }
  }
  return false;
}

function github(p: usize, len: usize, leak: Leak): bool {
  return prefixedToken(p, len, leak, "ghp_", 36, "github-token") || prefixedToken(p, len, leak, "gho_", 36, "github-token") ||
    prefixedToken(p, len, leak, "ghu_", 36, "github-token") || prefixedToken(p, len, leak, "ghs_", 36, "github-token") ||
    prefixedToken(p, len, leak, "ghr_", 36, "github-token") || prefixedToken(p, len, leak, "github_pat_", 60, "github-token");
}

function slack(p: usize, len: usize, leak: Leak): bool {
  if (prefixedToken(p, len, leak, "xoxb-", 20, "slack-token") || prefixedToken(p, len, leak, "xoxp-", 20, "slack-token") ||
      prefixedToken(p, len, leak, "xoxa-", 20, "slack-token") || prefixedToken(p, len, leak, "xoxr-", 20, "slack-token") ||
      prefixedToken(p, len, leak, "xoxs-", 20, "slack-token")) return true;
  const at = findNoCase(p, len, "hooks.slack.com/services/t", 0);
  if (at >= 0) {
    hit(leak, "slack-token", p + <usize>at, len - <usize>at < 60 ? len - <usize>at : 60, true);
    return true;
  }
  return false;
}

const TRACES: StaticArray<string> = [
  "traceback (most recent call last)", "exception in thread \"", "\tat java.", "\tat org.", "\tat com.",
  "at java.lang.", "at org.springframework.", "system.nullreferenceexception", "   at system.",
  "stack trace:", "goroutine 1 [running]", "panic: runtime error", ".php on line ", "fatal error: uncaught",
  "at object.<anonymous>", "node:internal/", "microsoft .net framework version", "server error in '/' application",
  "werkzeug debugger", "django.core.exceptions", "actioncontroller::", "laravel\\", "whoops\\",
];
const SQL_ERRORS: StaticArray<string> = [
  "you have an error in your sql syntax", "ora-00", "ora-01", "pg::syntaxerror", "sqlstate[",
  "unclosed quotation mark after the character string", "microsoft ole db provider for", "odbc sql server driver",
  "sqlite3.operationalerror", "sqlite3::sqlexception", "psycopg2.", "java.sql.sqlexception", "mysqlexception",
  "warning: mysql_", "valid mysql result", "postgresql query failed", "syntax error at or near",
  "incorrect syntax near", "quoted string not properly terminated", "sqliteexception", "mysql_fetch_array()",
  "supplied argument is not a valid mysql", "com.mysql.jdbc", "org.postgresql.util.psqlexception",
  "system.data.sqlclient.sqlexception", "db2 sql error", "sybase message", "mariadb server version for the right syntax",
];

const TRACE_SET = new WordSet(TRACES, false);
const SQL_ERROR_SET = new WordSet(SQL_ERRORS, false);

function phrases(p: usize, len: usize, leak: Leak, set: WordSet, sensor: string): bool {
  const i = set.find(p, len, 0);
  if (i < 0) return false;
  hit(leak, sensor, p + set.at, <usize>unchecked(set.words[i]).length, false);
  return true;
}

/** Run the configured built-in sensors over [p, p+len). */
export function scanBuiltins(cfg: DlpConfig, p: usize, len: usize, leak: Leak): bool {
  const s = cfg.sensors;
  if ((s & (1 << <u32>Sensor.CreditCard)) != 0 && cards(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.Ssn)) != 0 && ssn(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.Iban)) != 0 && iban(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.AwsKey)) != 0 && aws(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.PrivateKey)) != 0 && privateKey(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.Jwt)) != 0 && jwt(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.GithubToken)) != 0 && github(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.SlackToken)) != 0 && slack(p, len, leak)) return true;
  if ((s & (1 << <u32>Sensor.StackTrace)) != 0 && phrases(p, len, leak, TRACE_SET, "stack-trace")) return true;
  if ((s & (1 << <u32>Sensor.SqlError)) != 0 && phrases(p, len, leak, SQL_ERROR_SET, "sql-error")) return true;
  return false;
}

/** Run the custom sensors of a context (CONTEXT_*) over [p, p+len). */
export function scanCustom(cfg: DlpConfig, context: u32, p: usize, len: usize, leak: Leak): bool {
  const custom = cfg.custom;
  for (let i = 0; i < custom.length; i++) {
    const c = unchecked(custom[i]);
    if ((c.contexts & context) == 0) continue;
    if (search(c.pattern, p, len)) {
      hit(leak, "custom", p + matchStart, matchEnd - matchStart, true);
      leak.custom = c.name;
      return true;
    }
  }
  return false;
}

export function sensorByName(p: usize, len: usize): i32 {
  for (let i = 0; i < SENSOR_NAMES.length; i++) {
    const n = unchecked(SENSOR_NAMES[i]);
    if (<usize>n.length == len && atNoCase(p, p + len, n)) return i;
  }
  return -1;
}
