// SQL injection. The value is lexed as SQL (detect/sql-lexer.ts) from the places where an
// injection would take over: the start of the value (a numeric or identifier context:
// `1 OR 1=1`, `1;DROP ...`) and just after the first quote of each kind that can close a
// string (`x' OR 'a'='a`). From there a small grammar asks whether what follows is SQL that
// changes the query: a boolean condition with a comparison or a time-delay call after OR/AND
// (tautology, blind), a comment cutting off the rest (`admin'--`), a stacked statement
// (`'; DROP`), UNION SELECT, ORDER BY/HAVING/INTO OUTFILE/PROCEDURE ANALYSE clauses. Prose
// with SQL words, names like O'Brien and contractions do not break out of anything, so they do
// not match: the first word after their quote is not SQL. A separate pass looks for UNION
// SELECT and whole statements anywhere (scored by how much of the value they are).
import { AttackClass, CRITICAL, HIGH, LOW, MEDIUM } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, indexOfByte, isAlpha, isSpace, isWordByte } from "../inspect/text";
import { WordSet } from "../inspect/word-set";
import {
  K_CLAUSE, K_CMPW, K_DANGER, K_FUNC, K_LOGIC, K_STMT, K_SYSOBJ, K_VALUE, KW_ALL, KW_AS,
  KW_ASC, KW_BETWEEN, KW_BY, KW_CASE, KW_DELAY, KW_DESC, KW_DISTINCT, KW_DUMPFILE, KW_END,
  KW_EXISTS, KW_FROM, KW_GROUP, KW_HAVING, KW_IN, KW_INTO, KW_IS, KW_LIMIT, KW_NOT, KW_NULL,
  KW_ORDER, KW_OUTFILE, KW_PROCEDURE, KW_SELECT, KW_SOUNDS, KW_UNION, KW_WAITFOR, KW_WHERE,
  SqlTokens, Tok,
} from "./sql-lexer";

const T = new SqlTokens();
const C = AttackClass.Sqli;

// Operand / condition kinds.
const O_NONE = 0;
const O_NUM = 1;
const O_STR = 2;
const O_IDENT = 3;
const O_VALUE = 4;
const O_VAR = 5;
const O_FUNC = 6; // a call of a function the table does not know
const O_KFUNC = 7; // a known SQL function
const O_DANGER = 8; // sleep, benchmark, load_file ...
const O_SUBQ = 9; // (SELECT ...), EXISTS(...)
const O_CMP = 10; // a comparison (for conditions)
const O_PARTIAL = 11; // comparison operator with nothing after it

let opKind = O_NONE;
let cmpLeft = O_NONE;
let cmpRight = O_NONE;

let bestScore = 0;
let bestRule = "";
let statementAtStart = false;
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

/** Index past the parenthesis group opened at i (or the end). Sets `sub` when it holds SELECT. */
let groupHasSelect = false;
let groupHasDanger = false;
function skipGroup(i: i32): i32 {
  let depth = 0;
  groupHasSelect = false;
  groupHasDanger = false;
  const n = T.n;
  while (i < n) {
    const t = T.t(i);
    if (t == Tok.LParen) depth++;
    else if (t == Tok.RParen) {
      depth--;
      if (depth <= 0) return i + 1;
    } else if (t == Tok.Kw) {
      const k = T.k(i);
      if (k == KW_SELECT) groupHasSelect = true;
      if ((T.cats(i) & K_DANGER) != 0) groupHasDanger = true;
    }
    i++;
  }
  return n;
}

/** One operand (with unary operators and arithmetic chains); returns the index after it or -1.
 * Its kind is left in opKind (the strongest of a chain). */
