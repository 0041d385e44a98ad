// Cross-site scripting. An HTML tokenizer reads every tag the value would open as a browser
// does (tag name, then attributes separated by white space or `/`, values quoted or not) and
// flags what runs script: <script>, event-handler attributes (on*), script URLs in URL
// attributes (href, src, action, formaction, xlink:href, data, ...), CSS expressions, srcdoc,
// and the embedding tags. Outside tags it looks for the JavaScript and attribute contexts a
// value can break out of: a quote followed by an event handler (`" onmouseover=...`), a quote
// followed by an operator and a call of a script sink (`';alert(1)//`), `javascript:` URLs.
// Rich text (<p>, <b>, <a href="https://...">, <img src alt>, style="color:...") and prose with
// < and > have none of these and pass.
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isAlpha, isDigitB, isSpace, lc } from "../inspect/text";
import { WordSet } from "../inspect/word-set";
import { ByteBuffer } from "../bytes";

const C = AttackClass.Xss;
// Bits of inspect/value.ts character classes ('<' and '='); flags 0 means unknown.
const X_LT: u32 = 4;
const X_EQ: u32 = 32768;

let bestScore = 0;
let bestRule = "";
let bestStart: usize = 0;
let bestLen: usize = 0;

function found(score: i32, rule: string, start: usize, len: usize): void {
  if (score > bestScore) {
    bestScore = score;
    bestRule = rule;
    bestStart = start;
    bestLen = len;
  }
}

const URL_ATTRS: StaticArray<string> = [
  "href", "src", "action", "formaction", "data", "xlink:href", "background", "lowsrc", "dynsrc",
  "poster", "codebase", "content", "values", "to", "from", "by", "code", "profile", "cite",
  "longdesc", "usemap", "manifest", "icon", "classid", "archive", "ping", "srcset", "imagesrcset",
  "xml:base", "folder",
];

/** Does [p, p+len) start (after white space and control bytes) with a script URL? White space
 * and control bytes inside the scheme are ignored, as browsers do (`java\tscript:`). */
export function scriptUrl(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len && (load<u8>(p + i) <= 0x20)) i++;
  return schemeIs(p, len, i, "javascript:") || schemeIs(p, len, i, "vbscript:") ||
    schemeIs(p, len, i, "livescript:") || schemeIs(p, len, i, "data:text/html") ||
    schemeIs(p, len, i, "data:image/svg") || schemeIs(p, len, i, "data:application/") ||
    schemeIs(p, len, i, "data:text/xml") || schemeIs(p, len, i, "data:text/javascript") ||
    schemeIs(p, len, i, "data:,");
}

/** After the scheme's ':' only words of prose: "JavaScript: the basics of the language" is a
 * title, not a script (no call, operator, property access, string or markup). */
function proseAfterScheme(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len && load<u8>(p + i) != 0x3a) i++;
  i++;
  let words = 0;
  let inWord = false;
  for (; i < len; i++) {
    const c = load<u8>(p + i);
    if (isAlpha(c) || isDigitB(c)) {
      if (!inWord) words++;
      inWord = true;
      continue;
    }
    inWord = false;
    if (c == 0x20 || c == 0x2c || c == 0x3f || c == 0x21 || c == 0x2d) continue;
    if (c == 0x2e && (i + 1 >= len || load<u8>(p + i + 1) == 0x20)) continue; // a full stop
    return false;
  }
  return words >= 3;
}

function schemeIs(p: usize, len: usize, i: usize, lit: string): bool {
  let k = 0;
  const n = lit.length;
  while (i < len && k < n) {
    const c = load<u8>(p + i);
    if (c == 0x09 || c == 0x0a || c == 0x0d || c == 0) {
      i++;
      continue;
    }
    if (<u32>lc(c) != <u32>lit.charCodeAt(k)) return false;
    i++;
    k++;
  }
  return k == n;
}

function nameIs(p: usize, len: usize, lit: string): bool {
  if (len != <usize>lit.length) return false;
  return atNoCase(p, p + len, lit);
}

function isUrlAttr(p: usize, len: usize): bool {
  for (let i = 0; i < URL_ATTRS.length; i++) {
    if (nameIs(p, len, unchecked(URL_ATTRS[i]))) return true;
  }
  return false;
}

function cssDanger(p: usize, len: usize): bool {
  return findNoCase(p, len, "expression(") >= 0 || findNoCase(p, len, "javascript:") >= 0 ||
    findNoCase(p, len, "behavior:") >= 0 || findNoCase(p, len, "-moz-binding") >= 0 ||
    findNoCase(p, len, "@import") >= 0 || findNoCase(p, len, "vbscript:") >= 0;
}

