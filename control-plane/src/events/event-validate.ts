// Checks one event from a sensor. The envelope (id, time, kind, severity, action, mode, workload,
// source, destination, protocol, rule, attack, evidence) is checked field by field; any other
// top-level field is a kind-specific part (`http`, `tcp`, `process`...) and is kept as long as it
// stays within the bounds below. A broken event is rejected alone, with the field path, the rule
// broken and the value found; the rest of its batch is kept.
import {
  ACTIONS, EVENT_MODES, FLOW_KINDS, SEVERITIES, SEVERITY_RANK,
  type EventAction, type EventMode, type IngestedEvent, type MeshwardEvent, type Severity,
} from './event-types.js';

export interface EventLimits {
  /** Largest event, as JSON. */
  maxEventBytes: number;
  /** Nesting below a kind-specific part or `evidence`. */
  maxDepth: number;
  /** Keys of one object. */
  maxKeys: number;
  /** Items of one array. */
  maxArrayItems: number;
  /** Characters of one string in a kind-specific part or `evidence`. */
  maxStringChars: number;
  /** How far in the future an event's time may be (clock skew). */
  maxFutureMs: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxEventBytes: 64 * 1024,
  maxDepth: 8,
  maxKeys: 64,
  maxArrayItems: 256,
  maxStringChars: 8192,
  maxFutureMs: 24 * 3600_000,
};

/** Stable ids of the rules an event can break. */
export type EventRuleBroken = 'type' | 'required' | 'enum' | 'format' | 'range' | 'too-large' | 'workload-mismatch' | 'not-authorized';

export interface EventRejection {
  /** Position in the batch. */
  index: number;
  /** The event's id when it had a readable one. */
  id?: string;
  code: 'EVENT_INVALID' | 'EVENT_FORBIDDEN';
  /** Field path from the event root: `workload.namespace`, `source.port`. */
  field: string;
  rule: EventRuleBroken;
  message: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const KIND = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){1,3}$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const PART_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;
const TACTIC = /^[a-z][a-z-]{1,40}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const ENVELOPE = new Set(['id', 'time', 'kind', 'severity', 'action', 'mode', 'workload', 'source', 'destination', 'protocol', 'rule', 'attack', 'evidence']);
const PEER_FIELDS: Record<string, number> = { ip: 64, principal: 512, namespace: 253, workload: 253, fqdn: 253 };

class Reject extends Error {
  constructor(readonly field: string, readonly rule: EventRuleBroken, message: string) {
    super(message);
  }
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, field: string, max: number, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (v === undefined) throw new Reject(field, 'required', 'is required');
  if (typeof v !== 'string') throw new Reject(field, 'type', `must be a string, found ${show(v)}`);
  if (v.length > max) throw new Reject(field, 'too-large', `longer than ${max} characters (${v.length})`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (v === undefined) throw new Reject(field, 'required', 'is required');
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new Reject(field, 'enum', `must be one of ${allowed.join(', ')}, found ${show(v)}`);
  }
  return v as T;
}

function peer(v: unknown, field: string, limits: EventLimits): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) throw new Reject(field, 'type', `must be an object, found ${show(v)}`);
  for (const [k, value] of Object.entries(v)) {
    if (k === 'port') {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) throw new Reject(`${field}.port`, 'range', `must be an integer from 0 to 65535, found ${show(value)}`);
    } else if (k in PEER_FIELDS) {
      str(value, `${field}.${k}`, PEER_FIELDS[k]);
    } else {
      part(value, `${field}.${k}`, 1, limits);
    }
  }
}

