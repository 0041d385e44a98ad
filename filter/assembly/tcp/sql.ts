// SQL statements as the database will read them, for PostgreSQL and MySQL/MariaDB: a lexer
// that knows each dialect's strings, quoted identifiers, comments (PostgreSQL's nested block
// comments and dollar quotes; MySQL's `#`, backslash escapes and `/*! ... */` comments, whose
// content MySQL executes), and a classifier that splits a query string at top-level `;` and
// gives each statement its kinds (a bit mask: a data-modifying CTE, ON CONFLICT DO UPDATE and
// REPLACE add kinds), whether it unions, and the tables it names after FROM, JOIN, INTO, UPDATE,
// TABLE, TRUNCATE, COPY, USING and, in DDL and GRANT, ON. Table names are cheap to find, not
// complete: a name hidden in a function body or a dynamic statement is not seen.
// The same pass looks for SQL injection shapes: tautologies after OR (`OR 1=1`, `OR 'a'='a'`),
// stacked queries (a read followed by a write in one query string), UNION SELECT with NULL
// padding or catalog reads, and comments that cut a clause short (`'admin'--`).
// Everything works on offsets into the query bytes; names go into one reused buffer.
import { ByteBuffer } from "../bytes";
import { Kind, kindBit } from "./tcp-config";

export const enum Dialect {
  Postgres = 0,
  Mysql = 1,
}

export const MAX_STATEMENTS = 64;
export const MAX_TABLES = 32;
const MAX_CTES = 16;

const enum Tok {
  End = 0,
  Word,
  Quoted, // quoted identifier
  Str,
  Num,
  Punct, // one of ( ) , ; . =
  Op,
  LineComment,
  BlockComment,
}

export const enum Shape {
  None = 0,
  Tautology,
  StackedQueries,
  UnionInjection,
  CommentTruncation,
}

export const SHAPE_NAMES: StaticArray<string> = ["", "tautology", "stacked-queries", "union", "comment-truncation"];

export class Statement {
  kinds: u32 = 0;
  tableFirst: i32 = 0;
  tableCount: i32 = 0;
  start: usize = 0;
  end: usize = 0;
}

export class SqlAnalysis {
  readonly statements: StaticArray<Statement> = makeStatements();
  count: i32 = 0;
  tooManyStatements: bool = false;
  tooManyTables: bool = false;
  /** Names of the tables, lower-cased unless quoted, qualified with dots. */
  readonly names: ByteBuffer = new ByteBuffer(256);
  readonly tableOff: StaticArray<u32> = new StaticArray<u32>(MAX_TABLES);
  readonly tableLen: StaticArray<u32> = new StaticArray<u32>(MAX_TABLES);
  tableCount: i32 = 0;
  shape: Shape = Shape.None;
  shapeStart: usize = 0;
  shapeEnd: usize = 0;

  reset(): void {
    this.count = 0;
    this.tooManyStatements = false;
    this.tooManyTables = false;
    this.names.reset();
    this.tableCount = 0;
    this.shape = Shape.None;
    this.shapeStart = 0;
    this.shapeEnd = 0;
  }

  tablePtr(i: i32): usize {
    return this.names.ptr + <usize>unchecked(this.tableOff[i]);
  }

  tableLength(i: i32): usize {
    return <usize>unchecked(this.tableLen[i]);
  }
}

function makeStatements(): StaticArray<Statement> {
  const a = new StaticArray<Statement>(MAX_STATEMENTS);
  for (let i = 0; i < MAX_STATEMENTS; i++) unchecked(a[i] = new Statement());
  return a;
}

// Table-expectation modes.
const T_NONE = 0;
const T_ONE = 1; // one name (INTO, COPY, ON, TABLE as a statement)
const T_LIST = 2; // a comma-separated list (FROM, USING, UPDATE, TRUNCATE, DROP TABLE)

/** Analyse the query text [p, p+len) into `out`. */
export function analyze(p: usize, len: usize, dialect: Dialect, out: SqlAnalysis): void {
  out.reset();
  analyzer.run(p, len, dialect, out);
}

class Analyzer {
  // lexer
  private p: usize = 0;
  private end: usize = 0;
  private pos: usize = 0;
  private mysql: bool = false;
  private execComment: i32 = 0; // open MySQL /*! ... */ comments
  tok: Tok = Tok.End;
  ts: usize = 0;
  te: usize = 0;
  unterminated: bool = false;

