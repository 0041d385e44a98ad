// Log4Shell and other lookup and expression injections. Log4j lookups are resolved the way
// Log4j would before matching, so that nesting hides nothing: `${${lower:j}ndi:...}`,
// `${${::-j}${::-n}${::-d}${::-i}:...}`, `${${env:NOPE:-j}ndi:...}`, `${${date:'j'}ndi:...}`
// all resolve to `${jndi:...}`. Lookups that read secrets (${env:...}, ${sys:...}) are
// findings too. Shellshock (`() {` function definitions) is checked here as well, being a
// header-borne code injection of the same shape.
import { ByteBuffer } from "../bytes";
import { AttackClass, CRITICAL, HIGH, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isSpace } from "../inspect/text";
import { WordSet } from "../inspect/word-set";

const out = new ByteBuffer(256);
const inner = new ByteBuffer(128);
const MAX_DEPTH = 8;

/** Resolve [p+i, ...) which follows `${`; appends the resolution to `dst`; returns the offset
 * after the closing brace (or len). */
function resolve(p: usize, len: usize, i: usize, dst: ByteBuffer, depth: i32): usize {
  const mark = inner.len;
  // Collect the lookup's text with nested lookups resolved, into `inner` after `mark`.
  while (i < len) {
    const c = load<u8>(p + i);
    if (c == 0x24 && i + 1 < len && load<u8>(p + i + 1) == 0x7b && depth < MAX_DEPTH) {
      // nested: resolve into a temporary region of inner
      const tmp = new ByteBuffer(32);
      i = resolve(p, len, i + 2, tmp, depth + 1);
      inner.bytes(tmp.ptr, tmp.len);
      continue;
    }
    if (c == 0x7d) {
      i++;
      break;
    }
    inner.byte(c);
    i++;
  }
  const s = inner.ptr + mark;
  const n = inner.len - mark;
  // key:-default  (Log4j answers the default when the key does not resolve)
  let dflt: isize = -1;
  for (let k: usize = 0; k + 1 < n; k++) {
    if (load<u8>(s + k) == 0x3a && load<u8>(s + k + 1) == 0x2d) {
      dflt = <isize>k + 2;
      break;
    }
  }
  if (dflt >= 0) {
    dst.bytes(s + <usize>dflt, n - <usize>dflt);
  } else if (atNoCase(s, s + n, "lower:") || atNoCase(s, s + n, "upper:")) {
    dst.bytes(s + 6, n - 6);
  } else if (atNoCase(s, s + n, "date:")) {
    for (let k: usize = 5; k < n; k++) {
      const c = load<u8>(s + k);
      if (c != 0x27) dst.byte(c);
    }
  } else {
    dst.byte(0x24);
    dst.byte(0x7b);
    dst.bytes(s, n);
    dst.byte(0x7d);
  }
  inner.truncate(mark);
  return i;
}

const LOOKUPS: StaticArray<string> = [
  "${env:", "${sys:", "${java:", "${ctx:", "${main:", "${docker:", "${k8s:", "${spring:",
  "${base64:", "${jvmrunargs", "${log4j:", "${marker:", "${bundle:", "${web:", "${event:", "${sd:", "${map:",
];
const LOOKUP_SET = new WordSet(LOOKUPS);

const EXPR: StaticArray<string> = [
  // Struts / OGNL, Spring (SpEL), Spring4Shell, Java EL
  "#_memberaccess", "@java.lang.runtime@", "(#context", "ognl.ognlcontext", "%{(#", "%{#",
  "t(java.lang.runtime)", "t(java.lang.", "class.module.classloader", "classloader.resources",
  "${@java", "java.lang.runtime", "getruntime().exec", "new java.lang.processbuilder",
  "#{t(", "@ognl.", "#request.get(", "#application[",
];
const EXPR_SET = new WordSet(EXPR);
const DOLLAR_BRACE = new WordSet(["${", "jndi:"]);

export function detectJndi(p: usize, len: usize): void {
  let score = 0;
  let rule = "";
  let at: usize = 0;
  const dw = DOLLAR_BRACE.find(p, len, 0);
  const d: isize = dw == 0 ? <isize>DOLLAR_BRACE.at : (dw == 1 ? findNoCase(p, len, "${", 0) : -1);
  if (dw < 0) {
    // nothing: no lookup, no jndi
  } else if (d >= 0) {
    out.reset();
    inner.reset();
    let i: usize = 0;
    while (i < len && out.len < 4096) {
      const c = load<u8>(p + i);
      if (c == 0x24 && i + 1 < len && load<u8>(p + i + 1) == 0x7b) {
        i = resolve(p, len, i + 2, out, 1);
        continue;
      }
      out.byte(c);
      i++;
    }
    const j = findNoCase(out.ptr, out.len, "${jndi:", 0);
    if (j >= 0) {
      score = CRITICAL;
      rule = "jndi-lookup";
      at = <usize>d;
    } else {
      if (LOOKUP_SET.has(out.ptr, out.len)) {
        score = CRITICAL;
        rule = "log4j-lookup";
        at = <usize>d;
      }
      // Obfuscation that resolves to nothing suspicious is still obfuscation.
      if (score == 0 && (findNoCase(p, len, "${lower:", 0) >= 0 || findNoCase(p, len, "${upper:", 0) >= 0 || findNoCase(p, len, "${::-", 0) >= 0)) {
        score = HIGH;
        rule = "log4j-obfuscation";
        at = <usize>d;
      }
    }
    out.shrink(65536);
  } else if (findNoCase(p, len, "jndi:ldap", 0) >= 0 || findNoCase(p, len, "jndi:rmi", 0) >= 0 || findNoCase(p, len, "jndi:dns", 0) >= 0) {
    score = HIGH;
    rule = "jndi-url";
  }
  if (score > 0) report(AttackClass.Jndi, score, 1, rule, at, 64);
  // Expression languages (OGNL, SpEL, EL): reported as template injection.
  const k = EXPR_SET.find(p, len, 0);
  if (k >= 0) report(AttackClass.Ssti, k < 11 || k >= 14 ? CRITICAL : HIGH, 1, "expression-language", EXPR_SET.at, 64);
}

export function detectShellshock(p: usize, len: usize): void {
  let i: usize = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  if (i + 3 < len && load<u8>(p + i) == 0x28) {
    let j = i + 1;
    while (j < len && isSpace(load<u8>(p + j))) j++;
    if (j < len && load<u8>(p + j) == 0x29) {
      j++;
      while (j < len && isSpace(load<u8>(p + j))) j++;
      if (j < len && load<u8>(p + j) == 0x7b) {
        report(AttackClass.Shellshock, CRITICAL, 1, "function-definition", i, 32);
        return;
      }
    }
  }
  const at = findNoCase(p, len, "() {", 0);
  if (at >= 0 && findNoCase(p, len, "};", 0) > at) report(AttackClass.Shellshock, MEDIUM, 1, "function-definition", <usize>at, 32);
}