/** A kind-specific value: any JSON within the bounds. */
function part(v: unknown, field: string, depth: number, limits: EventLimits): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Reject(field, 'type', 'must be a finite number');
    return;
  }
  if (typeof v === 'string') {
    if (v.length > limits.maxStringChars) throw new Reject(field, 'too-large', `longer than ${limits.maxStringChars} characters (${v.length})`);
    return;
  }
  if (depth > limits.maxDepth) throw new Reject(field, 'too-large', `nested deeper than ${limits.maxDepth} levels`);
  if (Array.isArray(v)) {
    if (v.length > limits.maxArrayItems) throw new Reject(field, 'too-large', `more than ${limits.maxArrayItems} items (${v.length})`);
    v.forEach((item, i) => part(item, `${field}[${i}]`, depth + 1, limits));
    return;
  }
  if (!isObject(v)) throw new Reject(field, 'type', `is not JSON (${typeof v})`);
  const keys = Object.keys(v);
  if (keys.length > limits.maxKeys) throw new Reject(field, 'too-large', `more than ${limits.maxKeys} keys (${keys.length})`);
  for (const k of keys) {
    if (!PART_KEY.test(k)) throw new Reject(`${field}.${k.slice(0, 64)}`, 'format', 'field names are letters, digits, "_" and "-", up to 64');
    part(v[k], `${field}.${k}`, depth + 1, limits);
  }
}

/** A flow record's `flow` part: what the store sums and the map shows must be numbers. */
function flowPart(v: unknown): void {
  if (!isObject(v)) throw new Reject('flow', v === undefined ? 'required' : 'type', v === undefined ? 'is required in a flow record' : `must be an object, found ${show(v)}`);
  if (typeof v.count !== 'number' || !Number.isSafeInteger(v.count) || v.count < 1) throw new Reject('flow.count', 'range', `must be a positive integer, found ${show(v.count)}`);
  for (const k of ['firstSeen', 'lastSeen'] as const) {
    const t = v[k];
    if (typeof t !== 'string' || !ISO.test(t)) throw new Reject(`flow.${k}`, 'format', `must be an ISO 8601 time with zone, found ${show(t)}`);
  }
  if (v.statusClass !== undefined && v.statusClass !== null && (typeof v.statusClass !== 'string' || !/^[1-5]xx$/.test(v.statusClass))) {
    throw new Reject('flow.statusClass', 'format', `must be 1xx ... 5xx or null, found ${show(v.statusClass)}`);
  }
  for (const k of ['requestBytes', 'responseBytes'] as const) {
    const n = v[k];
    if (n !== undefined && (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)) throw new Reject(`flow.${k}`, 'range', `must be a non-negative integer, found ${show(n)}`);
  }
}