  // statement state
  private out: SqlAnalysis = new SqlAnalysis();
  private st: Statement | null = null;
  private depth: i32 = 0;
  private firstWord: bool = true;
  private primaryPending: bool = true; // the statement's verb is still to come
  private skipVerbs: bool = false; // after EXPLAIN, PREPARE ... AS, DECLARE ... FOR
  private inWith: bool = false;
  private ctes: StaticArray<usize> = new StaticArray<usize>(MAX_CTES * 2);
  private cteCount: i32 = 0;
  private expectCte: bool = false;
  private afterParen: bool = false;
  private ddl: bool = false;
  private tableMode: i32 = T_NONE;
  private tableDepth: i32 = 0;
  private tableKeywordFrom: bool = false;
  private inTableList: bool = false;
  private lastWasTable: bool = false;
  private prevKind: Tok = Tok.End;
  private prevStart: usize = 0;
  private prevEnd: usize = 0;
  // injection lookbehind: the last four significant tokens
  private hk: StaticArray<i32> = new StaticArray<i32>(4);
  private hs: StaticArray<usize> = new StaticArray<usize>(4);
  private he: StaticArray<usize> = new StaticArray<usize>(4);
  private unionWindow: i32 = 0;
  private unionStart: usize = 0;

  run(p: usize, len: usize, dialect: Dialect, out: SqlAnalysis): void {
    this.p = p;
    this.end = p + len;
    this.pos = p;
    this.mysql = dialect == Dialect.Mysql;
    this.out = out;
    this.execComment = 0;
    this.unionWindow = 0;
    this.pendingUpdate = false;
    this.prevKind = Tok.End;
    this.prevStart = p;
    this.prevEnd = p;
    for (let i = 0; i < 4; i++) unchecked(this.hk[i] = Tok.End);
    this.beginStatement();
    while (true) {
      this.next();
      const t = this.tok;
      if (t == Tok.End) break;
      if (t == Tok.LineComment || t == Tok.BlockComment) {
        this.comment();
        continue;
      }
      this.token();
    }
    this.endStatement(this.end);
    this.stacked();
  }

  // ---- statements ----

  private beginStatement(): void {
    const out = this.out;
    if (out.count >= MAX_STATEMENTS) {
      out.tooManyStatements = true;
      this.st = null;
    } else {
      const s = unchecked(out.statements[out.count]);
      s.kinds = 0;
      s.tableFirst = out.tableCount;
      s.tableCount = 0;
      s.start = this.pos;
      s.end = this.pos;
      this.st = s;
    }
    this.depth = 0;
    this.firstWord = true;
    this.primaryPending = true;
    this.skipVerbs = false;
    this.inWith = false;
    this.cteCount = 0;
    this.expectCte = false;
    this.afterParen = false;
    this.ddl = false;
    this.tableMode = T_NONE;
    this.inTableList = false;
    this.lastWasTable = false;
    this.pendingUpdate = false;
  }

  private endStatement(at: usize): void {
    const s = this.st;
    if (s === null) return;
    if (this.firstWord) return; // empty statement: not counted
    s.end = at;
    if (s.kinds == 0) s.kinds = kindBit(Kind.Other);
    this.out.count++;
  }

  private addKind(k: Kind): void {
    const s = this.st;
    if (s !== null) s.kinds |= kindBit(k);
  }

  /** Read statements followed by writes in one query string. */
  private stacked(): void {
    const out = this.out;
    if (out.count < 2 || out.shape != Shape.None) return;
    const first = unchecked(out.statements[0]).kinds;
    if (first != kindBit(Kind.Select)) return;
    const writes = kindBit(Kind.Insert) | kindBit(Kind.Update) | kindBit(Kind.Delete) | kindBit(Kind.Merge) |
      kindBit(Kind.Truncate) | kindBit(Kind.Ddl) | kindBit(Kind.Grant) | kindBit(Kind.Copy) | kindBit(Kind.Call);
    for (let i = 1; i < out.count; i++) {
      const s = unchecked(out.statements[i]);
      if ((s.kinds & writes) != 0) {
        this.flag(Shape.StackedQueries, unchecked(out.statements[i - 1]).end, s.end);
        return;
      }
    }
  }

  private flag(shape: Shape, start: usize, end: usize): void {
    const out = this.out;
    if (out.shape != Shape.None) return;
    out.shape = shape;
    out.shapeStart = start - this.p;
    out.shapeEnd = end - this.p;
  }

  // ---- tokens ----

  private comment(): void {
    // A line comment right after a string literal, or carrying a quote, cuts a clause short
    // (`... WHERE name = 'admin'--' AND password = ...`); so does a block comment left open.
    if (this.tok == Tok.LineComment) {
      let quote = this.prevKind == Tok.Str;
      for (let i = this.ts; i < this.te && !quote; i++) {
        const c = load<u8>(i);
        if (c == 0x27 || c == 0x22) quote = true;
      }
      if (quote) this.flag(Shape.CommentTruncation, this.prevStart < this.ts ? this.prevStart : this.ts, this.te);
    } else if (this.unterminated) {
      this.flag(Shape.CommentTruncation, this.ts, this.te);
    }
  }

