// CR/LF injection (response splitting, header injection) and mail (SMTP/IMAP) command
// injection: a line break in a value followed by what would become a header or a protocol
// command. Unicode line breaks some servers fold to CR/LF (U+560A U+560D, "嘊嘍") count too.
// Multi-line text (comments, addresses) has line breaks followed by prose, and passes.
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report, scan } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha, isDigitB, isSpace } from "../inspect/text";

const HEADERS: StaticArray<string> = [
  "set-cookie", "location", "content-length", "content-type", "refresh", "transfer-encoding",
  "x-xss-protection", "access-control-allow-origin", "access-control-allow-credentials",
  "content-security-policy", "cache-control", "content-disposition", "link", "server", "host",
  "http/1.", "http/2", "x-forwarded-for", "cookie", "authorization",
];
const MAIL_HEADERS: StaticArray<string> = ["bcc:", "cc:", "to:", "from:", "subject:", "reply-to:", "sender:", "content-type:", "x-mailer:"];
const SMTP: StaticArray<string> = ["mail from:", "rcpt to:", "data", "quit", "helo ", "ehlo ", "rset", "vrfy ", "expn ", "auth "];
const IMAP: StaticArray<string> = [
  "login ", "select ", "fetch ", "delete ", "capability", "logout", "create ", "rename ", "list ",
  "store ", "copy ", "examine ", "status ", "append ", "uid ", "search ", "expunge",
];

function lineBreakAt(p: usize, len: usize, i: usize): usize {
  const c = load<u8>(p + i);
  if (c == 0x0d || c == 0x0a) return 1;
  if (c == 0xe5 && i + 2 < len && load<u8>(p + i + 1) == 0x98 && (load<u8>(p + i + 2) == 0x8a || load<u8>(p + i + 2) == 0x8d)) return 3;
  return 0;
}

/** Only white space (or a path's slash) before offset i; in a URL, the start of a segment. */
function firstBreak(p: usize, i: usize, inUrl: bool): bool {
  if (inUrl && i > 0 && load<u8>(p + i - 1) == 0x2f) return true;
  for (let k: usize = 0; k < i; k++) {
    const c = load<u8>(p + k);
    if (c != 0x20 && c != 0x09 && c != 0x2f) return false;
  }
  return true;
}

/** No lower-case letter in [p, p+n): commands as written on the wire, not a "Data" heading. */
function upper(p: usize, n: usize): bool {
  for (let k: usize = 0; k < n; k++) {
    const c = load<u8>(p + k);
    if (c >= 0x61 && c <= 0x7a) return false;
  }
  return true;
}

/** At `at` the line ends (a break or the end of the value, after trailing spaces). */
function lineEnds(p: usize, len: usize, at: usize): bool {
  let k = at;
  while (k < len && (load<u8>(p + k) == 0x20 || load<u8>(p + k) == 0x09)) k++;
  return k >= len || lineBreakAt(p, len, k) > 0;
}

export function detectCrlf(p: usize, len: usize, inUrl: bool): void {
  let crlf = 0;
  let crlfAt: usize = 0;
  let mail = 0;
  let mailAt: usize = 0;
  const hasAt = findNoCase(p, len, "@", 0) >= 0;
  let breaks = 0;
  for (let i: usize = 0; i < len && breaks < 32; i++) {
    const b = lineBreakAt(p, len, i);
    if (b == 0) continue;
    breaks++;
    let j = i + b;
    while (j < len && lineBreakAt(p, len, j) > 0) j += lineBreakAt(p, len, j);
    if (j >= len) continue;
    const e = p + len;
    // A header line: name ':'
    let k = j;
    while (k < len && (isAlpha(load<u8>(p + k)) || isDigitB(load<u8>(p + k)) || load<u8>(p + k) == 0x2d)) k++;
    const isHeaderLine = k > j && k < len && load<u8>(p + k) == 0x3a;
    for (let h = 0; h < HEADERS.length; h++) {
      if (atNoCase(p + j, e, unchecked(HEADERS[h]))) {
        const s = h < 9 || inUrl ? CRITICAL : HIGH;
        if (s > crlf && (isHeaderLine || h == 15 || h == 16)) {
          crlf = s;
          crlfAt = i;
        }
      }
    }
    if (isHeaderLine && crlf < MEDIUM) {
      crlf = inUrl ? HIGH : LOW;
      crlfAt = i;
    }
    // HTML after a blank line: response body injection
    if (inUrl && (atNoCase(p + j, e, "<html") || atNoCase(p + j, e, "<script"))) {
      crlf = CRITICAL;
      crlfAt = i;
    }
    // Mail: headers with an address, SMTP commands, IMAP tagged commands.
    for (let h = 0; h < MAIL_HEADERS.length; h++) {
      if (atNoCase(p + j, e, unchecked(MAIL_HEADERS[h]))) {
        let le = j;
        while (le < len && lineBreakAt(p, len, le) == 0) le++;
        if (findNoCase(p + j, le - j, "@", 0) >= 0 || h == 7) {
          mail = CRITICAL;
          mailAt = i;
        }
      }
    }
    for (let h = 0; h < SMTP.length; h++) {
      const w = unchecked(SMTP[h]);
      if (atNoCase(p + j, e, w)) {
        const after = j + <usize>w.length;
        if (h >= 2 && h <= 4 && after < len && !(lineBreakAt(p, len, after) > 0 || isSpace(load<u8>(p + after)))) continue;
        // DATA, QUIT, RSET in capitals alone on a line right after a break that opens the value:
        // a command line smuggled into the conversation, not a word of a multi-line text.
        if (h >= 2 && h <= 4 && !hasAt && !(firstBreak(p, i, inUrl) && lineEnds(p, len, after) && upper(p + j, after - j))) continue;
        mail = CRITICAL;
        mailAt = i;
      }
    }
    // IMAP: <tag> <command>
    let t = j;
    while (t < len && (isAlpha(load<u8>(p + t)) || isDigitB(load<u8>(p + t)))) t++;
    if (t > j && t - j <= 8 && t < len && load<u8>(p + t) == 0x20 && isDigitB(load<u8>(p + t - 1))) {
      for (let h = 0; h < IMAP.length; h++) {
        if (atNoCase(p + t + 1, e, unchecked(IMAP[h]))) {
          mail = CRITICAL;
          mailAt = i;
        }
      }
    }
  }
  if (mail > 0) report(AttackClass.Mail, mail, 1, "mail-command", mailAt, 48);
  if (crlf > 0) report(AttackClass.Crlf, crlf, crlf >= MEDIUM ? 1 : 2, "header-injection", crlfAt, 48);
}