/** Checks one event; the ingested form or the reason it was rejected. */
export function validateEvent(raw: unknown, index: number, limits: EventLimits, receivedMs: number, origin: IngestedEvent['origin']): IngestedEvent | EventRejection {
  const id = isObject(raw) && typeof raw.id === 'string' && raw.id.length <= 128 ? raw.id : undefined;
  try {
    if (!isObject(raw)) throw new Reject('', 'type', `an event must be an object, found ${show(raw)}`);
    const eid = str(raw.id, 'id', 128)!;
    if (!ID.test(eid)) throw new Reject('id', 'format', `letters, digits, ".", "_", ":" and "-", up to 128, found ${show(eid)}`);
    const time = str(raw.time, 'time', 40)!;
    const timeMs = ISO.test(time) ? Date.parse(time) : NaN;
    if (!Number.isFinite(timeMs)) throw new Reject('time', 'format', `must be an ISO 8601 time with zone (2024-05-01T12:00:00.000Z), found ${show(time)}`);
    if (timeMs > receivedMs + limits.maxFutureMs) throw new Reject('time', 'range', `${time} is more than ${Math.round(limits.maxFutureMs / 60_000)} minutes in the future (clock skew?)`);
    const kind = str(raw.kind, 'kind', 64)!;
    if (!KIND.test(kind)) throw new Reject('kind', 'format', `must be dotted lower-case words (http.attack), found ${show(kind)}`);
    const severity = oneOf<Severity>(raw.severity, 'severity', SEVERITIES);
    oneOf<EventAction>(raw.action, 'action', ACTIONS);
    oneOf<EventMode>(raw.mode, 'mode', EVENT_MODES);
    const w = raw.workload;
    if (w === undefined) throw new Reject('workload', 'required', 'is required');
    if (!isObject(w)) throw new Reject('workload', 'type', `must be an object, found ${show(w)}`);
    for (const k of ['namespace', 'name'] as const) {
      const value = str(w[k], `workload.${k}`, 253)!;
      if (!NAME.test(value)) throw new Reject(`workload.${k}`, 'format', `must be a lower-case DNS name, found ${show(value)}`);
    }
    str(w.pod, 'workload.pod', 253, true);
    str(w.container, 'workload.container', 253, true);
    for (const k of Object.keys(w)) if (!['namespace', 'name', 'pod', 'container'].includes(k)) part(w[k], `workload.${k}`, 1, limits);
    peer(raw.source, 'source', limits);
    peer(raw.destination, 'destination', limits);
    str(raw.protocol, 'protocol', 32, true);
    if (raw.rule !== undefined && raw.rule !== null) {
      if (!isObject(raw.rule)) throw new Reject('rule', 'type', `must be an object or null, found ${show(raw.rule)}`);
      str(raw.rule.id, 'rule.id', 256);
      str(raw.rule.name, 'rule.name', 256, true);
    }
    if (raw.attack !== undefined && raw.attack !== null) {
      const a = raw.attack;
      if (!isObject(a)) throw new Reject('attack', 'type', `must be an object or null, found ${show(a)}`);
      str(a.class, 'attack.class', 64);
      const technique = str(a.technique, 'attack.technique', 16, true);
      if (technique !== undefined && technique !== '' && !TECHNIQUE.test(technique)) throw new Reject('attack.technique', 'format', `must be an ATT&CK technique id (T1190, T1059.004), found ${show(technique)}`);
      const tactic = str(a.tactic, 'attack.tactic', 40, true);
      if (tactic !== undefined && tactic !== '' && !TACTIC.test(tactic)) throw new Reject('attack.tactic', 'format', `must be an ATT&CK tactic in lower-case words (initial-access), found ${show(tactic)}`);
      if (a.confidence !== undefined && (typeof a.confidence !== 'number' || a.confidence < 0 || a.confidence > 100)) throw new Reject('attack.confidence', 'range', `must be a number from 0 to 100, found ${show(a.confidence)}`);
    }
    if (raw.evidence !== undefined && raw.evidence !== null && !isObject(raw.evidence)) throw new Reject('evidence', 'type', `must be an object, found ${show(raw.evidence)}`);
    if (raw.evidence) part(raw.evidence, 'evidence', 1, limits);
    let extra = 0;
    for (const k of Object.keys(raw)) {
      if (ENVELOPE.has(k)) continue;
      if (++extra > limits.maxKeys) throw new Reject(k, 'too-large', `more than ${limits.maxKeys} kind-specific parts`);
      if (!PART_KEY.test(k)) throw new Reject(k.slice(0, 64), 'format', 'field names are letters, digits, "_" and "-", up to 64');
      part(raw[k], k, 1, limits);
    }
    if (FLOW_KINDS.includes(kind)) flowPart(raw.flow);
    const doc = JSON.stringify(raw);
    if (doc.length > limits.maxEventBytes) throw new Reject('', 'too-large', `the event is ${doc.length} bytes of JSON, more than ${limits.maxEventBytes}`);
    return { event: raw as MeshwardEvent, doc, timeMs, receivedMs, severityRank: SEVERITY_RANK[severity], origin };
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    return { index, ...(id !== undefined ? { id } : {}), code: 'EVENT_INVALID', field: err.field, rule: err.rule, message: err.field ? `${err.field}: ${err.message}` : err.message };
  }
}

export const isRejection = (r: IngestedEvent | EventRejection): r is EventRejection => 'code' in r;