  private token(): void {
    const t = this.tok;
    const ts = this.ts;
    const te = this.te;
    if (t == Tok.Punct) {
      const c = load<u8>(ts);
      if (c == 0x3b) { // ';' ends a statement at any depth (the server does the same)
        this.endStatement(ts);
        this.pos = te;
        this.beginStatement();
        this.remember(t, ts, te);
        return;
      }
      if (c == 0x28) {
        // '(' right after a FROM/JOIN name: that name was a function
        if (this.lastWasTable && this.tableKeywordFrom) this.dropLastTable();
        this.depth++;
        this.afterParen = true;
        if (this.tableMode != T_NONE && !this.inTableList) this.tableMode = T_NONE; // FROM (subquery)
        this.lastWasTable = false;
        this.remember(t, ts, te);
        return;
      }
      if (c == 0x29) {
        this.depth--;
        if (this.inTableList && this.depth < this.tableDepth) this.endTables();
      } else if (c == 0x2c) {
        if (this.inTableList && this.depth == this.tableDepth) this.tableMode = T_LIST;
        if (this.inWith && this.depth == 0) this.expectCte = true;
      }
      this.afterParen = false;
      this.lastWasTable = false;
      this.remember(t, ts, te);
      this.tautology();
      return;
    }
    if (t == Tok.Word) {
      this.word(ts, te);
    } else if (t == Tok.Quoted) {
      if (this.tableMode != T_NONE) this.table();
      else if (this.expectCte) this.cte(ts, te);
      else this.lastWasTable = false;
      if (this.firstWord) this.firstWord = false;
    } else {
      if (this.firstWord) this.firstWord = false;
      this.lastWasTable = false;
    }
    this.afterParen = false;
    this.remember(t, ts, te);
    this.tautology();
    this.unionShape(t, ts, te);
  }

  private remember(t: Tok, ts: usize, te: usize): void {
    this.prevKind = t;
    this.prevStart = ts;
    this.prevEnd = te;
    const hk = this.hk;
    const hs = this.hs;
    const he = this.he;
    for (let i = 0; i < 3; i++) {
      unchecked(hk[i] = hk[i + 1]);
      unchecked(hs[i] = hs[i + 1]);
      unchecked(he[i] = he[i + 1]);
    }
    unchecked(hk[3] = <i32>t);
    unchecked(hs[3] = ts);
    unchecked(he[3] = te);
  }

  /** OR <a> = <a> (literals or the same name), OR TRUE. */
  private tautology(): void {
    const hk = this.hk;
    const hs = this.hs;
    const he = this.he;
    // OR TRUE
    if (unchecked(hk[2]) == Tok.Word && unchecked(hk[3]) == Tok.Word && isWord(unchecked(hs[2]), unchecked(he[2]), "or") &&
        isWord(unchecked(hs[3]), unchecked(he[3]), "true")) {
      this.flag(Shape.Tautology, unchecked(hs[2]), unchecked(he[3]));
      return;
    }
    if (unchecked(hk[0]) != Tok.Word || !isWord(unchecked(hs[0]), unchecked(he[0]), "or")) return;
    const k1 = unchecked(hk[1]);
    const k3 = unchecked(hk[3]);
    if (unchecked(hk[2]) != Tok.Punct || load<u8>(unchecked(hs[2])) != 0x3d) return;
    if (k1 != k3 || (k1 != Tok.Str && k1 != Tok.Num && k1 != Tok.Word)) return;
    const l1 = unchecked(he[1]) - unchecked(hs[1]);
    const l3 = unchecked(he[3]) - unchecked(hs[3]);
    if (l1 != l3 || memory.compare(unchecked(hs[1]), unchecked(hs[3]), l1) != 0) return;
    this.flag(Shape.Tautology, unchecked(hs[0]), unchecked(he[3]));
  }

  /** UNION [ALL] SELECT padded with NULLs, or reading the catalog. */
  private unionShape(t: Tok, ts: usize, te: usize): void {
    if (this.unionWindow <= 0) return;
    this.unionWindow--;
    if (t != Tok.Word) return;
    const hk = this.hk;
    const hs = this.hs;
    const he = this.he;
    const n = te - ts;
    const nullPad = isWord(ts, te, "null") && unchecked(hk[2]) == Tok.Punct && load<u8>(unchecked(hs[2])) == 0x2c &&
      unchecked(hk[1]) == Tok.Word && isWord(unchecked(hs[1]), unchecked(he[1]), "null");
    const catalog = isWord(ts, te, "information_schema") || isWord(ts, te, "pg_catalog") || isWord(ts, te, "pg_shadow") ||
      isWord(ts, te, "pg_authid") || isWord(ts, te, "pg_user") || isWord(ts, te, "pg_roles") ||
      (n > 2 && load<u8>(ts) == 0x40 && load<u8>(ts + 1) == 0x40);
    if (nullPad || catalog) {
      this.flag(Shape.UnionInjection, this.unionStart, te);
      this.unionWindow = 0;
    }
  }

