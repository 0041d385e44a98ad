import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from '../../src/correlate/attack-map.js';
import { Correlator } from '../../src/correlate/correlator.js';
import type { Incident } from '../../src/correlate/incident.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { MeshwardEvent } from '../../src/events/event-types.js';
import { asIngested, makeEvent } from '../support/event-fixtures.js';

const T = Date.parse('2024-05-01T12:00:00Z');
const attack = (at: number, tactic: string, over: Partial<MeshwardEvent> = {}) => makeEvent({ at, kind: 'http.attack', severity: 'high', action: 'block', attack: { class: 'sqli', technique: 'T1190', tactic }, ...over });
const proc = (at: number, over: Partial<MeshwardEvent> = {}) => makeEvent({ at, kind: 'process.exec', severity: 'high', action: 'alert', source: undefined, process: { pid: 10, ppid: 1, exe: '/bin/sh' }, ...over });

describe('ATT&CK mapping', () => {
  it('maps kinds and details to tactics and techniques', () => {
    const c = (e: MeshwardEvent) => classify(e, { knownEgress: (_n, _w, d) => d === 'api.stripe.com' });
    assert.equal(c(attack(T, 'initial-access'))?.tactic, 'initial-access');
    assert.equal(c(makeEvent())?.tactic, undefined);
    assert.deepEqual([c(proc(T))?.tactic, c(proc(T))?.technique], ['execution', 'T1059']);
    assert.equal(c(proc(T, { process: { exe: '/usr/bin/whoami' } }))?.tactic, 'discovery');
    assert.equal(c(proc(T, { process: { exe: '/tmp/x', uid: 0, parentUid: 1000 } }))?.tactic, 'privilege-escalation');
    assert.equal(c(makeEvent({ kind: 'file.write', severity: 'high', action: 'alert', file: { path: '/etc/cron.d/x' } }))?.technique, 'T1053.003');
    assert.equal(c(makeEvent({ kind: 'file.write', severity: 'high', action: 'alert', file: { path: '/usr/bin/ls' } }))?.tactic, 'persistence');
    assert.equal(c(makeEvent({ kind: 'file.read', severity: 'high', action: 'alert', file: { path: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }))?.tactic, 'credential-access');
    assert.equal(c(makeEvent({ kind: 'net.egress', destination: { fqdn: 'evil.example' } }))?.tactic, 'command-and-control');
    assert.equal(c(makeEvent({ kind: 'net.egress', destination: { fqdn: 'api.stripe.com' } })), undefined);
    assert.equal(c(makeEvent({ kind: 'net.egress', action: 'alert', destination: { ip: '10.0.0.9', namespace: 'shop', workload: 'payments' } }))?.tactic, 'lateral-movement');
    assert.equal(c(makeEvent({ kind: 'dlp.leak', severity: 'high', action: 'alert' }))?.tactic, 'exfiltration');
    const channel = c(makeEvent({ kind: 'channel.violation', severity: 'high', action: 'alert', channel: { name: 'kubernetes-api' } }));
    assert.equal(channel?.technique, 'T1613');
    assert.match(channel?.name ?? '', /orchestration access \(kubernetes-api\)/);
    assert.equal(c(makeEvent({ kind: 'net.scan', severity: 'medium', action: 'alert' }))?.tactic, 'reconnaissance');
  });
});

describe('correlator', () => {
  const setup = async (o: { windowMs?: number; maxOpen?: number; maxSteps?: number } = {}) => {
    const store = await openSqliteStore(':memory:');
    const changes: Array<[string, string]> = [];
    const c = await Correlator.start({ store, ...o, onIncident: (i, ch) => changes.push([i.id, ch]) });
    const feed = async (...events: MeshwardEvent[]) => {
      const ing = events.map((e) => asIngested(e));
      await store.insertEvents(ing);
      await c.stored(ing);
    };
    const incidents = async () => (await store.queryIncidents({})).items.map((r) => JSON.parse(r.doc) as Incident);
    return { store, c, feed, incidents, changes };
  };

  it('joins by workload, peer and process lineage into one chain whose severity rises', async () => {
    const { store, feed, incidents, changes } = await setup();
    await feed(attack(T, 'reconnaissance', { severity: 'medium', source: { ip: '6.6.6.6' }, workload: { namespace: 'shop', name: 'web' } }));
    assert.equal((await incidents())[0].severity, 'medium');
    await feed(attack(T + 1000, 'initial-access', { source: { ip: '6.6.6.6' } })); // another workload, same peer
    await feed(proc(T + 2000));
    await feed(makeEvent({ at: T + 3000, kind: 'net.egress', severity: 'medium', action: 'alert', source: undefined, process: { pid: 11, ppid: 10 }, destination: { fqdn: 'c2.example' }, workload: { namespace: 'other', name: 'x', pod: 'orders-1' } }));
    const [i] = await incidents();
    assert.deepEqual(i.steps.map((s) => s.tactic), ['reconnaissance', 'initial-access', 'execution', 'command-and-control']);
    assert.deepEqual(i.workloads, ['shop/web', 'shop/orders', 'other/x']);
    assert.equal(i.severity, 'critical');
    assert.deepEqual(changes.map((x) => x[1]), ['opened', 'escalated', 'escalated', 'updated']);
    const linked = await store.queryEvents({ incident: i.id });
    assert.equal(linked.items.length, 4);
    await store.close();
  });

  it('repeats of one step are counted, not added', async () => {
    const { store, feed, incidents } = await setup();
    await feed(attack(T, 'initial-access'), attack(T + 1, 'initial-access'), attack(T + 2, 'initial-access'));
    const [i] = await incidents();
    assert.equal(i.steps.length, 1);
    assert.equal(i.steps[0].count, 3);
    assert.equal(i.eventCount, 3);
    await store.close();
  });

  it('after the window a new incident starts', async () => {
    const { store, c, feed, incidents } = await setup({ windowMs: 1000 });
    await feed(attack(T, 'initial-access'));
    await feed(proc(T + 5000));
    assert.equal((await incidents()).length, 2);
    assert.deepEqual([c.stats().expired, c.stats().open], [1, 1]);
    await store.close();
  });

  it('is bounded: open incidents (oldest stops joining, counted) and steps per incident', async () => {
    const { store, c, feed, incidents } = await setup({ maxOpen: 2, maxSteps: 2 });
    for (const n of ['a', 'b', 'c']) await feed(attack(T, 'initial-access', { source: { ip: `9.9.9.${n.charCodeAt(0)}` }, workload: { namespace: 'shop', name: n } }));
    assert.equal(c.stats().evicted, 1);
    assert.equal(c.stats().open, 2);
    await feed(attack(T + 1, 'initial-access', { source: { ip: '1.1.1.1' }, workload: { namespace: 'shop', name: 'a' } }));
    assert.equal((await incidents()).length, 4);
    await feed(proc(T + 2, { workload: { namespace: 'shop', name: 'c', pod: 'p' } }), makeEvent({ at: T + 3, kind: 'net.scan', severity: 'medium', action: 'alert', workload: { namespace: 'shop', name: 'c' } }));
    const cInc = (await incidents()).find((i) => i.workloads.includes('shop/c'))!;
    assert.equal(cInc.steps.length, 2);
    assert.equal(cInc.stepsOverflow, 1);
    await store.close();
  });

  it('resumes open incidents after a restart', async () => {
    const { store, feed } = await setup();
    const now = Date.now();
    await feed(attack(now - 1000, 'initial-access'));
    const again = await Correlator.start({ store });
    assert.equal(again.stats().open, 1);
    const p = asIngested(proc(now));
    await store.insertEvents([p]);
    await again.stored([p]);
    const items = (await store.queryIncidents({})).items;
    assert.equal(items.length, 1);
    assert.equal((JSON.parse(items[0].doc) as Incident).steps.length, 2);
    await again.resolve(items[0].id);
    assert.equal((await store.getIncident(items[0].id))?.status, 'resolved');
    await store.close();
  });
});