// '<' inside a tag starts an attribute name for a browser (`<body \< onscroll=...>`).
function isNameByte(c: u8): bool {
  return c > 0x20 && c != 0x2f && c != 0x3e && c != 0x3d;
}

/** Read the tag at p+i (p[i] == '<'); returns the offset after it. */
function tag(p: usize, len: usize, i: usize): usize {
  const t0 = i;
  let j = i + 1;
  let closing = false;
  if (j < len && load<u8>(p + j) == 0x2f) {
    closing = true;
    j++;
  }
  if (j >= len || !isAlpha(load<u8>(p + j))) return i + 1;
  const ns = j;
  while (j < len) {
    const c = load<u8>(p + j);
    if (!(isAlpha(c) || isDigitB(c) || c == 0x2d || c == 0x3a || c == 0x5f)) break;
    j++;
  }
  const nl = j - ns;
  const np = p + ns;
  const limit = t0 + 4096 < len ? t0 + 4096 : len;
  if (closing) {
    if (nameIs(np, nl, "script")) found(HIGH, "script-close", p + t0, j - t0);
    return j;
  }
  // The tag name must end at a separator for a browser to read it.
  if (j < len) {
    const c = load<u8>(p + j);
    if (!(isSpace(c) || c == 0x2f || c == 0x3e || c == 0)) return j;
  }
  if (nameIs(np, nl, "script")) {
    found(CRITICAL, "script-tag", p + t0, j - t0);
    return j;
  }
  if (nameIs(np, nl, "xss")) {
    found(CRITICAL, "probe-tag", p + t0, j - t0);
    return j;
  }
  let dangerousTag = 0;
  if (nameIs(np, nl, "iframe") || nameIs(np, nl, "frame") || nameIs(np, nl, "frameset")) dangerousTag = 1;
  else if (nameIs(np, nl, "object") || nameIs(np, nl, "embed") || nameIs(np, nl, "applet") ||
           nameIs(np, nl, "base") || nameIs(np, nl, "portal") || nameIs(np, nl, "import")) dangerousTag = 2;
  else if (nameIs(np, nl, "meta") || nameIs(np, nl, "link")) dangerousTag = 3;
  else if (nameIs(np, nl, "style")) dangerousTag = 4;
  let srcSafe = true;
  // Attributes.
  while (j < limit) {
    let c = load<u8>(p + j);
    while (j < limit && (isSpace(c) || c == 0x2f || c == 0 || c == 0x22 || c == 0x27)) {
      j++;
      c = j < limit ? load<u8>(p + j) : 0;
    }
    if (j >= limit || c == 0x3e) break;
    const as = j;
    while (j < limit && isNameByte(load<u8>(p + j))) j++;
    const al = j - as;
    if (al == 0) {
      j++;
      continue;
    }
    let k = j;
    while (k < limit && isSpace(load<u8>(p + k))) k++;
    let vs: usize = 0;
    let vl: usize = 0;
    let hasValue = false;
    if (k < limit && load<u8>(p + k) == 0x3d) {
      k++;
      while (k < limit && isSpace(load<u8>(p + k))) k++;
      hasValue = true;
      if (k < limit && (load<u8>(p + k) == 0x22 || load<u8>(p + k) == 0x27 || load<u8>(p + k) == 0x60)) {
        const q = load<u8>(p + k);
        vs = k + 1;
        k = vs;
        while (k < len && load<u8>(p + k) != q) k++;
        vl = k - vs;
        if (k < len) k++;
      } else {
        vs = k;
        while (k < limit && !isSpace(load<u8>(p + k)) && load<u8>(p + k) != 0x3e) k++;
        vl = k - vs;
      }
      j = k;
    }
    const ap = p + as;
    if (al > 4 && lc(load<u8>(ap)) == 0x6f && lc(load<u8>(ap + 1)) == 0x6e && isAlpha(load<u8>(ap + 2))) {
      let letters = true;
      for (let x: usize = 2; x < al; x++) if (!isAlpha(load<u8>(ap + x))) letters = false;
      if (letters) {
        if (hasValue && vl > 0) found(CRITICAL, "event-handler", p + t0, j - t0);
        else found(MEDIUM, "event-handler", p + t0, j - t0);
      }
    } else if (hasValue && isUrlAttr(ap, al)) {
      if (scriptUrl(p + vs, vl) || (nameIs(ap, al, "content") && findNoCase(p + vs, vl, "javascript:") >= 0)) {
        found(CRITICAL, "script-url", p + t0, j - t0);
      }
      if (nameIs(ap, al, "src") || nameIs(ap, al, "data")) {
        srcSafe = vl > 0 && (atNoCase(p + vs, p + vs + vl, "https://") || atNoCase(p + vs, p + vs + vl, "http://") ||
          load<u8>(p + vs) == 0x2f);
      }
    } else if (hasValue && nameIs(ap, al, "style")) {
      if (cssDanger(p + vs, vl)) found(CRITICAL, "css-script", p + t0, j - t0);
    } else if (hasValue && nameIs(ap, al, "srcdoc")) {
      found(vl > 0 && findNoCase(p + vs, vl, "<") >= 0 ? CRITICAL : HIGH, "srcdoc", p + t0, j - t0);
    } else if (nameIs(ap, al, "http-equiv") && dangerousTag == 3) {
      found(HIGH, "meta-refresh", p + t0, j - t0);
    } else if (hasValue && nameIs(ap, al, "rel") && dangerousTag == 3 && findNoCase(p + vs, vl, "import") >= 0) {
      found(CRITICAL, "link-import", p + t0, j - t0);
    } else if (hasValue && nameIs(ap, al, "attributename") && vl > 2 && lc(load<u8>(p + vs)) == 0x6f && lc(load<u8>(p + vs + 1)) == 0x6e) {
      found(CRITICAL, "svg-set-handler", p + t0, j - t0);
    } else if (hasValue && (nameIs(ap, al, "attributename") || nameIs(ap, al, "xmlns")) &&
               vl > 0 && (findNoCase(p + vs, vl, "href") >= 0 || findNoCase(p + vs, vl, "xhtml") >= 0)) {
      found(MEDIUM, "svg-animate", p + t0, j - t0);
    }
  }
  if (dangerousTag == 1) found(srcSafe ? LOW : HIGH, "frame-tag", p + t0, j - t0);
  else if (dangerousTag == 2) found(CRITICAL, "embedding-tag", p + t0, j - t0);
  else if (dangerousTag == 4) {
    const rest = len - t0 < 512 ? len - t0 : 512;
    found(cssDanger(p + t0, rest) ? CRITICAL : MEDIUM, "style-tag", p + t0, j - t0);
  }
  return j > i + 1 ? j : i + 1;
}