  private word(ts: usize, te: usize): void {
    // Statement verbs.
    if (this.firstWord) {
      this.firstWord = false;
      this.verb(ts, te, true);
      return;
    }
    if (!isKeyword(ts, te)) {
      // an identifier: a CTE's name, a table, or nothing the classifier needs
      if (this.inWith && this.depth == 0 && this.expectCte) this.cte(ts, te);
      else if (this.tableMode != T_NONE) this.table();
      else this.lastWasTable = false;
      return;
    }
    if (this.primaryPending && this.skipVerbs && this.depth == 0) {
      if (this.verb(ts, te, false)) return;
    }
    if (this.inWith && this.depth == 0) {
      if (this.expectCte) {
        if (isWord(ts, te, "recursive")) return;
        this.cte(ts, te);
        return;
      }
      if (isMainVerb(ts, te)) {
        this.inWith = false;
        this.verb(ts, te, false);
        return;
      }
    }
    if (this.afterParen) {
      // the first word in parentheses: a subquery or a data-modifying CTE body
      if (isWord(ts, te, "select") || isWord(ts, te, "values")) this.addKind(Kind.Select);
      else if (isWord(ts, te, "insert")) this.addKind(Kind.Insert);
      else if (isWord(ts, te, "update")) {
        this.addKind(Kind.Update);
        this.expectTables(T_LIST, false);
        return;
      } else if (isWord(ts, te, "delete")) this.addKind(Kind.Delete);
    }
    if (isWord(ts, te, "select") && !this.primaryIs(Kind.Grant)) this.addKind(Kind.Select); // INSERT ... SELECT, CREATE ... AS SELECT
    if (isWord(ts, te, "union")) {
      this.addKind(Kind.Union);
      this.unionWindow = 24;
      this.unionStart = ts;
      this.endTables();
      return;
    }
    if (this.tableMode != T_NONE) {
      if (isWord(ts, te, "only") || isWord(ts, te, "lateral") || isWord(ts, te, "if") || isWord(ts, te, "not") ||
          isWord(ts, te, "exists") || isWord(ts, te, "table") || isWord(ts, te, "tables") || isWord(ts, te, "ignore") ||
          isWord(ts, te, "low_priority") || isWord(ts, te, "quick") || isWord(ts, te, "delayed") || isWord(ts, te, "high_priority")) {
        return;
      }
      if (isWord(ts, te, "into")) { // INSERT IGNORE INTO
        this.expectTables(T_ONE, false);
        return;
      }
      if (!isClauseWord(ts, te) && !isWord(ts, te, "select") && !isWord(ts, te, "with") && !isWord(ts, te, "values")) {
        this.table();
        return;
      }
      this.tableMode = T_NONE;
    }
    if (this.inTableList && this.depth == this.tableDepth && isClauseWord(ts, te)) this.endTables();
    this.lastWasTable = false;
    // Table keywords.
    if (isWord(ts, te, "from") || isWord(ts, te, "join")) this.expectTables(T_LIST, true);
    else if (isWord(ts, te, "into")) this.expectTables(T_ONE, false);
    else if (isWord(ts, te, "using") && this.primaryIs(Kind.Delete)) this.expectTables(T_LIST, false);
    else if (isWord(ts, te, "using") && this.primaryIs(Kind.Merge)) this.expectTables(T_ONE, true);
    else if (isWord(ts, te, "table") && this.ddl) this.expectTables(T_LIST, false);
    else if (isWord(ts, te, "on") && this.ddl) this.expectTables(T_ONE, false);
    else if (isWord(ts, te, "conflict") || isWord(ts, te, "duplicate")) {
      // INSERT ... ON CONFLICT ... DO UPDATE / ON DUPLICATE KEY UPDATE
      this.pendingUpdate = true;
    } else if (this.pendingUpdate && isWord(ts, te, "update")) {
      this.addKind(Kind.Update);
      this.pendingUpdate = false;
    } else if (isWord(ts, te, "outfile") || isWord(ts, te, "dumpfile")) {
      this.addKind(Kind.Other); // SELECT ... INTO OUTFILE writes a file on the server
    }
  }

  private pendingUpdate: bool = false;

  private primaryIs(k: Kind): bool {
    const s = this.st;
    return s !== null && (s.kinds & kindBit(k)) != 0;
  }

