// A caller's learned TCP operations → the `postgres:` / `mysql:` / `redis:` entries and the
// `protocols` of its ingress rule, in the schema of policy/match-tcp.ts, admitting every
// statement shape and command that was seen:
//   - SQL: one entry per set of statement kinds with the union of the tables seen with it
//     (an entry admits a statement when all its kinds are listed and every table it names is);
//     entries with the same tables are then merged. A shape that named no table is admitted by
//     any entry with its kinds; one whose tables were not all known (or cannot be written) by an
//     entry without `tables`.
//   - Redis: the commands with the same learned key patterns share an entry.
//   - protocols: written only when the caller used protocols its entries do not imply.
import type { ProtocolName, RedisRuleSpec, SqlRuleSpec, StatementKind } from '../policy/types.js';
import { PROTOCOL_NAMES, STATEMENT_KINDS } from '../policy/types.js';

/** Kinds that normally name tables: an entry for them without `tables` admits any table. */
const TABLE_KINDS: readonly StatementKind[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'TRUNCATE', 'COPY', 'LOCK'];
/** A command name as policy/match-tcp.ts accepts it. */
export const COMMAND = /^[A-Za-z][A-Za-z0-9_.|-]*$/;
const HTTP_FAMILY: readonly ProtocolName[] = ['http', 'http2', 'grpc'];
const STATEMENT_PROTOCOLS = new Set(['postgres', 'mysql', 'redis']);

const byKindOrder = (kinds: Iterable<StatementKind>) => STATEMENT_KINDS.filter((k) => [...kinds].includes(k));

/** The TCP operations of one caller (from `Caller.operations`), sorted into what its rule needs. */
export class TcpOperations {
  readonly sql = new Map<'postgres' | 'mysql', Array<{ kinds: StatementKind[]; tables: string[] | '*' }>>();
  readonly redis = new Map<string, { keyless: boolean; patterns: Set<string> }>();
  readonly connections = new Set<string>();

  /** True when `op` is a TCP operation (taken), false when it is something else. */
  add(op: string): boolean {
    const space = op.indexOf(' ');
    const head = space < 0 ? op : op.slice(0, space);
    const rest = space < 0 ? '' : op.slice(space + 1);
    if (head === 'POSTGRES' || head === 'MYSQL') {
      const [kinds, tables] = rest.split(' ');
      const proto = head === 'POSTGRES' ? 'postgres' : 'mysql';
      if (!this.sql.has(proto)) this.sql.set(proto, []);
      this.sql.get(proto)!.push({
        kinds: kinds.split(',').filter((k): k is StatementKind => (STATEMENT_KINDS as readonly string[]).includes(k)),
        tables: tables === undefined ? [] : tables === '*' ? '*' : tables.split(','),
      });
      return true;
    }
    if (head === 'REDIS') {
      const cut = rest.indexOf(' ');
      const command = cut < 0 ? rest : rest.slice(0, cut);
      let r = this.redis.get(command);
      if (!r) this.redis.set(command, (r = { keyless: false, patterns: new Set() }));
      if (cut < 0) r.keyless = true;
      else r.patterns.add(rest.slice(cut + 1));
      return true;
    }
    if (head === 'TCP') {
      this.connections.add(rest);
      return true;
    }
    return false;
  }

  get empty(): boolean {
    return this.sql.size === 0 && this.redis.size === 0 && this.connections.size === 0;
  }
}