const SINKS: StaticArray<string> = [
  "alert", "prompt", "confirm", "eval", "fetch", "import", "settimeout", "setinterval",
  "function", "constructor", "atob", "fromcharcode", "write", "writeln", "execscript",
  "print", "open", "cookie", "location", "innerhtml", "outerhtml", "domain", "xmlhttprequest",
  "sendbeacon", "postmessage", "globalthis", "top", "self", "parent", "frames", "window", "document",
];

/** Reads an identifier chain at p+i (a.b['c'].d); true when one of its parts is a sink and it
 * is called, assigned or indexed. */
function sinkChain(p: usize, len: usize, i: usize): bool {
  let sink = false;
  let j = i;
  let parts = 0;
  while (j < len && parts < 8) {
    const s = j;
    while (j < len && (isAlpha(load<u8>(p + j)) || isDigitB(load<u8>(p + j)) || load<u8>(p + j) == 0x5f || load<u8>(p + j) == 0x24)) j++;
    if (j == s) break;
    parts++;
    for (let k = 0; k < SINKS.length; k++) {
      if (nameIs(p + s, j - s, unchecked(SINKS[k]))) {
        sink = true;
        break;
      }
    }
    if (j < len && load<u8>(p + j) == 0x2e) {
      j++;
      continue;
    }
    break;
  }
  if (!sink || j >= len) return sink && parts > 1;
  const c = load<u8>(p + j);
  return c == 0x28 || c == 0x60 || c == 0x3d || c == 0x5b || parts > 1;
}