  /** The statement's verb; `first`: the statement's first word. True when it was a verb. */
  private verb(ts: usize, te: usize, first: bool): bool {
    let k: i32 = -1;
    let tables = T_NONE;
    let fromKw = false;
    if (isWord(ts, te, "select") || isWord(ts, te, "values")) k = Kind.Select;
    else if (isWord(ts, te, "table")) {
      k = Kind.Select;
      tables = T_ONE;
    } else if (isWord(ts, te, "with")) {
      this.inWith = true;
      this.expectCte = true;
      this.primaryPending = true;
      return true;
    } else if (isWord(ts, te, "insert")) {
      k = Kind.Insert;
      if (this.mysql) tables = T_ONE; // INSERT [IGNORE] [INTO] t
    } else if (isWord(ts, te, "replace")) {
      k = Kind.Insert;
      this.addKind(Kind.Delete);
      tables = T_ONE;
    } else if (isWord(ts, te, "update")) {
      k = Kind.Update;
      tables = T_LIST;
    } else if (isWord(ts, te, "delete")) k = Kind.Delete;
    else if (isWord(ts, te, "merge")) k = Kind.Merge;
    else if (isWord(ts, te, "truncate")) {
      k = Kind.Truncate;
      tables = T_LIST;
    } else if (isWord(ts, te, "copy")) {
      k = Kind.Copy;
      tables = T_ONE;
    } else if (isWord(ts, te, "load")) k = Kind.Copy;
    else if (first && (isWord(ts, te, "explain") || isWord(ts, te, "describe") || isWord(ts, te, "desc"))) {
      // EXPLAIN [ANALYZE] <statement>: ANALYZE runs it, so it is judged as that statement.
      this.skipVerbs = true;
      if (!isWord(ts, te, "explain")) {
        k = Kind.Session; // MySQL DESCRIBE <table>
        tables = T_ONE;
        this.skipVerbs = true;
      } else {
        return true;
      }
    } else if (first && (isWord(ts, te, "prepare") || isWord(ts, te, "declare"))) {
      this.skipVerbs = true; // PREPARE name AS <statement>, DECLARE c CURSOR FOR <select>
      this.addKind(Kind.Session);
      return true;
    } else if (isWord(ts, te, "create") || isWord(ts, te, "alter") || isWord(ts, te, "drop") ||
        isWord(ts, te, "comment") || isWord(ts, te, "rename") || isWord(ts, te, "security") ||
        isWord(ts, te, "refresh") || isWord(ts, te, "import")) {
      k = Kind.Ddl;
      this.ddl = true;
    } else if (isWord(ts, te, "grant") || isWord(ts, te, "revoke")) {
      k = Kind.Grant;
      this.ddl = true;
    } else if (isWord(ts, te, "begin") || isWord(ts, te, "start") || isWord(ts, te, "commit") ||
        isWord(ts, te, "rollback") || isWord(ts, te, "savepoint") || isWord(ts, te, "release") ||
        isWord(ts, te, "end") || isWord(ts, te, "abort") || isWord(ts, te, "xa")) k = Kind.Transaction;
    else if (isWord(ts, te, "set") || isWord(ts, te, "reset") || isWord(ts, te, "show") || isWord(ts, te, "use") ||
        isWord(ts, te, "discard") || isWord(ts, te, "deallocate") || isWord(ts, te, "listen") ||
        isWord(ts, te, "unlisten") || isWord(ts, te, "notify") || isWord(ts, te, "help") || isWord(ts, te, "close")) k = Kind.Session;
    else if (isWord(ts, te, "fetch") || isWord(ts, te, "move")) k = Kind.Select;
    else if (isWord(ts, te, "call") || isWord(ts, te, "do") || isWord(ts, te, "execute") || isWord(ts, te, "exec") ||
        isWord(ts, te, "handler")) k = Kind.Call;
    else if (isWord(ts, te, "lock") || isWord(ts, te, "unlock")) {
      k = Kind.Lock;
      tables = T_LIST;
    } else if (isWord(ts, te, "vacuum") || isWord(ts, te, "analyze") || isWord(ts, te, "analyse") ||
        isWord(ts, te, "cluster") || isWord(ts, te, "reindex") || isWord(ts, te, "checkpoint") ||
        isWord(ts, te, "optimize") || isWord(ts, te, "repair") || isWord(ts, te, "check") ||
        isWord(ts, te, "checksum") || isWord(ts, te, "flush") || isWord(ts, te, "kill") ||
        isWord(ts, te, "purge") || isWord(ts, te, "install") || isWord(ts, te, "uninstall") ||
        isWord(ts, te, "shutdown") || isWord(ts, te, "binlog") || isWord(ts, te, "cache")) {
      if (!first && this.skipVerbs) return false; // EXPLAIN ANALYZE: an option, not the verb
      k = Kind.Maintenance;
    }
    if (k < 0) {
      if (first) this.addKind(Kind.Other);
      return false;
    }
    if (this.skipVerbs && !first) {
      // EXPLAIN/PREPARE/DECLARE: the statement they carry decides; drop the placeholder.
      const s = this.st;
      if (s !== null) s.kinds &= ~kindBit(Kind.Session);
      this.skipVerbs = false;
    }
    this.addKind(<Kind>k);
    this.primaryPending = false;
    if (tables != T_NONE) this.expectTables(tables, fromKw);
    return true;
  }

  private cte(ts: usize, te: usize): void {
    this.expectCte = false;
    if (this.cteCount < MAX_CTES) {
      const i = this.cteCount * 2;
      unchecked(this.ctes[i] = ts);
      unchecked(this.ctes[i + 1] = te);
      this.cteCount++;
    }
  }

  private expectTables(mode: i32, fromKw: bool): void {
    this.tableMode = mode;
    this.tableKeywordFrom = fromKw;
    this.tableDepth = this.depth;
    this.inTableList = mode == T_LIST;
  }

