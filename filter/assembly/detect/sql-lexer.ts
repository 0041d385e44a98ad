// A small SQL lexer (MySQL, PostgreSQL, SQL Server, Oracle, SQLite spellings) over bytes. It
// fills fixed arrays of tokens (no allocation): words are looked up in one keyword table with
// categories. Comments are tokens (`--`, `#`, `/* */`); MySQL's executable comments `/*!50000
// ... */` are transparent, their content lexed as code, as MySQL does.
import { indexOfByte, indexOfEither, isAlpha, isDigitB, isSpace, lc } from "../inspect/text";

export const enum Tok {
  None = 0,
  Word, // identifier (not a keyword)
  Kw, // keyword (see kw)
  Num,
  Str, // closed string literal
  StrOpen, // string running to the end of the input
  Cmp, // = < > <= >= <> != <=> :=
  Arith, // + - * / % ^ | & ~
  Logic, // || &&
  Not, // !
  LParen,
  RParen,
  Comma,
  Semi,
  Comment,
  Dot,
  Var, // @x, @@version
  Other,
}

// Keyword categories.
export const K_STMT: u32 = 1;
export const K_LOGIC: u32 = 2;
export const K_CMPW: u32 = 4;
export const K_FUNC: u32 = 8;
export const K_DANGER: u32 = 16;
export const K_CLAUSE: u32 = 32;
export const K_VALUE: u32 = 64;
export const K_SYSOBJ: u32 = 128;

const KW_NAMES: StaticArray<string> = [
  // 0..
  "select", "union", "all", "distinct", "from", "where", "order", "group", "by", "having",
  // 10..
  "limit", "offset", "into", "outfile", "dumpfile", "procedure", "analyse", "waitfor", "delay", "exists",
  // 20..
  "not", "and", "or", "xor", "div", "mod", "like", "rlike", "regexp", "is",
  // 30..
  "in", "between", "sounds", "glob", "null", "true", "false", "insert", "update", "delete",
  // 40..
  "drop", "create", "alter", "truncate", "exec", "execute", "declare", "shutdown", "grant", "set",
  // 50..
  "sleep", "benchmark", "pg_sleep", "load_file", "extractvalue", "updatexml", "xp_cmdshell", "sp_executesql", "dbms_pipe", "utl_http",
  // 60..
  "utl_inaddr", "dbms_lock", "char", "chr", "concat", "concat_ws", "group_concat", "substring", "substr", "mid",
  // 70..
  "ascii", "ord", "hex", "unhex", "version", "database", "user", "current_user", "system_user", "cast",
  // 80..
  "convert", "if", "ifnull", "iif", "count", "case", "when", "then", "else", "end",
  // 90..
  "information_schema", "sysobjects", "syscolumns", "pg_catalog", "sqlite_master", "all_tables", "table_name", "column_name", "randomblob", "rand",
  // 100..
  "floor", "elt", "make_set", "name_const", "json_extract", "xmltype", "ctxsys", "dbms_xmlgen", "sys", "schema",
  // 110..
  "values", "table", "as", "asc", "desc", "top", "char_length", "length", "len", "collate",
  // 120..
  "load", "infile", "call", "rename", "replace", "handler", "openrowset", "opendatasource", "master", "pg_read_file",
  // 130..
  "lo_import", "copy", "row", "exp", "bin", "conv", "md5", "sha1", "current_database", "session_user",
];

export const KW_SELECT = 0;
export const KW_UNION = 1;
export const KW_ALL = 2;
export const KW_DISTINCT = 3;
export const KW_FROM = 4;
export const KW_WHERE = 5;
export const KW_ORDER = 6;
export const KW_GROUP = 7;
export const KW_BY = 8;
export const KW_HAVING = 9;
export const KW_LIMIT = 10;
export const KW_INTO = 12;
export const KW_OUTFILE = 13;
export const KW_DUMPFILE = 14;
export const KW_PROCEDURE = 15;
export const KW_WAITFOR = 17;
export const KW_DELAY = 18;
export const KW_EXISTS = 19;
export const KW_NOT = 20;
export const KW_IS = 29;
export const KW_IN = 30;
export const KW_BETWEEN = 31;
export const KW_SOUNDS = 32;
export const KW_NULL = 34;
export const KW_SET = 49;
export const KW_CASE = 85;
export const KW_END = 89;
export const KW_AS = 112;
export const KW_ASC = 113;
export const KW_DESC = 114;
export const KW_TABLE = 111;