export function sqlEntries(shapes: ReadonlyArray<{ kinds: StatementKind[]; tables: string[] | '*' }>, notes: string[], who: string, proto: string): SqlRuleSpec[] {
  const groups = new Map<string, { kinds: StatementKind[]; tables: Set<string>; any: boolean }>();
  for (const s of shapes) {
    if (s.kinds.length === 0) continue;
    const key = s.kinds.join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kinds: s.kinds, tables: new Set(), any: false }));
    if (s.tables === '*') g.any = true;
    else for (const t of s.tables) g.tables.add(t);
  }
  const covers = (h: { kinds: StatementKind[]; tables: Set<string>; any: boolean }, kinds: StatementKind[]) => (h.any || h.tables.size > 0) && kinds.every((k) => h.kinds.includes(k));
  // tables signature ('' = any table) → kinds
  const merged = new Map<string, Set<StatementKind>>();
  const anyTable = new Set<StatementKind>();
  for (const g of groups.values()) {
    let sig: string;
    if (g.any) sig = '';
    else if (g.tables.size > 0) sig = [...g.tables].sort().join(',');
    else if ([...groups.values()].some((h) => h !== g && covers(h, g.kinds))) continue;
    else {
      sig = '';
      for (const k of g.kinds) if (TABLE_KINDS.includes(k)) anyTable.add(k);
    }
    if (!merged.has(sig)) merged.set(sig, new Set());
    for (const k of g.kinds) merged.get(sig)!.add(k);
  }
  if (anyTable.size > 0) {
    notes.push(`${who}: ${proto} ${[...anyTable].join(', ')} statements were seen only without tables; the entry admits them on any table (a policy cannot say "no table")`);
  }
  return [...merged].sort(([a], [b]) => a.localeCompare(b)).map(([sig, kinds]) => ({
    statements: byKindOrder(kinds),
    ...(sig ? { tables: sig.split(',') } : {}),
  }));
}

export function redisEntries(commands: TcpOperations['redis'], notes: string[], who: string): RedisRuleSpec[] {
  const bySig = new Map<string, string[]>();
  for (const [command, r] of [...commands].sort(([a], [b]) => a.localeCompare(b))) {
    if (!COMMAND.test(command)) {
      notes.push(`${who}: Redis command ${JSON.stringify(command)} cannot be written in a policy; left out`);
      continue;
    }
    // Keys may hold any character: the signature is the JSON of the sorted patterns.
    const sig = r.patterns.has('*') || r.patterns.size === 0 ? '' : JSON.stringify([...r.patterns].sort());
    if (!bySig.has(sig)) bySig.set(sig, []);
    bySig.get(sig)!.push(command);
  }
  const entries: RedisRuleSpec[] = [...bySig].map(([sig, cmds]) => ({ commands: cmds, ...(sig ? { keys: JSON.parse(sig) as string[] } : {}) }));
  // Entries without keys first, then by their key patterns, one by one.
  const byKeys = (x: RedisRuleSpec, y: RedisRuleSpec): number => {
    const a = x.keys ?? [];
    const b = y.keys ?? [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return a.length - b.length;
  };
  return entries.sort(byKeys);
}

/** `protocols` for a rule: undefined when the entries imply every protocol the caller used.
 * Protocols whose statements the filter reads (postgres, mysql, redis) are never admitted
 * without entries (that would admit any statement): a connection of one on which nothing was
 * seen is left out, with a note. */
export function protocolsFor(
  used: ReadonlySet<string>,
  entries: { postgres: boolean; mysql: boolean; redis: boolean; http: boolean },
  notes: string[],
  who: string,
): ProtocolName[] | undefined {
  const implied = new Set<string>();
  if (entries.postgres) implied.add('postgres');
  if (entries.mysql) implied.add('mysql');
  if (entries.redis) implied.add('redis');
  if (entries.http) for (const p of HTTP_FAMILY) implied.add(p);
  const extra: ProtocolName[] = [];
  for (const p of [...used].sort()) {
    if (implied.has(p)) continue;
    if (STATEMENT_PROTOCOLS.has(p)) {
      notes.push(`${who}: ${p} connections on which no ${p === 'redis' ? 'command' : 'statement'} was seen are not admitted (a rule naming ${p} without entries would admit any)`);
      continue;
    }
    if (!(PROTOCOL_NAMES as readonly string[]).includes(p)) {
      notes.push(`${who}: connections of protocol ${JSON.stringify(p)} (not identified) cannot be admitted without admitting every protocol; left out`);
      continue;
    }
    extra.push(p as ProtocolName);
  }
  if (extra.length === 0) return undefined;
  const all = new Set<string>([...implied, ...extra]);
  return PROTOCOL_NAMES.filter((p) => all.has(p));
}