  private endTables(): void {
    this.tableMode = T_NONE;
    this.inTableList = false;
  }

  /** The name at the current token, with `.` parts that follow. */
  private table(): void {
    const out = this.out;
    const mode = this.tableMode;
    this.tableMode = T_NONE; // until a ',' in a list asks again
    if (mode == T_ONE) this.inTableList = false;
    const names = out.names;
    const start = names.len;
    this.appendName();
    // qualified: name . name . name
    while (true) {
      const save = this.pos;
      const saveExec = this.execComment;
      this.next();
      if (this.tok == Tok.Punct && load<u8>(this.ts) == 0x2e) {
        this.next();
        if (this.tok == Tok.Word || this.tok == Tok.Quoted) {
          names.byte(0x2e);
          this.appendName();
          continue;
        }
      }
      this.pos = save;
      this.execComment = saveExec;
      break;
    }
    const len = names.len - start;
    // A CTE's name is not a table.
    for (let i = 0; i < this.cteCount; i++) {
      const cs = unchecked(this.ctes[i * 2]);
      const ce = unchecked(this.ctes[i * 2 + 1]);
      if (sameName(names.ptr + start, len, cs, ce)) {
        names.truncate(start);
        this.lastWasTable = false;
        return;
      }
    }
    if (out.tableCount >= MAX_TABLES) {
      out.tooManyTables = true;
      names.truncate(start);
      return;
    }
    unchecked(out.tableOff[out.tableCount] = <u32>start);
    unchecked(out.tableLen[out.tableCount] = <u32>len);
    out.tableCount++;
    const s = this.st;
    if (s !== null) s.tableCount = out.tableCount - s.tableFirst;
    this.lastWasTable = true;
  }

  private dropLastTable(): void {
    const out = this.out;
    if (out.tableCount == 0) return;
    out.tableCount--;
    out.names.truncate(<usize>unchecked(out.tableOff[out.tableCount]));
    const s = this.st;
    if (s !== null) s.tableCount = out.tableCount - s.tableFirst;
    this.lastWasTable = false;
  }

  private appendName(): void {
    const names = this.out.names;
    if (this.tok == Tok.Quoted) {
      const q = load<u8>(this.ts);
      for (let i = this.ts + 1; i < this.te; i++) {
        const c = load<u8>(i);
        if (c == q) {
          if (i + 1 < this.te && load<u8>(i + 1) == q) i++;
          else break;
        }
        names.byte(c);
      }
      return;
    }
    for (let i = this.ts; i < this.te; i++) {
      let c = load<u8>(i);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      names.byte(c);
    }
  }

  // ---- lexer ----