function operand(i: i32): i32 {
  let t = T.t(i);
  while (t == Tok.Not || (t == Tok.Arith && (T.len(i) == 1)) || T.k(i) == KW_NOT) {
    if (t == Tok.Arith) {
      const c = load<u8>(<usize>T.start(i));
      if (c != 0x2d && c != 0x2b && c != 0x7e) break;
    }
    i++;
    t = T.t(i);
  }
  let kind = O_NONE;
  let next = -1;
  if (t == Tok.Num) {
    kind = O_NUM;
    next = i + 1;
  } else if (t == Tok.Str || t == Tok.StrOpen) {
    kind = O_STR;
    next = i + 1;
  } else if (t == Tok.Var) {
    kind = O_VAR;
    next = i + 1;
  } else if (t == Tok.LParen) {
    if (T.k(i + 1) == KW_SELECT) {
      next = skipGroup(i);
      kind = O_SUBQ;
    } else {
      const j = condition(i + 1);
      if (j < 0) return -1;
      const inner = opKind;
      next = T.t(j) == Tok.RParen ? j + 1 : j;
      kind = inner;
    }
  } else if (t == Tok.Kw || t == Tok.Word) {
    const k = T.k(i);
    const cats = T.cats(i);
    if (k == KW_EXISTS && T.t(i + 1) == Tok.LParen) {
      next = skipGroup(i + 1);
      kind = O_SUBQ;
    } else if (T.t(i + 1) == Tok.LParen && (i == 0 || T.t(i - 1) != Tok.Dot)) {
      next = skipGroup(i + 1);
      if (groupHasSelect) kind = O_SUBQ;
      else if ((cats & K_DANGER) != 0 || groupHasDanger) kind = O_DANGER;
      else if ((cats & K_FUNC) != 0) kind = O_KFUNC;
      else kind = O_FUNC;
    } else if (k == KW_CASE) {
      let j = i + 1;
      while (j < T.n && T.k(j) != KW_END) j++;
      next = j < T.n ? j + 1 : j;
      kind = O_KFUNC;
    } else if ((cats & K_VALUE) != 0) {
      kind = O_VALUE;
      next = i + 1;
    } else if (t == Tok.Word || (cats & (K_FUNC | K_SYSOBJ)) != 0) {
      kind = O_IDENT;
      next = i + 1;
      while (T.t(next) == Tok.Dot && (T.t(next + 1) == Tok.Word || T.t(next + 1) == Tok.Kw)) next += 2;
    } else {
      return -1;
    }
  } else {
    return -1;
  }
  // Arithmetic chain: 1+1, 'a'+'b', x*2
  while (T.t(next) == Tok.Arith) {
    const save = kind;
    const j = operand(next + 1);
    if (j < 0) break;
    kind = opKind > save ? opKind : save;
    next = j;
  }
  opKind = kind;
  return next;
}

/** A condition: operand [comparison operand]; kind in opKind (O_CMP for comparisons). */
function condition(i: i32): i32 {
  let j = operand(i);
  if (j < 0) return -1;
  const left = opKind;
  let t = T.t(j);
  let k = T.k(j);
  if (k == KW_NOT) {
    j++;
    t = T.t(j);
    k = T.k(j);
  }
  if (t == Tok.Cmp) {
    const r = operand(j + 1);
    if (r < 0) {
      opKind = O_PARTIAL;
      cmpLeft = left;
      cmpRight = O_NONE;
      return j + 1;
    }
    cmpLeft = left;
    cmpRight = opKind;
    opKind = left >= O_DANGER || cmpRight >= O_DANGER ? (left > cmpRight ? left : cmpRight) : O_CMP;
    return r;
  }
  if (k >= 0 && (T.cats(j) & K_CMPW) != 0) {
    let r = j + 1;
    if (k == KW_IS) {
      if (T.k(r) == KW_NOT) r++;
      r = operand(r);
    } else if (k == KW_IN) {
      r = T.t(r) == Tok.LParen ? skipGroup(r) : operand(r);
    } else if (k == KW_BETWEEN) {
      r = operand(r);
      if (r >= 0 && (T.cats(r) & K_LOGIC) != 0) r = operand(r + 1);
    } else if (k == KW_SOUNDS) {
      r = operand(r + 1);
    } else {
      r = operand(r);
    }
    if (r < 0) {
      opKind = O_PARTIAL;
      return j + 1;
    }
    cmpLeft = left;
    cmpRight = opKind;
    opKind = O_CMP;
    return r;
  }
  opKind = left;
  return j;
}

