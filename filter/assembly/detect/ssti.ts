// Server-side template injection: template delimiters ({{ }}, ${ }, #{ }, <%= %>, *{ },
// {% %}, <#...>, #set) around what user data never needs: arithmetic probes on numbers
// ({{7*7}}, ${7*'7'}), Python object walking (__class__, __globals__), the engines' own
// objects (config, self, request, _self.env, lipsum, cycler), command execution (popen,
// system, Execute), Java reflection (T(...), getClass(), forName). A placeholder such as
// {{ user.name }} or a price like ${price} is left alone.
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { findNoCase, isAlpha, isDigitB, isSpace } from "../inspect/text";

const C = AttackClass.Ssti;

const DANGER: StaticArray<string> = [
  "__class__", "__mro__", "__subclasses__", "__globals__", "__builtins__", "__import__",
  "__init__", "__base__", "__dict__", "__getattribute__", "popen", "os.system", "subprocess",
  "getruntime", "registerundefinedfiltercallback", "constructor.constructor", "freemarker.template",
  "?new(", "getclass(", "forname(", "processbuilder", ".exec(", "system(", "passthru(",
  "shell_exec(", "file.open", "io.popen", "eval(", "self.module", "_self.env", "java.lang",
  "child_process", "require(", "process.mainmodule", "execute(",
];
const OBJECTS: StaticArray<string> = [
  "config", "self", "request", "lipsum", "cycler", "joiner", "namespace", "url_for",
  "get_flashed_messages", "settings", "application", "session", "pagecontext", "facescontext",
  "applicationscope", "_self", "this", "range", "dump(",
];

/** Arithmetic between numbers (or a number and a quoted number): 7*7, 7*'7', 1+1. */
function arithmetic(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    while (i < len && (isSpace(load<u8>(p + i)) || load<u8>(p + i) == 0x27 || load<u8>(p + i) == 0x22 || load<u8>(p + i) == 0x7b || load<u8>(p + i) == 0x28 || load<u8>(p + i) == 0x3d)) i++;
    const s = i;
    while (i < len && isDigitB(load<u8>(p + i))) i++;
    if (i == s) return false;
    while (i < len && (isSpace(load<u8>(p + i)) || load<u8>(p + i) == 0x27 || load<u8>(p + i) == 0x22)) i++;
    if (i >= len) return false;
    const op = load<u8>(p + i);
    if (op == 0x2a || op == 0x2b || op == 0x2d || op == 0x2f || op == 0x25) {
      i++;
      while (i < len && (isSpace(load<u8>(p + i)) || load<u8>(p + i) == 0x27 || load<u8>(p + i) == 0x22)) i++;
      const t = i;
      while (i < len && isDigitB(load<u8>(p + i))) i++;
      return i > t;
    }
    return false;
  }
  return false;
}

function judgeInside(p: usize, len: usize, start: usize, delim: i32): i32 {
  if (arithmetic(p, len)) return CRITICAL;
  for (let i = 0; i < DANGER.length; i++) {
    if (findNoCase(p, len, unchecked(DANGER[i]), 0) >= 0) return CRITICAL;
  }
  let lead: usize = 0;
  while (lead < len && isSpace(load<u8>(p + lead))) lead++;
  // PHP's `${@f(...)}`: a call with its errors silenced, evaluated inside a string.
  if (lead + 2 < len && load<u8>(p + lead) == 0x40 && isAlpha(load<u8>(p + lead + 1))) {
    let k = lead + 1;
    while (k < len && (isAlpha(load<u8>(p + k)) || isDigitB(load<u8>(p + k)) || load<u8>(p + k) == 0x5f)) k++;
    if (k < len && load<u8>(p + k) == 0x28) return CRITICAL;
  }
  for (let i = 0; i < OBJECTS.length; i++) {
    const o = unchecked(OBJECTS[i]);
    const at = findNoCase(p, len, o, 0);
    if (at < 0) continue;
    const a = <usize>at;
    if (a > lead && isAlpha(load<u8>(p + a - 1))) continue;
    const e = a + <usize>o.length;
    if (e < len && (load<u8>(p + e) == 0x2e || load<u8>(p + e) == 0x5b || load<u8>(p + e) == 0x7c || load<u8>(p + e) == 0x28)) return delim == 0 ? CRITICAL : HIGH;
    if (e == len || isSpace(load<u8>(p + e))) return delim == 0 ? MEDIUM : LOW;
  }
  // {{#with "s" as |x|}} (Handlebars gadget)
  if (findNoCase(p, len, "#with", 0) >= 0 && findNoCase(p, len, "as |", 0) >= 0) return CRITICAL;
  return 0;
}

