// The TCP parts of an ingress rule: `ports`, `protocols`, and the statement entries of
// `postgres:`, `mysql:` (statement kinds and tables) and `redis:` (commands and keys).
import { describe, fieldsOf, listOf, stringList, type Checker } from './check.js';
import { didYouMean } from './suggest.js';
import {
  PROTOCOL_NAMES, REDIS_CATEGORIES, STATEMENT_KINDS, type ProtocolName, type RedisRuleSpec, type SqlRuleSpec,
  type StatementKind,
} from './types.js';
import type { TreeNode } from './tree.js';

const SQL_FIELDS = ['statements', 'tables'] as const;
const REDIS_FIELDS = ['commands', 'keys'] as const;

export function readPorts(node: TreeNode, path: string, c: Checker): number[] | undefined {
  const ports = listOf(node, path, c, (n, p) => {
    const v = n.kind === 'scalar' ? n.value : undefined;
    const num = typeof v === 'bigint' ? Number(v) : v;
    if (typeof num !== 'number' || !Number.isInteger(num) || num < 1 || num > 65535) {
      c.report(n.pos, p, 'format', `${describe(n)} is not a port (an integer from 1 to 65535)`);
      return undefined;
    }
    return num;
  }, { emptyHint: ': omit "ports" to match any port' });
  return ports && ports.length === (node.kind === 'seq' ? node.items.length : -1) ? ports : undefined;
}

export function checkProtocol(value: string): string | undefined {
  if ((PROTOCOL_NAMES as readonly string[]).includes(value)) return undefined;
  return `${JSON.stringify(value)} is not a protocol the filter identifies (${PROTOCOL_NAMES.join(', ')})${didYouMean(value, PROTOCOL_NAMES)}`;
}

export function readProtocols(node: TreeNode, path: string, c: Checker): ProtocolName[] | undefined {
  return stringList(node, path, c, 'enum', checkProtocol, { emptyHint: ': omit "protocols" to admit what the other fields say' }) as ProtocolName[] | undefined;
}

function checkStatement(value: string): string | undefined {
  if (value === '*' || (STATEMENT_KINDS as readonly string[]).includes(value)) return undefined;
  const upper = value.toUpperCase();
  const hint = (STATEMENT_KINDS as readonly string[]).includes(upper)
    ? ` (did you mean ${JSON.stringify(upper)}?)`
    : didYouMean(value, STATEMENT_KINDS);
  return `${JSON.stringify(value)} is not a statement kind (${STATEMENT_KINDS.join(', ')} or *)${hint}`;
}

/** A table name: identifier characters, dots between parts, an optional trailing `*`. */
export function checkTable(value: string): string | undefined {
  if (value === '*') return undefined;
  if (!/^[A-Za-z0-9_$\u0080-\uffff]+(\.[A-Za-z0-9_$\u0080-\uffff]+)*\*?$/.test(value)) {
    return `${JSON.stringify(value)} is not a table name (name, schema.name, prefix* or *)`;
  }
  return undefined;
}

export function readSqlEntry(node: TreeNode, path: string, c: Checker): SqlRuleSpec | undefined {
  const f = fieldsOf(node, path, c, SQL_FIELDS);
  if (!f) return undefined;
  const before = c.issues.length;
  const statementsNode = f.required('statements');
  const statements = statementsNode && stringList(statementsNode, f.pathOf('statements'), c, 'enum', checkStatement,
    { emptyHint: ': list statement kinds, or "*" for any' }) as Array<StatementKind | '*'> | undefined;
  const entry: SqlRuleSpec = { statements: statements ?? [] };
  const tables = f.optional('tables');
  if (tables) entry.tables = stringList(tables, f.pathOf('tables'), c, 'format', checkTable, { emptyHint: ': omit "tables" to admit any table' });
  return c.issues.length === before ? entry : undefined;
}

function checkCommand(value: string): string | undefined {
  if (value === '*') return undefined;
  if (value.startsWith('@')) {
    const cat = value.slice(1).toLowerCase();
    if ((REDIS_CATEGORIES as readonly string[]).includes(cat)) return undefined;
    return `${JSON.stringify(value)} is not a command category (${REDIS_CATEGORIES.map((x) => '@' + x).join(', ')})${didYouMean(value, REDIS_CATEGORIES.map((x) => '@' + x))}`;
  }
  if (!/^[A-Za-z][A-Za-z0-9_.|-]*$/.test(value)) return `${JSON.stringify(value)} is not a command name`;
  return undefined;
}

function checkKey(value: string): string | undefined {
  if (value === '') return 'a key pattern must not be empty';
  if (value.indexOf('*') >= 0 && value.indexOf('*') !== value.length - 1) return `${JSON.stringify(value)}: '*' may only end a key pattern`;
  return undefined;
}

export function readRedisEntry(node: TreeNode, path: string, c: Checker): RedisRuleSpec | undefined {
  const f = fieldsOf(node, path, c, REDIS_FIELDS);
  if (!f) return undefined;
  const before = c.issues.length;
  const commandsNode = f.required('commands');
  const commands = commandsNode && stringList(commandsNode, f.pathOf('commands'), c, 'format', checkCommand,
    { emptyHint: ': list commands, @categories, or "*" for any' });
  const entry: RedisRuleSpec = { commands: commands ?? [] };
  const keys = f.optional('keys');
  if (keys) entry.keys = stringList(keys, f.pathOf('keys'), c, 'format', checkKey, { emptyHint: ': omit "keys" to admit any key' });
  return c.issues.length === before ? entry : undefined;
}