function isLogic(i: i32): bool {
  return T.t(i) == Tok.Logic || (T.cats(i) & K_LOGIC) != 0;
}

// A comment that SQL would honour: `--`, a block comment, or `#` not starting a hashtag.
function realComment(i: i32): bool {
  if (T.t(i) != Tok.Comment) return false;
  const s = <usize>T.start(i);
  if (load<u8>(s) == 0x23 && T.len(i) > 1 && isAlpha(load<u8>(s + 1))) return false;
  return true;
}

/** What may follow a complete condition for it to end the injected part. */
function endsHere(i: i32): bool {
  const t = T.t(i);
  return t == Tok.None || t == Tok.Comment || t == Tok.Semi || t == Tok.RParen || isLogic(i) ||
    t == Tok.StrOpen || T.k(i) == KW_LIMIT || T.k(i) == KW_ORDER || T.k(i) == KW_GROUP;
}

/** UNION [ALL|DISTINCT] [(] SELECT <something SQL-like>; returns true when it matched. */
function unionSelect(i: i32): bool {
  let j = i + 1;
  while (T.t(j) == Tok.Comment) j++;
  if (T.k(j) == KW_ALL || T.k(j) == KW_DISTINCT) j++;
  while (T.t(j) == Tok.LParen || T.t(j) == Tok.Comment) j++;
  if (T.k(j) != KW_SELECT) return false;
  j++;
  while (T.t(j) == Tok.Comment) j++;
  if (T.k(j) == KW_ALL || T.k(j) == KW_DISTINCT) j++;
  const t = T.t(j);
  if (t == Tok.None || t == Tok.Num || t == Tok.Str || t == Tok.StrOpen || t == Tok.Var ||
      t == Tok.LParen || t == Tok.Comment) return true;
  if (t == Tok.Arith && load<u8>(<usize>T.start(j)) == 0x2a) return true; // *
  // a signed first column (`SELECT -1,2`), or '+' left over from a form encoding
  if (t == Tok.Arith && (load<u8>(<usize>T.start(j)) == 0x2d || load<u8>(<usize>T.start(j)) == 0x2b)) {
    const u = T.t(j + 1);
    if (u == Tok.None || u == Tok.Num) return true;
  }
  if (T.k(j) == KW_NULL) return true;
  if (t == Tok.Word || t == Tok.Kw) {
    const u = T.t(j + 1);
    // A column, then a list, a call, a qualifier, FROM, or an operator joining columns
    // (`username || ':' || password`, `a+b`), as SQL select lists have.
    return u == Tok.Comma || u == Tok.LParen || u == Tok.None || u == Tok.Comment || u == Tok.Dot ||
      T.k(j + 1) == KW_FROM || u == Tok.Semi || ((u == Tok.Logic || u == Tok.Arith) && selectListGoesOn(j + 2));
  }
  return false;
}

/** After an operator in a select list: another operand, then more of the list or FROM. */
function selectListGoesOn(j: i32): bool {
  const t = T.t(j);
  if (!(t == Tok.Word || t == Tok.Str || t == Tok.Num || t == Tok.Var)) return false;
  const u = T.t(j + 1);
  return u == Tok.None || u == Tok.Comma || u == Tok.Logic || u == Tok.Arith || u == Tok.Comment ||
    T.k(j + 1) == KW_FROM;
}

/** Judge what follows a break. `quote`: after a string-closing quote; `lead`: at the start of
 * the value (a leading operand is allowed first). */