/** After a quote: operators and closers, then a sink: `';alert(1)//`, `"-alert(1)-"`. */
function jsBreak(p: usize, len: usize, q: usize): bool {
  let j = q + 1;
  let ops = 0;
  while (j < len && j < q + 12) {
    const c = load<u8>(p + j);
    if (c == 0x29 || c == 0x5d || c == 0x7d || c == 0x3b || c == 0x2b || c == 0x2d || c == 0x2a ||
        c == 0x7c || c == 0x26 || c == 0x2c || c == 0x5e || c == 0x3f || c == 0x3a || c == 0x25 ||
        c == 0x2f || c == 0x7e || c == 0x21 || c == 0x3c || c == 0x3e || c == 0x3d) {
      ops++;
      j++;
    } else if (isSpace(c)) {
      j++;
    } else {
      break;
    }
  }
  if (ops == 0 || j >= len) return false;
  // `(alert)(1)`, `[alert][0](1)`
  while (j < len && (load<u8>(p + j) == 0x28 || load<u8>(p + j) == 0x5b)) j++;
  return sinkChain(p, len, j);
}

/** `" onmouseover=...`: an event handler after white space or `/` following a quote. */
function handlerAt(p: usize, len: usize, i: usize): usize {
  // p[i..] starts with "on" + letters + spaces + "="; returns the end of the name or 0.
  if (i + 4 >= len) return 0;
  if (lc(load<u8>(p + i)) != 0x6f || lc(load<u8>(p + i + 1)) != 0x6e) return 0;
  let j = i + 2;
  while (j < len && isAlpha(load<u8>(p + j))) j++;
  if (j - i < 5) return 0;
  let k = j;
  while (k < len && isSpace(load<u8>(p + k))) k++;
  if (k >= len || load<u8>(p + k) != 0x3d) return 0;
  k++;
  while (k < len && isSpace(load<u8>(p + k))) k++;
  return k < len ? k : 0;
}

export function detectXss(p: usize, len: usize, flags: u32): void {
  bestScore = 0;
  bestRule = "";
  xssPasses(p, len, flags);
  // Words split by empty tags (`o<x>nfocus=alert<x>(1)`) for a sanitizer that strips them:
  // read once more with those tags removed.
  if (bestScore < CRITICAL && (flags == 0 || (flags & X_LT) != 0) && unsplit(p, len)) {
    const before = bestScore;
    xssPasses(joined.ptr, joined.len, 0);
    if (bestScore > before) {
      bestStart = p;
      bestLen = len < 48 ? len : 48;
    }
  }
  if (bestScore > 0) report(C, bestScore, bestScore >= MEDIUM ? 1 : 2, bestRule, bestStart - p, bestLen);
}

const joined = new ByteBuffer(256);

/** `<name>` at i (1 to 8 letters or digits) between a letter and a letter or '(': the end
 * offset, or 0. */
function splitTag(p: usize, len: usize, i: usize): usize {
  if (i == 0 || !isAlpha(load<u8>(p + i - 1))) return 0;
  let j = i + 1;
  while (j < len && j < i + 10 && (isAlpha(load<u8>(p + j)) || isDigitB(load<u8>(p + j)))) j++;
  if (j == i + 1 || j >= len || j >= i + 10 || load<u8>(p + j) != 0x3e) return 0;
  j++;
  if (j >= len || !(isAlpha(load<u8>(p + j)) || load<u8>(p + j) == 0x28)) return 0;
  return j;
}

/** Copy the value into `joined` without split tags; false when it has none. */
function unsplit(p: usize, len: usize): bool {
  let found = false;
  let n = 0;
  for (let i: usize = 0; i < len && n < 64; i++) {
    if (load<u8>(p + i) != 0x3c) continue;
    n++;
    if (splitTag(p, len, i) > 0) {
      found = true;
      break;
    }
  }
  if (!found) return false;
  joined.reset();
  joined.reserve(len);
  let i: usize = 0;
  n = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == 0x3c && n < 64) {
      n++;
      const e = splitTag(p, len, i);
      if (e > 0) {
        i = e;
        continue;
      }
    }
    joined.byte(c);
    i++;
  }
  return true;
}