  next(): void {
    const end = this.end;
    let i = this.pos;
    this.unterminated = false;
    // white space (and the end of a MySQL executable comment)
    while (i < end) {
      const c = load<u8>(i);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c) {
        i++;
        continue;
      }
      if (this.execComment > 0 && c == 0x2a && i + 1 < end && load<u8>(i + 1) == 0x2f) {
        this.execComment--;
        i += 2;
        continue;
      }
      break;
    }
    this.ts = i;
    if (i >= end) {
      this.tok = Tok.End;
      this.te = end;
      this.pos = end;
      return;
    }
    const c = load<u8>(i);
    const c1: u8 = i + 1 < end ? load<u8>(i + 1) : 0;
    // comments
    if ((c == 0x2d && c1 == 0x2d) || (this.mysql && c == 0x23)) {
      let j = i + (c == 0x23 ? 1 : 2);
      while (j < end && load<u8>(j) != 0x0a) j++;
      this.finish(Tok.LineComment, j);
      return;
    }
    if (c == 0x2f && c1 == 0x2a) {
      if (this.mysql && i + 2 < end && load<u8>(i + 2) == 0x21) {
        // /*!NNNNN ... */: MySQL runs the content. Skip the opener and the version digits.
        let j = i + 3;
        while (j < end && load<u8>(j) >= 0x30 && load<u8>(j) <= 0x39) j++;
        this.execComment++;
        this.pos = j;
        this.next();
        return;
      }
      let j = i + 2;
      let nest = 1;
      while (j < end) {
        const d = load<u8>(j);
        if (d == 0x2a && j + 1 < end && load<u8>(j + 1) == 0x2f) {
          j += 2;
          if (--nest == 0 || this.mysql) {
            nest = 0;
            break;
          }
          continue;
        }
        if (!this.mysql && d == 0x2f && j + 1 < end && load<u8>(j + 1) == 0x2a) {
          nest++;
          j += 2;
          continue;
        }
        j++;
      }
      this.unterminated = nest != 0;
      this.finish(Tok.BlockComment, j);
      return;
    }
    // strings
    if (c == 0x27 || (this.mysql && c == 0x22)) {
      this.quoted(i, c, this.mysql, Tok.Str);
      return;
    }
    if (!this.mysql && (c == 0x45 || c == 0x65) && c1 == 0x27) { // E'...' with backslash escapes
      this.quoted(i + 1, 0x27, true, Tok.Str);
      this.ts = i;
      return;
    }
    if (!this.mysql && c == 0x24) { // $tag$ ... $tag$ (a $1 parameter is an operand)
      let j = i + 1;
      while (j < end && load<u8>(j) != 0x24 && isIdentByte(load<u8>(j)) && !(load<u8>(j) >= 0x30 && load<u8>(j) <= 0x39 && j == i + 1)) j++;
      if (j < end && load<u8>(j) == 0x24) {
        const tagLen = j + 1 - i;
        let k = j + 1;
        while (k + tagLen <= end) {
          if (load<u8>(k) == 0x24 && memory.compare(k, i, tagLen) == 0) break;
          k++;
        }
        if (k + tagLen > end) {
          this.unterminated = true;
          this.finish(Tok.Str, end);
        } else {
          this.finish(Tok.Str, k + tagLen);
        }
        return;
      }
    }
    // quoted identifiers
    if ((!this.mysql && c == 0x22) || (this.mysql && c == 0x60)) {
      this.quoted(i, c, false, Tok.Quoted);
      return;
    }
    // numbers
    if ((c >= 0x30 && c <= 0x39) || (c == 0x2e && c1 >= 0x30 && c1 <= 0x39)) {
      let j = i + 1;
      while (j < end) {
        const d = load<u8>(j);
        if ((d >= 0x30 && d <= 0x39) || d == 0x2e || (d | 0x20) == 0x65 || (d | 0x20) == 0x78 ||
            ((d | 0x20) >= 0x61 && (d | 0x20) <= 0x66)) j++;
        else break;
      }
      this.finish(Tok.Num, j);
      return;
    }
    // words (identifiers, keywords, @variables, @@system variables)
    if (isIdentStart(c) || c == 0x40) {
      let j = i + 1;
      while (j < end && (isIdentByte(load<u8>(j)) || load<u8>(j) == 0x40)) j++;
      this.finish(Tok.Word, j);
      return;
    }
    if (c == 0x28 || c == 0x29 || c == 0x2c || c == 0x3b || c == 0x2e || c == 0x3d) {
      this.finish(Tok.Punct, i + 1);
      return;
    }
    // operators: a run of operator characters
    let j = i + 1;
    while (j < end && isOpByte(load<u8>(j)) && !(load<u8>(j) == 0x2d && j + 1 < end && load<u8>(j + 1) == 0x2d)) j++;
    this.finish(Tok.Op, j);
  }

  private quoted(i: usize, q: u8, backslash: bool, kind: Tok): void {
    const end = this.end;
    let j = i + 1;
    while (j < end) {
      const d = load<u8>(j);
      if (backslash && d == 0x5c) {
        j += 2;
        continue;
      }
      if (d == q) {
        if (j + 1 < end && load<u8>(j + 1) == q) {
          j += 2;
          continue;
        }
        this.finish(kind, j + 1);
        return;
      }
      j++;
    }
    this.unterminated = true;
    this.finish(kind, end);
  }

  private finish(t: Tok, te: usize): void {
    if (te > this.end) te = this.end;
    this.tok = t;
    this.te = te;
    this.pos = te;
  }
}

// ---- word helpers ----

// @ts-ignore: decorator
@inline
function isIdentStart(c: u8): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f || c >= 0x80;
}

// @ts-ignore: decorator
@inline
function isIdentByte(c: u8): bool {
  return isIdentStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x24;
}

// @ts-ignore: decorator
@inline
function isOpByte(c: u8): bool {
  return c == 0x2b || c == 0x2d || c == 0x2a || c == 0x2f || c == 0x3c || c == 0x3e || c == 0x7e || c == 0x21 ||
    c == 0x40 || c == 0x23 || c == 0x25 || c == 0x5e || c == 0x26 || c == 0x7c || c == 0x60 || c == 0x3f ||
    c == 0x3a || c == 0x5b || c == 0x5d || c == 0x7b || c == 0x7d || c == 0x5c || c == 0x24 || c == 0x22 || c == 0x27;
}

