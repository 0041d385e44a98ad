import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EVENT_LIMITS, isRejection, validateEvent, type EventRejection } from '../../src/events/event-validate.js';
import { makeEvent } from '../support/event-fixtures.js';

const now = Date.now();
const check = (raw: unknown, limits = DEFAULT_EVENT_LIMITS) => validateEvent(raw, 0, limits, now, 'http');
const reject = (raw: unknown, limits = DEFAULT_EVENT_LIMITS): EventRejection => {
  const r = check(raw, limits);
  assert.ok(isRejection(r), `expected a rejection for ${JSON.stringify(raw).slice(0, 200)}`);
  return r;
};

describe('event validation', () => {
  it('accepts the filter\'s event and keeps it as sent', () => {
    const e = makeEvent();
    const r = check(e);
    assert.ok(!isRejection(r));
    assert.equal(r.timeMs, Date.parse(e.time));
    assert.equal(r.severityRank, 0);
    assert.deepEqual(JSON.parse(r.doc), e);
  });

  it('accepts kinds it does not know yet, with their own parts (agent and TCP events)', () => {
    const e = makeEvent({ kind: 'process.exec', process: { pid: 42, ppid: 1, exe: '/bin/sh', args: ['-c', 'id'] }, tcp: { statement: { kind: 'SELECT', tables: ['orders'] } } });
    assert.ok(!isRejection(check(e)));
  });

  it('checks the flow part of flow records: counts, times, status class, bytes', () => {
    const flow = { count: 3, firstSeen: new Date(now - 1000).toISOString(), lastSeen: new Date(now).toISOString(), statusClass: '2xx', requestBytes: 0, responseBytes: 12 };
    assert.ok(!isRejection(check(makeEvent({ kind: 'flow.http', flow }))));
    assert.ok(!isRejection(check(makeEvent({ kind: 'flow.tcp', tcp: { operation: 'SELECT' }, flow: { ...flow, statusClass: null } }))));
    const bad: Array<[unknown, string, string]> = [
      [undefined, 'flow', 'required'],
      [{ ...flow, count: 0 }, 'flow.count', 'range'],
      [{ ...flow, count: 1.5 }, 'flow.count', 'range'],
      [{ ...flow, lastSeen: 'yesterday' }, 'flow.lastSeen', 'format'],
      [{ ...flow, statusClass: '200' }, 'flow.statusClass', 'format'],
      [{ ...flow, responseBytes: -1 }, 'flow.responseBytes', 'range'],
    ];
    for (const [part, field, rule] of bad) {
      const e: Record<string, unknown> = makeEvent({ kind: 'flow.http', flow: part });
      if (part === undefined) delete e.flow;
      const r = reject(e);
      assert.deepEqual([r.field, r.rule], [field, rule], JSON.stringify(part));
    }
  });

  const cases: Array<[string, (e: Record<string, unknown>) => void, string, string]> = [
    ['no id', (e) => delete e.id, 'id', 'required'],
    ['id with a space', (e) => (e.id = 'a b'), 'id', 'format'],
    ['time without zone', (e) => (e.time = '2024-05-01T12:00:00'), 'time', 'format'],
    ['time a week ahead', (e) => (e.time = new Date(now + 7 * 86_400_000).toISOString()), 'time', 'range'],
    ['kind not dotted', (e) => (e.kind = 'attack'), 'kind', 'format'],
    ['unknown severity', (e) => (e.severity = 'severe'), 'severity', 'enum'],
    ['unknown action', (e) => (e.action = 'drop'), 'action', 'enum'],
    ['unknown mode', (e) => (e.mode = 'enforce'), 'mode', 'enum'],
    ['workload missing', (e) => delete e.workload, 'workload', 'required'],
    ['workload name upper-case', (e) => (e.workload = { namespace: 'shop', name: 'Orders' }), 'workload.name', 'format'],
    ['source port out of range', (e) => (e.source = { port: 70000 }), 'source.port', 'range'],
    ['principal not a string', (e) => (e.source = { principal: 7 }), 'source.principal', 'type'],
    ['rule without id', (e) => (e.rule = { name: 'x' }), 'rule.id', 'required'],
    ['technique not ATT&CK', (e) => (e.attack = { class: 'sqli', technique: 'X1' }), 'attack.technique', 'format'],
    ['confidence over 100', (e) => (e.attack = { class: 'sqli', confidence: 101 }), 'attack.confidence', 'range'],
    ['evidence a string', (e) => (e.evidence = 'x'), 'evidence', 'type'],
  ];
  for (const [name, mutate, field, rule] of cases) {
    it(`rejects ${name}, naming ${field} and the rule`, () => {
      const e = makeEvent() as Record<string, unknown>;
      mutate(e);
      const r = reject(e);
      assert.equal(r.field, field);
      assert.equal(r.rule, rule);
      assert.equal(r.code, 'EVENT_INVALID');
      assert.match(r.message, new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `));
    });
  }

  it('bounds kind-specific parts: depth, keys, items, string length, total size', () => {
    const limits = { ...DEFAULT_EVENT_LIMITS, maxDepth: 3, maxKeys: 4, maxArrayItems: 3, maxStringChars: 20, maxEventBytes: 2000 };
    assert.equal(reject(makeEvent({ process: { a: { b: { c: { d: 1 } } } } }), limits).rule, 'too-large');
    assert.equal(reject(makeEvent({ process: { a: 1, b: 2, c: 3, d: 4, e: 5 } }), limits).field, 'process');
    assert.equal(reject(makeEvent({ process: { args: [1, 2, 3, 4] } }), limits).field, 'process.args');
    assert.equal(reject(makeEvent({ process: { exe: 'x'.repeat(21) } }), limits).field, 'process.exe');
    assert.equal(reject(makeEvent({ evidence: { match: 'y'.repeat(21) } }), limits).field, 'evidence.match');
    const big = reject(makeEvent({ extra: 'w'.repeat(2000) }), { ...limits, maxStringChars: 5000, maxKeys: 64 });
    assert.equal(reject(makeEvent({ p1: 1, p2: 2, p3: 3 }), limits).message, 'p3: more than 4 kind-specific parts');
    assert.match(big.message, /bytes of JSON, more than 2000/);
    assert.equal(reject(makeEvent({ 'bad key!': 1 })).rule, 'format');
  });

  it('names the event by its id when it has one', () => {
    const e = makeEvent({ severity: 'nope' as 'info' });
    assert.equal(reject(e).id, e.id);
    assert.equal(reject('not an event').id, undefined);
  });
});