function judge(base: usize, quote: bool, lead: bool): void {
  let i = 0;
  let leadNum = false;
  let leadWord = false;
  if (lead) {
    const t = T.t(0);
    if (t == Tok.Num || (t == Tok.Arith && T.t(1) == Tok.Num)) {
      i = operand(0);
      if (i < 0) return;
      leadNum = true;
      if (opKind == O_SUBQ || opKind == O_DANGER) {
        found(CRITICAL, "expression", base, T.stop);
        return;
      }
    } else if ((t == Tok.Word || t == Tok.Kw) && T.t(1) == Tok.LParen && (T.cats(0) & (K_DANGER | K_FUNC)) != 0) {
      // A call as the whole start of the value: SLEEP(5)#, extractvalue(...)
      const j = operand(0);
      if (j < 0) return;
      if (opKind == O_DANGER || opKind == O_SUBQ) {
        const after = T.t(j);
        found(after == Tok.None || realComment(j) || isLogic(j) || after == Tok.Semi ? CRITICAL : HIGH, "blind-delay", base, T.stop);
        return;
      }
      i = j;
      leadWord = true;
    } else if (t == Tok.Word || (t == Tok.Kw && (T.cats(0) & (K_STMT | K_LOGIC | K_CLAUSE)) == 0)) {
      i = 1;
      while (T.t(i) == Tok.Dot && T.t(i + 1) != Tok.None) i += 2;
      leadWord = true;
    } else if (t == Tok.Str) {
      return;
    } else if (t == Tok.LParen) {
      // (SELECT ...), (CASE WHEN (SELECT 1)=1 ...), (SLEEP(5))
      const j = skipGroup(0);
      if (groupHasSelect || groupHasDanger) {
        found(CRITICAL, "subquery", base, T.stop);
        return;
      }
      i = j;
      leadNum = true;
    }
  }
  let parens = 0;
  while (T.t(i) == Tok.RParen) {
    i++;
    parens++;
  }
  const strong = quote || leadNum || parens > 0;
  const t = T.t(i);
  const k = T.k(i);
  const start: usize = i < T.n ? <usize>T.start(i) : base + T.stop;
  const endAbs = base + T.stop;
  const span: usize = endAbs > start ? endAbs - start : 0;
  if (t == Tok.None) return;
  if (realComment(i)) {
    if (quote && i == parens) found(CRITICAL, "comment-truncation", start, span);
    else if (quote || (leadNum && parens > 0)) found(HIGH, "comment-truncation", start, span);
    else if (leadNum) found(LOW, "numeric-comment", start, span);
    return;
  }
  if (t == Tok.Semi) {
    let j = i + 1;
    while (T.t(j) == Tok.Comment) j++;
    if ((T.cats(j) & K_STMT) != 0 || T.k(j) == KW_WAITFOR) {
      found(strong ? CRITICAL : (leadWord || !lead ? HIGH : MEDIUM), "stacked-query", start, span);
    } else if ((T.cats(j) & K_DANGER) != 0 && T.t(j + 1) == Tok.LParen && (quote || leadNum)) {
      found(CRITICAL, "stacked-delay", start, span); // '; sleep(5000); '
    } else if (quote && (T.t(j) == Tok.None || realComment(j))) {
      found(HIGH, "statement-terminator", start, span);
    }
    return;
  }
  if (k == KW_UNION) {
    if (unionSelect(i)) found(CRITICAL, "union-select", start, span);
    return;
  }
  if (isLogic(i)) {
    const j = condition(i + 1);
    if (j < 0) return;
    const kind = opKind;
    if (kind == O_SUBQ || kind == O_DANGER) {
      found(strong || !lead ? CRITICAL : HIGH, kind == O_SUBQ ? "subquery-condition" : "blind-delay", start, span);
    } else if (kind == O_CMP) {
      const simple = cmpLeft != O_IDENT || cmpRight != O_IDENT;
      if (strong) found(simple || quote ? CRITICAL : HIGH, "tautology", start, span);
      else if (simple && (cmpLeft == O_NUM || cmpLeft == O_STR || cmpLeft == O_KFUNC)) found(leadWord ? HIGH : CRITICAL, "tautology", start, span);
      else if (simple) found(MEDIUM, "condition", start, span);
    } else if (kind == O_PARTIAL) {
      if (quote) found(MEDIUM, "partial-condition", start, span);
    } else if (kind == O_KFUNC || kind == O_FUNC) {
      if (quote) found(kind == O_KFUNC ? CRITICAL : HIGH, "function-condition", start, span);
      else if (leadNum) found(MEDIUM, "function-condition", start, span);
    } else if (kind == O_NUM || kind == O_VALUE || kind == O_VAR) {
      if (realComment(j)) found(strong ? CRITICAL : HIGH, "boolean-comment", start, span);
      else if (endsHere(j)) {
        if (quote) found(T.t(j) == Tok.None ? HIGH : CRITICAL, "boolean", start, span);
        else if (leadNum) found(parens > 0 ? HIGH : LOW, "boolean", start, span);
      }
    } else if ((kind == O_IDENT || kind == O_STR) && quote && realComment(j)) {
      found(HIGH, "boolean-comment", start, span);
    } else if (kind == O_STR && quote && T.t(j) == Tok.None && T.t(j - 1) == Tok.StrOpen) {
      // `1' or '1`: the application's own closing quote completes a truthy string
      const len1 = <i32>T.len(j - 1);
      found(len1 <= 3 ? CRITICAL : HIGH, "string-tautology", start, span);
    }
    return;
  }
  if ((k == KW_ORDER || k == KW_GROUP) && T.k(i + 1) == KW_BY) {
    let j = operand(i + 2);
    if (j < 0) return;
    while (T.t(j) == Tok.Comma) {
      const q = operand(j + 1);
      if (q < 0) break;
      j = q;
    }
    let e = j;
    if (T.k(e) == KW_ASC || T.k(e) == KW_DESC) e++;
    if (T.k(e) == KW_HAVING) {
      if (condition(e + 1) >= 0 && (opKind == O_CMP || opKind >= O_FUNC)) found(strong || (lead && i == 0) ? CRITICAL : HIGH, "having", start, span);
      return;
    }
    if (T.k(e) == KW_LIMIT && T.t(e + 1) == Tok.Num) e += 2;
    if (realComment(e)) found(strong || (lead && i == 0) ? CRITICAL : MEDIUM, "order-by", start, span);
    else if (quote && (T.t(e) == Tok.None || T.t(e) == Tok.Comma || T.t(e) == Tok.Semi)) found(HIGH, "order-by", start, span);
    return;
  }
  if (k == KW_HAVING) {
    if (condition(i + 1) >= 0 && (opKind == O_CMP || opKind >= O_FUNC) && strong) found(CRITICAL, "having", start, span);
    return;
  }
  if ((T.cats(i) & K_CMPW) != 0 && (quote || leadNum)) {
    // 1 RLIKE (SELECT ...), ' LIKE (SELECT ...)
    let j = i + 1;
    if (T.k(j) == KW_NOT) j++;
    const r = operand(j);
    if (r >= 0 && (opKind == O_SUBQ || opKind == O_DANGER)) found(CRITICAL, "subquery-condition", start, span);
    else if (r >= 0 && quote && (T.t(r) == Tok.None || realComment(r) || isLogic(r))) found(HIGH, "comparison", start, span);
    return;
  }
  if (k == KW_PROCEDURE || k == KW_WAITFOR || (k == KW_INTO && (T.k(i + 1) == KW_OUTFILE || T.k(i + 1) == KW_DUMPFILE))) {
    if (k == KW_WAITFOR && T.k(i + 1) != KW_DELAY && !(T.t(i + 1) == Tok.Word)) return;
    found(strong || !lead ? CRITICAL : HIGH, "clause", start, span);
    return;
  }
  if (k == KW_LIMIT && T.t(i + 1) == Tok.Num && quote) {
    found(realComment(i + 2) ? HIGH : MEDIUM, "limit", start, span);
    return;
  }
  if (t == Tok.Cmp && (quote || leadNum)) {
    const j = operand(i + 1);
    if (j >= 0 && (opKind == O_SUBQ || opKind == O_DANGER)) {
      found(CRITICAL, "subquery-condition", start, span);
      return;
    }
    if (!quote) return;
    if (j >= 0 && (T.t(j) == Tok.None || realComment(j) || isLogic(j))) {
      found(opKind >= O_DANGER ? CRITICAL : HIGH, "comparison", start, span);
    }
    return;
  }
  if ((t == Tok.Arith || t == Tok.Logic) && (quote || leadNum)) {
    const j = operand(i + 1);
    if (j >= 0 && (opKind == O_SUBQ || opKind == O_DANGER)) found(CRITICAL, "expression", start, span);
    else if (j >= 0 && opKind == O_KFUNC && quote) found(HIGH, "expression", start, span);
    return;
  }
  if (quote && (k == KW_AS || (T.cats(i) & K_DANGER) != 0) && T.t(i + 1) == Tok.LParen) {
    found(HIGH, "function", start, span);
  }
}