/** The word [ts, te) equals the lower-case literal, ignoring ASCII case. */
export function isWord(ts: usize, te: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (te - ts != n) return false;
  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(ts + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (<u32>c != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

function isMainVerb(ts: usize, te: usize): bool {
  return isWord(ts, te, "select") || isWord(ts, te, "insert") || isWord(ts, te, "update") ||
    isWord(ts, te, "delete") || isWord(ts, te, "merge") || isWord(ts, te, "values") || isWord(ts, te, "table");
}

/** Words that end a table list. */
function isClauseWord(ts: usize, te: usize): bool {
  const n = te - ts;
  if (n < 2 || n > 9) return false;
  return isWord(ts, te, "where") || isWord(ts, te, "set") || isWord(ts, te, "on") || isWord(ts, te, "using") ||
    isWord(ts, te, "group") || isWord(ts, te, "order") || isWord(ts, te, "limit") || isWord(ts, te, "having") ||
    isWord(ts, te, "window") || isWord(ts, te, "union") || isWord(ts, te, "except") || isWord(ts, te, "intersect") ||
    isWord(ts, te, "returning") || isWord(ts, te, "for") || isWord(ts, te, "join") || isWord(ts, te, "inner") ||
    isWord(ts, te, "left") || isWord(ts, te, "right") || isWord(ts, te, "full") || isWord(ts, te, "cross") ||
    isWord(ts, te, "natural") || isWord(ts, te, "straight_join") || isWord(ts, te, "values") || isWord(ts, te, "select") ||
    isWord(ts, te, "to") || isWord(ts, te, "from") ||
    isWord(ts, te, "with") || isWord(ts, te, "in") || isWord(ts, te, "cascade") || isWord(ts, te, "restrict") ||
    isWord(ts, te, "add") || isWord(ts, te, "offset") || isWord(ts, te, "fetch") || isWord(ts, te, "partition") ||
    isWord(ts, te, "default") || isWord(ts, te, "rename") || isWord(ts, te, "owner") || isWord(ts, te, "column") ||
    isWord(ts, te, "do") || isWord(ts, te, "when") || isWord(ts, te, "into") ||
    isWord(ts, te, "like") || isWord(ts, te, "continue") || isWord(ts, te, "stdin") || isWord(ts, te, "stdout");
}

/** A table name (lower-cased bytes) equals a CTE name as written (unquoted: any case). */
function sameName(p: usize, n: usize, cs: usize, ce: usize): bool {
  const q = load<u8>(cs);
  if (q == 0x22 || q == 0x60) {
    if (ce - cs < 2 || n != ce - cs - 2) return false;
    return memory.compare(p, cs + 1, n) == 0;
  }
  if (ce - cs != n) return false;
  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(cs + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c != load<u8>(p + i)) return false;
  }
  return true;
}

// ---- keywords: one hash lookup tells an identifier from a word the classifier knows ----

const KEYWORDS: StaticArray<string> = [
  "abort", "add", "alter", "analyse", "analyze", "begin", "binlog", "cache", "call", "cascade",
  "check", "checkpoint", "checksum", "close", "cluster", "column", "comment", "commit", "conflict", "continue",
  "copy", "create", "cross", "deallocate", "declare", "default", "delayed", "delete", "desc", "describe",
  "discard", "do", "drop", "dumpfile", "duplicate", "end", "except", "exec", "execute", "exists",
  "explain", "fetch", "flush", "for", "from", "full", "grant", "group", "handler", "having",
  "help", "high_priority", "if", "ignore", "import", "in", "information_schema", "inner", "insert", "install",
  "intersect", "into", "join", "kill", "lateral", "left", "like", "limit", "listen", "load",
  "lock", "low_priority", "merge", "move", "natural", "not", "notify", "null", "offset", "on",
  "only", "optimize", "or", "order", "outfile", "owner", "partition", "pg_authid", "pg_catalog", "pg_roles",
  "pg_shadow", "pg_user", "prepare", "purge", "quick", "recursive", "refresh", "reindex", "release", "rename",
  "repair", "replace", "reset", "restrict", "returning", "revoke", "right", "rollback", "savepoint", "security",
  "select", "set", "show", "shutdown", "start", "stdin", "stdout", "straight_join", "table", "tables",
  "to", "true", "truncate", "uninstall", "union", "unlisten", "unlock", "update", "use", "using",
  "vacuum", "values", "when", "where", "window", "with", "xa",
];

const KEYWORD_SLOTS = 1024;
const keywordHashes = buildKeywords();

function buildKeywords(): StaticArray<u32> {
  const t = new StaticArray<u32>(KEYWORD_SLOTS);
  for (let i = 0; i < KEYWORDS.length; i++) {
    const w = unchecked(KEYWORDS[i]);
    let h: u32 = 2166136261;
    for (let j = 0; j < w.length; j++) h = (h ^ <u32>w.charCodeAt(j)) * 16777619;
    if (h == 0) h = 1;
    let slot = h & (KEYWORD_SLOTS - 1);
    while (unchecked(t[slot]) != 0) slot = (slot + 1) & (KEYWORD_SLOTS - 1);
    unchecked(t[slot] = h);
  }
  return t;
}

/** The word may be a keyword of the classifier (false: certainly an identifier). */
function isKeyword(ts: usize, te: usize): bool {
  const n = te - ts;
  if (n < 2 || n > 18) return false;
  let h: u32 = 2166136261;
  for (let i = ts; i < te; i++) {
    let c = load<u8>(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    h = (h ^ <u32>c) * 16777619;
  }
  if (h == 0) h = 1;
  let slot = h & (KEYWORD_SLOTS - 1);
  while (true) {
    const v = unchecked(keywordHashes[slot]);
    if (v == 0) return false;
    if (v == h) return true;
    slot = (slot + 1) & (KEYWORD_SLOTS - 1);
  }
}

const analyzer = new Analyzer();