const KW_CATS = new StaticArray<u32>(KW_NAMES.length);
// Keywords by a hash of (length, first two bytes), chained; bytes kept lower-case.
const KW_BUCKETS = 256;
const KW_HEADS = new StaticArray<i32>(KW_BUCKETS);
const KW_NEXT = new StaticArray<i32>(KW_NAMES.length);
const KW_BYTES = new StaticArray<ArrayBuffer>(KW_NAMES.length);

// @ts-ignore: decorator
@inline
function kwHash(len: usize, a: u8, b: u8): i32 {
  return (<i32>len * 17 + <i32>a * 31 + <i32>b * 7) & (KW_BUCKETS - 1);
}

function initKeywords(): void {
  for (let i = 0; i < KW_BUCKETS; i++) unchecked(KW_HEADS[i] = -1);
  for (let i = KW_NAMES.length - 1; i >= 0; i--) {
    const name = unchecked(KW_NAMES[i]);
    const b = String.UTF8.encode(name);
    unchecked(KW_BYTES[i] = b);
    const h = kwHash(<usize>b.byteLength, load<u8>(changetype<usize>(b)), load<u8>(changetype<usize>(b) + 1));
    unchecked(KW_NEXT[i] = KW_HEADS[h]);
    unchecked(KW_HEADS[h] = i);
  }
  for (let i = 0; i < KW_NAMES.length; i++) {
    let cat: u32 = 0;
    if (i >= 37 && i <= 49) cat |= K_STMT;
    if (i == 0 || i == 122 || i == 123 || i == 124 || i == 125 || i == 120) cat |= K_STMT;
    if (i >= 21 && i <= 23) cat |= K_LOGIC;
    if (i >= 26 && i <= 33) cat |= K_CMPW;
    if (i >= 50 && i <= 61) cat |= K_DANGER | K_FUNC;
    if (i == 13 || i == 14 || i == 17 || i == 126 || i == 127 || i == 129 || i == 130) cat |= K_DANGER;
    if ((i >= 62 && i <= 84) || (i >= 98 && i <= 105) || (i >= 116 && i <= 118) || (i >= 132 && i <= 139) || i == 108) cat |= K_FUNC;
    if ((i >= 4 && i <= 16) || i == 1) cat |= K_CLAUSE;
    if (i >= 34 && i <= 36) cat |= K_VALUE;
    if ((i >= 90 && i <= 97) || i == 106 || i == 107 || i == 128) cat |= K_SYSOBJ;
    unchecked(KW_CATS[i] = cat);
  }
}
initKeywords();

export function kwCats(kw: i32): u32 {
  return kw >= 0 ? load<u32>(changetype<usize>(KW_CATS) + (<usize>kw << 2)) : 0;
}

function lookup(p: usize, len: usize): i32 {
  if (len < 2 || len > 18) return -1;
  const heads = changetype<usize>(KW_HEADS);
  const next = changetype<usize>(KW_NEXT);
  const words = changetype<usize>(KW_BYTES);
  let k = load<i32>(heads + (<usize>kwHash(len, lc(load<u8>(p)), lc(load<u8>(p + 1))) << 2));
  while (k >= 0) {
    const w = load<usize>(words + (<usize>k << alignof<usize>()));
    if (<usize>changetype<ArrayBuffer>(w).byteLength == len) {
      let same = true;
      for (let j: usize = 0; j < len; j++) {
        if (lc(load<u8>(p + j)) != load<u8>(w + j)) {
          same = false;
          break;
        }
      }
      if (same) return k;
    }
    k = load<i32>(next + (<usize>k << 2));
  }
  return -1;
}

export const MAX_TOKENS = 40;

export class SqlTokens {
  n: i32 = 0;
  // Token arrays in unmanaged memory (read through plain pointers in the hot paths).
  private readonly type: usize = heap.alloc(MAX_TOKENS);
  private readonly kw: usize = heap.alloc(MAX_TOKENS << 1);
  private readonly starts: usize = heap.alloc(MAX_TOKENS << 2);
  private readonly lens: usize = heap.alloc(MAX_TOKENS << 2);
  /** Offset just past the last token lexed. */
  stop: usize = 0;
  /** Block comments used as white space (an evasion sign). */
  inlineComments: i32 = 0;