/** Whole statements and SQL-only constructs anywhere in the value. */
const STATEMENT_SET = new WordSet(["union", "select"]);
/** select/union words looked at in a value before only UNIONs are (prose names "select"). */
const STATEMENT_LOOKS = 6;
// Its own set in the shared index: a value with no "union" costs nothing more to ask.
const UNION_SET = new WordSet(["union"]);

/** A UNION SELECT at p+u: reported. */
function unionAt(p: usize, len: usize, u: usize): bool {
  T.lex(p, len, u, 12);
  if (T.k(0) == KW_UNION && unionSelect(0)) {
    found(CRITICAL, "union-select", p + u, T.stop - u);
    return true;
  }
  return false;
}

function anywhere(p: usize, len: usize, flags: u32): void {
  // UNION SELECT, SELECT ... FROM: six looks (prose that names "select" often)...
  let from: usize = 0;
  let n = 0;
  for (; n < STATEMENT_LOOKS; n++) {
    const w = STATEMENT_SET.find(p, len, from);
    if (w < 0) break;
    const u = STATEMENT_SET.at;
    from = u + 5;
    if (u > 0 && isWordByte(load<u8>(p + u - 1)) && (w == 1 || !isDigitish(load<u8>(p + u - 1)))) continue;
    if (w == 0) {
      if (unionAt(p, len, u)) return;
    } else {
      selectStatement(p, len, u);
    }
  }
  // ...then only UNIONs, so that padding a value with selects does not hide one (each look
  // lexes a few tokens: bounded, linear work).
  while (n == STATEMENT_LOOKS && from < len) {
    if (UNION_SET.find(p, len, from) < 0) break;
    const u = UNION_SET.at;
    from = u + 5;
    if (u > 0 && isWordByte(load<u8>(p + u - 1)) && !isDigitish(load<u8>(p + u - 1))) continue;
    if (unionAt(p, len, u)) return;
  }
  // Stacked statements after ';' (the first 64, each a few tokens lexed).
  if ((flags & F_SEMI) != 0) {
    for (let i: usize = 0, n = 0; i < len && n < 64; i++) {
      if (load<u8>(p + i) != 0x3b) continue;
      n++;
      T.lex(p, len, i, 4);
      const k = T.k(1);
      if (k >= 0 && (T.cats(1) & K_STMT) != 0 && k != KW_SELECT) {
        const t2 = T.t(2);
        if (t2 == Tok.Kw || t2 == Tok.Word || t2 == Tok.Var || t2 == Tok.LParen) found(HIGH, "stacked-statement", p + i, T.stop - i);
      } else if (k == KW_WAITFOR) {
        found(CRITICAL, "stacked-delay", p + i, T.stop - i);
      }
    }
  }
  // Calls and system objects need '(' or '@' or '_' words; plain prose has none of them.
  if ((flags & (F_PAREN | F_AT)) != 0 || len > 128) dangerCalls(p, len);
}