function xssPasses(p: usize, len: usize, flags: u32): void {
  // Tags.
  let tags = 0;
  const hasLt = flags == 0 || (flags & X_LT) != 0;
  // Every '<', also inside attribute values: what one parser reads as an attribute another
  // reads as markup (<p title="</noscript><img src=x onerror=...>">).
  for (let i: usize = 0; hasLt && i < len && tags < 64; i++) {
    if (load<u8>(p + i) != 0x3c) continue;
    tags++;
    tag(p, len, i);
    if (bestScore >= CRITICAL) break;
  }
  if (bestScore < CRITICAL) {
    // A script URL as the whole value (redirects, links).
    if (scriptUrl(p, len)) found(proseAfterScheme(p, len) ? LOW : CRITICAL, "script-url", p, len < 32 ? len : 32);
    // Quote breaks: attribute injection and JavaScript string breaks.
    let quotes = 0;
    for (let i: usize = 0; i < len && quotes < 8; i++) {
      const c = load<u8>(p + i);
      if (c != 0x22 && c != 0x27 && c != 0x60) continue;
      quotes++;
      let j = i + 1;
      while (j < len && (isSpace(load<u8>(p + j)) || load<u8>(p + j) == 0x2f)) j++;
      if (j > i + 1 || j < len) {
        // Attributes may come first: `" autofocus onfocus=...`
        let k = j;
        for (let w = 0; w < 3 && k < len; w++) {
          const h = handlerAt(p, len, k);
          if (h > 0) {
            found(CRITICAL, "attribute-injection", p + i, h - i + 8 < len - i ? h - i + 8 : len - i);
            break;
          }
          while (k < len && isAlpha(load<u8>(p + k))) k++;
          if (k < len && load<u8>(p + k) == 0x3d) break;
          while (k < len && (isSpace(load<u8>(p + k)) || load<u8>(p + k) == 0x2f)) k++;
        }
        if (j < len && (load<u8>(p + j) == 0x3e) && j + 1 < len && load<u8>(p + j + 1) == 0x3c) {
          found(HIGH, "tag-breakout", p + i, 2);
        }
      }
      if (jsBreak(p, len, i)) found(CRITICAL, "js-breakout", p + i, len - i < 48 ? len - i : 48);
    }
  }
  if (bestScore < HIGH) {
    // Handlers without a quote before them (unquoted attribute values).
    // `name=` where the name is on<letters> after white space or '/'
    let eqs = 0;
    const hasEq = flags == 0 || (flags & X_EQ) != 0;
    for (let e: usize = 1; hasEq && e < len && eqs < 16; e++) {
      if (load<u8>(p + e) != 0x3d) continue;
      eqs++;
      let ne = e;
      while (ne > 0 && isSpace(load<u8>(p + ne - 1))) ne--;
      let a = ne;
      while (a > 0 && isAlpha(load<u8>(p + a - 1))) a--;
      if (ne - a < 5 || lc(load<u8>(p + a)) != 0x6f || lc(load<u8>(p + a + 1)) != 0x6e) continue;
      if (a > 0 && !(isSpace(load<u8>(p + a - 1)) || load<u8>(p + a - 1) == 0x2f)) continue;
      const h = handlerAt(p, len, a);
      if (h > 0 && sinkOrCall(p, len, h)) found(HIGH, "event-handler", p + a, h - a);
    }
    // Script sinks called anywhere.
    sinkCalls(p, len);
    if (bestScore < HIGH && JS_URL_SET.has(p, len)) found(MEDIUM, "script-url", p, 16);
  }
}

function sinkOrCall(p: usize, len: usize, i: usize): bool {
  let j = i;
  if (j < len && (load<u8>(p + j) == 0x22 || load<u8>(p + j) == 0x27)) j++;
  const s = j;
  while (j < len && (isAlpha(load<u8>(p + j)) || isDigitB(load<u8>(p + j)) || load<u8>(p + j) == 0x2e || load<u8>(p + j) == 0x5f)) j++;
  if (j == s || j >= len) return false;
  const c = load<u8>(p + j);
  return c == 0x28 || c == 0x60 || c == 0x3d;
}

const CALLS: StaticArray<string> = ["alert", "prompt", "confirm", "document.cookie", "fromcharcode(", "constructor(", "eval(", "document["];
const CALL_SET = new WordSet(CALLS);
const JS_URL_SET = new WordSet(["javascript:"]);

// Set by callAfter: the call's form exists only in JavaScript (`.call(`, `?.(`, `(alert)(`).
let jsOnlyCall = false;

/** After a sink's name at e: the call that follows, if any: `(`, a template literal, `?.(`,
 * `.call(` / `.apply(` / `.bind(`, or `)(` when the name was parenthesized. Returns the offset
 * just after the opening parenthesis (or backtick), or 0 when the name is not called. */