  t(i: i32): Tok {
    return i < this.n ? <Tok>load<u8>(this.type + <usize>i) : Tok.None;
  }

  k(i: i32): i32 {
    return i < this.n && load<u8>(this.type + <usize>i) == <u8>Tok.Kw ? <i32>load<i16>(this.kw + (<usize>i << 1)) : -1;
  }

  cats(i: i32): u32 {
    return kwCats(this.k(i));
  }

  /** Absolute address of token i (0 past the tokens lexed). */
  start(i: i32): usize {
    return i >= 0 && i < MAX_TOKENS ? <usize>load<u32>(this.starts + (<usize>i << 2)) : 0;
  }

  /** Length of token i. */
  len(i: i32): u32 {
    return i >= 0 && i < MAX_TOKENS ? load<u32>(this.lens + (<usize>i << 2)) : 0;
  }

  private push(t: Tok, kw: i32, s: usize, l: usize): void {
    const n = <usize>this.n;
    store<u8>(this.type + n, <u8>t);
    store<i16>(this.kw + (n << 1), <i16>kw);
    store<u32>(this.starts + (n << 2), <u32>s); // absolute address
    store<u32>(this.lens + (n << 2), <u32>l);
    this.n = <i32>n + 1;
  }

  /** Lex [p+from, p+len) into at most `max` tokens. */
  lex(p: usize, len: usize, from: usize, max: i32): void {
    this.n = 0;
    this.inlineComments = 0;
    let i = from;
    // Started on a keyword inside `/*!50000 ... */` (the detectors lex from a keyword they
    // found): the `*/` ahead closes that comment.
    let b = from;
    while (b > 0 && isDigitB(load<u8>(p + b - 1))) b--;
    let versioned = b >= 3 && load<u8>(p + b - 1) == 0x21 && load<u8>(p + b - 2) == 0x2a && load<u8>(p + b - 3) == 0x2f;
    if (max > MAX_TOKENS) max = MAX_TOKENS;
    while (i < len && this.n < max) {
      const c = load<u8>(p + i);
      if (isSpace(c) || c == 0xa0) {
        i++;
        continue;
      }
      const s = i;
      // Comments.
      if (c == 0x2f && i + 1 < len && load<u8>(p + i + 1) == 0x2a) {
        if (i + 2 < len && load<u8>(p + i + 2) == 0x21) { // /*! executable
          i += 3;
          while (i < len && isDigitB(load<u8>(p + i))) i++;
          versioned = true;
          continue;
        }
        i += 2;
        while (i + 1 < len && !(load<u8>(p + i) == 0x2a && load<u8>(p + i + 1) == 0x2f)) i++;
        i = i + 1 < len ? i + 2 : len;
        // An inline comment with code after it is white space (UN/**/ION is not; 1/**/OR is).
        let k = i;
        while (k < len && isSpace(load<u8>(p + k))) k++;
        if (k < len) {
          this.inlineComments++;
          continue;
        }
        this.push(Tok.Comment, -1, p + s, i - s);
        continue;
      }
      if (c == 0x2a && versioned && i + 1 < len && load<u8>(p + i + 1) == 0x2f) {
        versioned = false;
        i += 2;
        continue;
      }
      if ((c == 0x2d && i + 1 < len && load<u8>(p + i + 1) == 0x2d) || c == 0x23) {
        i = indexOfByte(p, i, len, 0x0a);
        this.push(Tok.Comment, -1, p + s, i - s);
        continue;
      }
      // Strings.
      if (c == 0x27 || c == 0x22) {
        i++;
        let closed = false;
        while (i < len) {
          i = indexOfEither(p, i, len, c, 0x5c);
          if (i >= len) break;
          const d = load<u8>(p + i);
          if (d == 0x5c) {
            i += 2;
            continue;
          }
          if (d == c) {
            if (i + 1 < len && load<u8>(p + i + 1) == c) {
              i += 2;
              continue;
            }
            closed = true;
            i++;
            break;
          }
          i++;
        }
        if (i > len) i = len;
        this.push(closed ? Tok.Str : Tok.StrOpen, -1, p + s, i - s);
        continue;
      }
      if (c == 0x60) { // `ident`
        i++;
        while (i < len && load<u8>(p + i) != 0x60) i++;
        if (i < len) i++;
        this.push(Tok.Word, -1, p + s, i - s);
        continue;
      }
      if (isDigitB(c) || (c == 0x2e && i + 1 < len && isDigitB(load<u8>(p + i + 1)))) {
        if (c == 0x30 && i + 1 < len && ((load<u8>(p + i + 1) | 0x20) == 0x78 || (load<u8>(p + i + 1) | 0x20) == 0x62)) {
          i += 2;
          while (i < len && isAlnumB(load<u8>(p + i))) i++;
        } else {
          while (i < len && (isDigitB(load<u8>(p + i)) || load<u8>(p + i) == 0x2e)) i++;
          if (i < len && (load<u8>(p + i) | 0x20) == 0x65) {
            let j = i + 1;
            if (j < len && (load<u8>(p + j) == 0x2b || load<u8>(p + j) == 0x2d)) j++;
            if (j < len && isDigitB(load<u8>(p + j))) {
              i = j;
              while (i < len && isDigitB(load<u8>(p + i))) i++;
            }
          }
        }
        this.push(Tok.Num, -1, p + s, i - s);
        continue;
      }
      if (isAlpha(c) || c == 0x5f || c == 0x24 || c >= 0x80) {
        while (i < len) {
          const d = load<u8>(p + i);
          if (!(isAlpha(d) || isDigitB(d) || d == 0x5f || d == 0x24 || d >= 0x80)) break;
          i++;
        }
        const kw = lookup(p + s, i - s);
        this.push(kw >= 0 ? Tok.Kw : Tok.Word, kw, p + s, i - s);
        continue;
      }
      if (c == 0x40) { // @var, @@var
        i++;
        if (i < len && load<u8>(p + i) == 0x40) i++;
        while (i < len && (isAlpha(load<u8>(p + i)) || isDigitB(load<u8>(p + i)) || load<u8>(p + i) == 0x5f)) i++;
        this.push(Tok.Var, -1, p + s, i - s);
        continue;
      }
      const n1: u8 = i + 1 < len ? load<u8>(p + i + 1) : 0;
      // `+` used as a space (form encoding taken literally): `'+or+1=1`, `1+union+select`.
      if (c == 0x2b && isAlpha(n1)) {
        let e = i + 1;
        while (e < len && isAlpha(load<u8>(p + e))) e++;
        const kw = lookup(p + i + 1, e - i - 1);
        if (kw >= 0 && (kwCats(kw) & (K_LOGIC | K_CLAUSE | K_STMT | K_CMPW)) != 0) {
          i++;
          continue;
        }
      }
      if (c == 0x3c || c == 0x3e || c == 0x3d || (c == 0x21 && n1 == 0x3d) || (c == 0x3a && n1 == 0x3d)) {
        i++;
        while (i < len && i - s < 3) {
          const d = load<u8>(p + i);
          if (d != 0x3d && d != 0x3e && d != 0x3c) break;
          i++;
        }
        this.push(Tok.Cmp, -1, p + s, i - s);
        continue;
      }
      if ((c == 0x7c && n1 == 0x7c) || (c == 0x26 && n1 == 0x26)) {
        i += 2;
        this.push(Tok.Logic, -1, p + s, 2);
        continue;
      }
      i++;
      if (c == 0x28) this.push(Tok.LParen, -1, p + s, 1);
      else if (c == 0x29) this.push(Tok.RParen, -1, p + s, 1);
      else if (c == 0x2c) this.push(Tok.Comma, -1, p + s, 1);
      else if (c == 0x3b) this.push(Tok.Semi, -1, p + s, 1);
      else if (c == 0x2e) this.push(Tok.Dot, -1, p + s, 1);
      else if (c == 0x21) this.push(Tok.Not, -1, p + s, 1);
      else if (c == 0x2b || c == 0x2d || c == 0x2a || c == 0x2f || c == 0x25 || c == 0x5e || c == 0x7c || c == 0x26 || c == 0x7e) this.push(Tok.Arith, -1, p + s, 1);
      else this.push(Tok.Other, -1, p + s, 1);
    }
    this.stop = i;
  }
}

function isAlnumB(c: u8): bool {
  return isAlpha(c) || isDigitB(c);
}