export function detectSsti(p: usize, len: usize): void {
  let best = 0;
  let at: usize = 0;
  // Delimited expressions.
  for (let i: usize = 0; i + 2 < len; i++) {
    const c = load<u8>(p + i);
    const n = load<u8>(p + i + 1);
    let open: usize = 0;
    let closer: u8 = 0x7d;
    let delim = 1;
    if (c == 0x7b && (n == 0x7b || n == 0x25)) { // {{ {%
      open = 2;
      delim = 0;
    } else if ((c == 0x24 || c == 0x23 || c == 0x2a || c == 0x40) && n == 0x7b) { // ${ #{ *{ @{
      open = 2;
    } else if (c == 0x3c && n == 0x25) { // <% <%=
      open = i + 2 < len && load<u8>(p + i + 2) == 0x3d ? 3 : 2;
      closer = 0x25;
    } else if (c == 0x40 && n == 0x28) { // Razor @( )
      open = 2;
      closer = 0x29;
    } else {
      continue;
    }
    const s = i + open;
    let e = s;
    while (e < len && e < s + 512 && load<u8>(p + e) != closer) e++;
    const score = judgeInside(p + s, e - s, i, delim);
    if (score > best) {
      best = score;
      at = i;
    }
    i = e;
    if (best >= CRITICAL) break;
  }
  // Engine directives without delimiters around an expression.
  if (best < CRITICAL) {
    const fm = findNoCase(p, len, "<#assign", 0);
    if (fm >= 0) {
      best = findNoCase(p, len, "execute", 0) >= 0 || findNoCase(p, len, "?new", 0) >= 0 ? CRITICAL : HIGH;
      at = <usize>fm;
    }
    const vs = findNoCase(p, len, "#set(", 0);
    if (vs >= 0 && findNoCase(p, len, "$", <usize>vs) >= 0) {
      const s = findNoCase(p, len, ".forname(", 0) >= 0 || findNoCase(p, len, "getruntime", 0) >= 0 || findNoCase(p, len, "$class", 0) >= 0 ? CRITICAL : HIGH;
      if (s > best) {
        best = s;
        at = <usize>vs;
      }
    }
    const sm = findNoCase(p, len, "{php}", 0);
    if (sm >= 0 || findNoCase(p, len, "{system(", 0) >= 0 || findNoCase(p, len, "smarty_internal", 0) >= 0) {
      best = CRITICAL;
      at = sm >= 0 ? <usize>sm : 0;
    }
  }
  // A polyglot probe: the openers of several engines in one short value (${{<%[%'"}}%\.)
  if (best < CRITICAL && len <= 64) {
    let kinds = 0;
    if (findNoCase(p, len, "${", 0) >= 0) kinds++;
    if (findNoCase(p, len, "{{", 0) >= 0) kinds++;
    if (findNoCase(p, len, "<%", 0) >= 0) kinds++;
    if (findNoCase(p, len, "[%", 0) >= 0) kinds++;
    if (findNoCase(p, len, "#{", 0) >= 0) kinds++;
    if (kinds >= 3) {
      best = CRITICAL;
      at = 0;
    }
  }
  if (best > 0) report(C, best, best >= MEDIUM ? 1 : 2, "template-expression", at, 64);
}