function callAfter(p: usize, len: usize, e0: usize, parenthesized: bool): usize {
  jsOnlyCall = false;
  let e = e0;
  while (e < len && isSpace(load<u8>(p + e))) e++;
  if (e >= len) return 0;
  const c = load<u8>(p + e);
  if (c == 0x28 || c == 0x60) return e + 1;
  if (c == 0x3f && e + 2 < len && load<u8>(p + e + 1) == 0x2e && load<u8>(p + e + 2) == 0x28) {
    jsOnlyCall = true;
    return e + 3;
  }
  if (c == 0x2e) {
    const m = p + e + 1;
    if (atNoCase(m, p + len, "call") || atNoCase(m, p + len, "bind")) e += 5;
    else if (atNoCase(m, p + len, "apply")) e += 6;
    else return 0;
  } else if (c == 0x29 && parenthesized) {
    e++;
  } else {
    return 0;
  }
  while (e < len && isSpace(load<u8>(p + e))) e++;
  if (e < len && load<u8>(p + e) == 0x28) {
    jsOnlyCall = true;
    return e + 1;
  }
  return 0;
}

const PROBE_ARGS: StaticArray<string> = ["document", "window", "this", "null", "top", "self", "origin", "string.fromcharcode", "location"];

/** The first argument of a dialog call as injection probes write it: a number, a short marker
 * string ('XSS'), a regex, an empty list, the DOM (`document.domain`); not a word of prose nor
 * the message of a code sample (confirm("Delete this item?")). */
function probeArg(p: usize, len: usize, a: usize): bool {
  let i = a;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  if (i >= len) return false;
  const c = load<u8>(p + i);
  if (isDigitB(c) || c == 0x29 || c == 0x2f || c == 0x5b || c == 0x2c) return true;
  if (c == 0x22 || c == 0x27 || c == 0x60) {
    let k = i + 1;
    while (k < len && k <= i + 9 && load<u8>(p + k) != c && !isSpace(load<u8>(p + k))) k++;
    return k < len && k <= i + 9 && load<u8>(p + k) == c;
  }
  for (let k = 0; k < PROBE_ARGS.length; k++) {
    const w = unchecked(PROBE_ARGS[k]);
    if (atNoCase(p + i, p + len, w)) {
      const n = i + <usize>w.length;
      if (n >= len || !isAlpha(load<u8>(p + n))) return true;
    }
  }
  return false;
}

/** eval(...) of a decoded or built string: `eval(atob(...))`, `eval(unescape(...))`. */
function evalOfDecoded(p: usize, len: usize, a: usize): bool {
  let i = a;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  const end = p + len;
  return atNoCase(p + i, end, "atob") || atNoCase(p + i, end, "unescape") || atNoCase(p + i, end, "decodeuri") ||
    atNoCase(p + i, end, "string.fromcharcode") || atNoCase(p + i, end, "location") || atNoCase(p + i, end, "window.name");
}

function sinkCalls(p: usize, len: usize): void {
  let from: usize = 0;
  for (let n = 0; n < 8; n++) {
    const w = CALL_SET.find(p, len, from);
    if (w < 0) return;
    const s = CALL_SET.at;
    from = s + 1;
    const word = unchecked(CALLS[w]);
    if (w >= 3) {
      if (w == 3) found(HIGH, "cookie-access", p + s, 15);
      else if (w == 4) found(HIGH, "fromcharcode", p + s, 13);
      else if (w == 5) found(MEDIUM, "constructor-call", p + s, 12);
      else if (w == 6) {
        if (s == 0 || !isAlpha(load<u8>(p + s - 1))) found(evalOfDecoded(p, len, s + 5) ? CRITICAL : MEDIUM, "eval-call", p + s, 5);
      } else if (s == 0 || !isAlpha(load<u8>(p + s - 1))) {
        // document["cookie"]: the DOM indexed by a quoted name, written only as code
        const q = s + 9;
        if (q < len && (load<u8>(p + q) == 0x22 || load<u8>(p + q) == 0x27 || load<u8>(p + q) == 0x60)) found(CRITICAL, "cookie-access", p + s, 10);
      }
      continue;
    }
    if (s > 0 && (isAlpha(load<u8>(p + s - 1)) || load<u8>(p + s - 1) == 0x2e)) continue;
    const parenthesized = s > 0 && load<u8>(p + s - 1) == 0x28;
    const a = callAfter(p, len, s + <usize>word.length, parenthesized);
    if (a == 0) continue;
    // The value is this call (short, it starts with it): an injection probe.
    let lead: usize = 0;
    while (lead < s && (isSpace(load<u8>(p + lead)) || load<u8>(p + lead) == 0x28 || load<u8>(p + lead) == 0x5b)) lead++;
    const strong = (lead == s && len <= 100) || jsOnlyCall || probeArg(p, len, a);
    found(strong ? CRITICAL : HIGH, "script-call", p + s, a - s);
  }
}