const F_PAREN: u32 = 8;
const F_AT: u32 = 262144;

/** The ';' bit of inspect/value.ts flags. */
const F_SEMI: u32 = 16;

function isDigitish(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

/** SELECT <list> FROM <table> [WHERE ...]: how much of the value it is decides the score. */
function selectStatement(p: usize, len: usize, s: usize): void {
  T.lex(p, len, s, 24);
  let i = 1;
  if (T.k(i) == KW_DISTINCT || T.k(i) == KW_ALL) i++;
  let items = 0;
  let symbols = 0;
  while (i < T.n) {
    const t = T.t(i);
    if (t == Tok.Arith && load<u8>(<usize>T.start(i)) == 0x2a) {
      symbols++;
      i++;
    } else {
      const j = operand(i);
      if (j < 0) break;
      if (opKind != O_IDENT) symbols++;
      i = j;
      if (T.k(i) == KW_AS) i += 2;
      else if (T.t(i) == Tok.Word) i++;
    }
    items++;
    if (T.t(i) == Tok.Comma) {
      symbols++;
      i++;
      continue;
    }
    break;
  }
  if (items == 0 || T.k(i) != KW_FROM) return;
  i++;
  const tt = T.t(i);
  if (tt != Tok.Word && !(tt == Tok.Kw && (T.cats(i) & (K_SYSOBJ | K_FUNC)) != 0) && tt != Tok.LParen) return;
  if ((T.cats(i) & K_SYSOBJ) != 0) symbols += 2;
  i++;
  while (T.t(i) == Tok.Dot && T.t(i + 1) != Tok.None) {
    if ((T.cats(i + 1) & K_SYSOBJ) != 0) symbols += 2;
    i += 2;
  }
  const after = T.t(i);
  const k = T.k(i);
  if (k == KW_WHERE) {
    if (condition(i + 1) >= 0 && (opKind == O_CMP || opKind >= O_DANGER)) symbols += 2;
  } else if (!(after == Tok.None || after == Tok.Comment || after == Tok.Semi || after == Tok.RParen ||
      k == KW_LIMIT || k == KW_ORDER || k == KW_GROUP || k == KW_UNION || T.t(i) == Tok.Word)) {
    return;
  }
  symbols += T.inlineComments;
  if (symbols == 0) return;
  // A statement that is (nearly) the whole value is an attempt; one inside a long text is a
  // code sample.
  let lead: usize = 0;
  while (lead < s && (isSpace(load<u8>(p + lead)) || load<u8>(p + lead) == 0x28)) lead++;
  // A whole statement with no break is a query an application would have to run as given: at
  // paranoia 1 it only adds to other findings; from paranoia 2 it is an attack by itself.
  if (len <= 160) {
    // comments used as white space are an evasion nobody writes SQL with
    found(T.inlineComments > 0 ? CRITICAL : HIGH, "select-statement", p + s, T.stop - s);
    statementAtStart = lead == s;
  } else {
    found(LOW, "select-statement", p + s, T.stop - s);
  }
}

const DANGER_WORDS: StaticArray<string> = [
  "sleep", "benchmark", "pg_sleep", "load_file", "extractvalue", "updatexml", "xp_cmdshell",
  "dbms_pipe", "utl_inaddr", "utl_http", "waitfor", "information_schema", "@@version",
  "sysobjects", "pg_catalog", "sqlite_master", "pg_read_file", "into outfile", "into dumpfile",
];

const DANGER_SET = new WordSet(DANGER_WORDS);

function dangerCalls(p: usize, len: usize): void {
  let from: usize = 0;
  for (let n = 0; n < 8; n++) {
    const w = DANGER_SET.find(p, len, from);
    if (w < 0) return;
    const word = unchecked(DANGER_WORDS[w]);
    const s = DANGER_SET.at;
    from = s + 1;
    if (s > 0 && (isWordByte(load<u8>(p + s - 1)) || load<u8>(p + s - 1) == 0x2e)) continue;
    let e = s + <usize>word.length;
    if (e < len && isWordByte(load<u8>(p + e))) continue;
    if (w < 10) {
      // A call: the name then '('.
      while (e < len && isSpace(load<u8>(p + e))) e++;
      if (w == 8) { // waitfor delay / time
        if (atNoCase(p + e, p + len, "delay") || atNoCase(p + e, p + len, "time")) found(HIGH, "time-delay", p + s, e - s + 5);
        continue;
      }
      if (e >= len || load<u8>(p + e) != 0x28) continue;
      found(MEDIUM, "dangerous-function", p + s, e - s + 1);
    } else {
      found(w >= 17 ? HIGH : MEDIUM, "system-object", p + s, <usize>word.length);
    }
  }
}

/** The first quote of kind q that could close a string: not inside a word (O'Brien, don't),
 * unless the word after it is SQL (`admin'or'1'='1`). Returns its offset or -1. */
function breakQuote(p: usize, len: usize, q: u8): isize {
  for (let i: usize = 0; i < len; i++) {
    i = indexOfByte(p, i, len, q);
    if (i >= len) break;
    if (i > 0 && load<u8>(p + i - 1) == 0x5c) continue;
    if (q == 0x27 && i > 0 && i + 1 < len && isAlpha(load<u8>(p + i - 1)) && isAlpha(load<u8>(p + i + 1))) {
      // Inside a word: a break only when SQL follows at once.
      let j = i + 1;
      while (j < len && isAlpha(load<u8>(p + j))) j++;
      const w = j - i - 1;
      if (j < len && isAlpha(load<u8>(p + j - 1)) && (w == 2 || w == 3 || w == 5)) {
        if (atNoCase(p + i + 1, p + len, "or") || atNoCase(p + i + 1, p + len, "and") ||
            atNoCase(p + i + 1, p + len, "union") || atNoCase(p + i + 1, p + len, "xor")) {
          if (!isAlpha(load<u8>(p + j))) return <isize>i;
        }
      }
      return -1;
    }
    return <isize>i;
  }
  return -1;
}

export function detectSqli(p: usize, len: usize, flags: u32, lead: bool): void {
  bestScore = 0;
  bestRule = "";
  statementAtStart = false;
  // Start of the value (numeric and identifier contexts).
  if (lead) {
    // A word first (`Mozilla/5.0 ...`, `hello world`): only a few second tokens can start an
    // injection after it; look at three tokens before lexing more.
    T.lex(p, len, 0, 3);
    let worth = T.n > 1;
    if (worth && (T.t(0) == Tok.Word || (T.t(0) == Tok.Kw && (T.cats(0) & (K_STMT | K_LOGIC | K_CLAUSE | K_FUNC | K_DANGER)) == 0))) {
      let j = 1;
      if (T.t(j) == Tok.Dot) j += 2;
      const t1 = T.t(j);
      worth = t1 == Tok.Comment || t1 == Tok.Semi || t1 == Tok.Logic || t1 == Tok.Kw || t1 == Tok.RParen ||
        t1 == Tok.Cmp || t1 == Tok.None && T.n > j;
    }
    if (worth) {
      T.lex(p, len, 0, 24);
      judge(p, false, true);
    }
  }
  // After the first quote of each kind.
  for (let qi = 0; qi < 2; qi++) {
    const q: u8 = qi == 0 ? 0x27 : 0x22;
    const at = breakQuote(p, len, q);
    if (at < 0) continue;
    T.lex(p, len, <usize>at + 1, 24);
    if (T.n > 0) judge(p, true, false);
  }
  if (bestScore < CRITICAL) anywhere(p, len, flags);
  if (bestScore > 0) {
    report(C, bestScore, bestScore >= MEDIUM ? 1 : 2, bestRule, bestStart - p, bestLen);
    if (bestRule == "select-statement" && statementAtStart) report(C, CRITICAL, 2, bestRule, bestStart - p, bestLen);
  }
}
