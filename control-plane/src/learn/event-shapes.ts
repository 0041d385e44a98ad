// What the learner reads from each kind of event, in the shapes the sensors really write:
//   - the network filter's `tcp.flow` / `tcp.policy` (filter/assembly/tcp/tcp-event.ts):
//     `protocol`, `tcp: {direction: inbound|outbound, sni?, ...}`, and for one statement
//     `statement: {kinds: [...], tables: [...], truncated}` (PostgreSQL, MySQL) or
//     `statement: {command, keys: [...], truncated}` (Redis, the command in lower case);
//   - the host agent's (host-agent/src/monitors/, channel-guard/, events/agent-event.ts):
//     `process.exec` / `process.violation` with `process: {exe, ...}`; `file.write` /
//     `file.read` with `file: {path, op, category}` and `process: {exe}`; `port.listen` with
//     `socket: {protocol, address, port}` and `process: {exe}`; `channel.connect` with
//     `channel: {name}` and `process: {exe}`.
// A reader returns the facts, or a short reason (a string) when the event does not have the
// shape it expects; the learner counts those as skipped instead of guessing.
import type { MeshwardEvent } from '../events/event-types.js';
import { STATEMENT_KINDS, type StatementKind } from '../policy/types.js';

/** At most this many tables or keys are written in one event (the filter's limit): an event
 * with this many may have had more. */
export const MAX_EVENT_NAMES = 32;

export interface SqlFacts {
  kinds: StatementKind[];
  tables: string[];
  /** False when the statement was cut (longer than tcp.maxStatementBytes) or named more tables
   * than an event holds: its tables are not all known. */
  complete: boolean;
}

export interface RedisFacts {
  /** Lower case, as the filter writes it. */
  command: string;
  keys: string[];
  complete: boolean;
}

export interface TcpFacts {
  protocol: string;
  direction: 'inbound' | 'outbound';
  /** TLS server name (lower case), when the connection is TLS with SNI. */
  sni?: string;
  destinationIp: string;
  destinationPort: number;
  sql?: SqlFacts;
  redis?: RedisFacts;
}

export interface ProcessFacts {
  exe: string;
}

export interface FileFacts {
  op: 'write' | 'read';
  path: string;
  /** The acting executable; '' when the agent could not tell. */
  exe: string;
}

export interface PortFacts {
  protocol: 'tcp' | 'udp';
  port: number;
  /** The listening executable; '' when the agent could not tell. */
  exe: string;
}

export interface ChannelFacts {
  channel: string;
  exe: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

const SQL_PROTOCOLS = new Set(['postgres', 'mysql']);

export function readTcp(e: MeshwardEvent): TcpFacts | string {
  if (typeof e.protocol !== 'string' || e.protocol === '') return 'no protocol';
  const tcp = obj(e.tcp);
  if (!tcp) return 'no tcp part';
  if (tcp.direction !== 'inbound' && tcp.direction !== 'outbound') return 'tcp.direction is neither inbound nor outbound';
  const d = e.destination ?? {};
  const facts: TcpFacts = {
    protocol: e.protocol,
    direction: tcp.direction,
    destinationIp: typeof d.ip === 'string' ? d.ip : '',
    destinationPort: isPort(d.port) ? d.port : 0,
  };
  if (typeof tcp.sni === 'string' && tcp.sni !== '') facts.sni = tcp.sni.toLowerCase();
  if (e.statement === undefined) return facts;
  const s = obj(e.statement);
  if (!s) return 'statement is not an object';
  const complete = s.truncated !== true;
  if ('command' in s) {
    const keys = strings(s.keys);
    if (typeof s.command !== 'string' || s.command === '') return 'statement.command is not a command name';
    if (!keys) return 'statement.keys is not a list of strings';
    if (e.protocol !== 'redis') return `a command on a ${e.protocol} connection`;
    facts.redis = { command: s.command.toLowerCase(), keys, complete: complete && keys.length < MAX_EVENT_NAMES };
    return facts;
  }
  if ('kinds' in s) {
    const kinds = strings(s.kinds);
    const tables = strings(s.tables);
    if (!kinds || kinds.length === 0) return 'statement.kinds is not a list of statement kinds';
    const unknown = kinds.find((k) => !(STATEMENT_KINDS as readonly string[]).includes(k));
    if (unknown !== undefined) return `statement kind ${JSON.stringify(unknown)} is not one a policy can name`;
    if (!tables) return 'statement.tables is not a list of strings';
    if (!SQL_PROTOCOLS.has(e.protocol)) return `a SQL statement on a ${e.protocol} connection`;
    facts.sql = { kinds: kinds as StatementKind[], tables, complete: complete && tables.length < MAX_EVENT_NAMES };
    return facts;
  }
  return 'statement has neither kinds nor command';
}

function exeOf(e: MeshwardEvent): string | undefined {
  const p = obj(e.process);
  return p && typeof p.exe === 'string' ? p.exe : undefined;
}

export function readProcess(e: MeshwardEvent): ProcessFacts | string {
  const exe = exeOf(e);
  if (exe === undefined) return 'no process.exe';
  if (exe === '') return 'executable unknown';
  return { exe };
}

export function readFile(e: MeshwardEvent): FileFacts | string {
  const f = obj(e.file);
  if (!f) return 'no file part';
  if (typeof f.path !== 'string' || f.path === '') return 'no file.path';
  const op = f.op;
  if (op !== 'write' && op !== 'read') return 'file.op is neither write nor read';
  if (e.kind !== `file.${op}`) return `file.op ${op} in a ${e.kind} event`;
  const exe = exeOf(e);
  if (exe === undefined) return 'no process.exe';
  return { op, path: f.path, exe };
}

export function readPort(e: MeshwardEvent): PortFacts | string {
  const s = obj(e.socket);
  if (!s) return 'no socket part';
  if (s.protocol !== 'tcp' && s.protocol !== 'udp') return 'socket.protocol is neither tcp nor udp';
  if (!isPort(s.port) || s.port === 0) return 'socket.port is not a port';
  const exe = exeOf(e);
  if (exe === undefined) return 'no process.exe';
  return { protocol: s.protocol, port: s.port, exe };
}

export function readChannel(e: MeshwardEvent): ChannelFacts | string {
  const c = obj(e.channel);
  if (!c || typeof c.name !== 'string' || c.name === '') return 'no channel.name';
  const exe = exeOf(e);
  if (exe === undefined) return 'no process.exe';
  return { channel: c.name, exe };
}
