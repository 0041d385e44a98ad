import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaselineBuilder, emptyBaseline, isLearnable } from '../../src/learn/baseline.js';
import { Learner } from '../../src/learn/learner.js';
import { policyPath, templatePath } from '../../src/learn/path-template.js';
import { proposePolicy } from '../../src/learn/propose.js';
import { openSqliteStore } from '../../src/store/index.js';
import { asIngested, makeEvent } from '../support/event-fixtures.js';

const call = (method: string, path: string, source: Record<string, unknown> = { principal: 'spiffe://td/ns/shop/sa/web' }, over = {}) =>
  makeEvent({ http: { method, path, host: 'orders' }, source, ...over });

describe('path templates', () => {
  it('turns identifiers into parameters and keeps words', () => {
    assert.equal(templatePath('/api/orders/123'), '/api/orders/{id}');
    assert.equal(templatePath('/api/orders/6f1c2a9e-1b2c-4d5e-8f90-123456789abc/items'), '/api/orders/{uuid}/items');
    assert.equal(templatePath('/blobs/deadbeef0123456789'), '/blobs/{id}');
    assert.equal(templatePath('/users/alice@example.com'), '/users/{email}');
    assert.equal(templatePath('/api/orders/latest?x=1'), '/api/orders/latest');
    assert.equal(templatePath('/v2/healthz'), '/v2/healthz');
    assert.equal(policyPath('/api/orders/{id}/items/{uuid}'), '/api/orders/*/items/*');
  });
});

describe('baselines', () => {
  it('learns flow records of monitor and protect with their counts; discover ones and TCP statement records are not learned', () => {
    const flow = (count: number, mode: 'monitor' | 'discover', over: Record<string, unknown> = {}) => makeEvent({
      kind: 'flow.http', mode, source: { principal: 'spiffe://td/ns/shop/sa/web' }, http: { method: 'GET', path: '/api/orders/{id}', host: 'orders' },
      flow: { count, firstSeen: new Date(0).toISOString(), lastSeen: new Date(0).toISOString(), statusClass: '2xx' }, ...over,
    });
    assert.equal(isLearnable(flow(3, 'discover')), false, 'discover reports each request as http.flow already');
    const b = new BaselineBuilder(emptyBaseline('shop', 'orders', 0));
    assert.equal(b.observe(flow(3, 'monitor'), 10), true);
    b.observe(flow(4, 'monitor'), 20);
    const tcp = (operation: string) => flow(5, 'monitor', { kind: 'flow.tcp', protocol: 'postgres', http: undefined, tcp: { operation }, flow: { count: 5, firstSeen: new Date(0).toISOString(), lastSeen: new Date(0).toISOString(), statusClass: null } });
    b.observe(tcp('connect'), 30);
    b.observe(tcp('SELECT'), 30);
    const [caller] = Object.values(b.baseline.callers);
    assert.deepEqual(caller.operations, { 'GET /api/orders/{id}': 7, 'TCP postgres': 5 });
    assert.equal(caller.count, 12);
    assert.match(Object.keys(b.baseline.skipped)[0], /^flow\.tcp: statements in flow records carry no tables or keys/);
  });

  it('learns callers, operations, SQL, Redis, egress, processes and ports, and when it last learned something new', () => {
    // The shapes the network filter (tcp-event.ts) and the host agent (monitors) write; the
    // generated ones are in learn-real-events.test.ts.
    const tcp = (over: Record<string, unknown>) => makeEvent({ kind: 'tcp.flow', http: undefined, source: { principal: 'spiffe://td/ns/shop/sa/web' }, protocol: 'postgres', tcp: { direction: 'inbound', confidence: 98 }, ...over });
    const b = new BaselineBuilder(emptyBaseline('shop', 'orders', 0));
    assert.equal(b.observe(call('GET', '/api/orders/1'), 10), true);
    assert.equal(b.observe(call('GET', '/api/orders/2'), 20), false);
    b.observe(tcp({ statement: { kinds: ['SELECT'], tables: ['orders', 'items'], text: 'SELECT ...', truncated: false } }), 30);
    b.observe(tcp({ protocol: 'redis', statement: { command: 'get', keys: ['session:1'], text: 'GET session:1', truncated: false } }), 30);
    b.observe(tcp({ protocol: 'tls', tcp: { direction: 'outbound', confidence: 100, sni: 'api.stripe.com' }, destination: { ip: '1.2.3.4', port: 443 } }), 30);
    b.observe(makeEvent({ kind: 'process.exec', http: undefined, process: { pid: 7, ppid: 1, exe: '/usr/bin/node', args: [], uid: 0, euid: 0, parents: [] } }), 30);
    b.observe(makeEvent({ kind: 'port.listen', http: undefined, socket: { protocol: 'tcp', address: '0.0.0.0', port: 8080, uid: 0 }, process: { pid: 7, exe: '/usr/bin/node' } }), 40);
    const x = b.baseline;
    assert.deepEqual(Object.values(x.callers).map((c) => c.operations), [{ 'GET /api/orders/{id}': 2, 'POSTGRES SELECT items,orders': 1, 'REDIS GET session:*': 1 }]);
    assert.deepEqual(x.sql, { 'SELECT orders': 1, 'SELECT items': 1 });
    assert.deepEqual([x.redis, x.egress, x.processes, x.ports], [{ GET: 1 }, { 'api.stripe.com:443': 1 }, { '/usr/bin/node': 1 }, { 'tcp/8080 /usr/bin/node': 1 }]);
    assert.deepEqual(x.skipped, {});
    assert.equal(x.lastChangeMs, 40);
  });

  it('does not learn attacks, leaks, anomalies or blocked requests', () => {
    assert.equal(isLearnable(makeEvent({ kind: 'http.attack', severity: 'high', action: 'alert' })), false);
    assert.equal(isLearnable(makeEvent({ kind: 'http.policy', severity: 'medium', action: 'block' })), false);
    assert.equal(isLearnable(makeEvent({ kind: 'anomaly.scan', severity: 'medium', action: 'alert' })), false);
    assert.equal(isLearnable(makeEvent({ kind: 'tcp.attack', severity: 'high', action: 'alert' })), false);
    assert.equal(isLearnable(makeEvent({ kind: 'file.read', severity: 'medium', action: 'alert', attack: { class: 'credential-access', tactic: 'credential-access' } })), false);
    assert.equal(isLearnable(makeEvent({ kind: 'http.policy', severity: 'medium', action: 'alert' })), true);
    assert.equal(isLearnable(makeEvent({ kind: 'tcp.policy', severity: 'medium', action: 'alert' })), true);
  });

  it('folds a position with many literal values into {name}', () => {
    const b = new BaselineBuilder(emptyBaseline('shop', 'orders', 0), { callers: 10, operationsPerCaller: 100, entries: 10, literalsPerPosition: 3 });
    for (const name of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) b.observe(call('GET', `/products/${name}`), 1);
    assert.deepEqual(Object.values(b.baseline.callers)[0].operations, { 'GET /products/{name}': 5 });
  });

  it('is bounded: callers, operations and entries beyond the limits are counted in overflow', () => {
    const b = new BaselineBuilder(emptyBaseline('shop', 'orders', 0), { callers: 2, operationsPerCaller: 2, entries: 1, literalsPerPosition: 100 });
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) b.observe(call('GET', '/a', { ip }), 1);
    for (const p of ['/b', '/c', '/d']) b.observe(call('GET', p, { ip: '10.0.0.1' }), 1);
    b.observe(makeEvent({ kind: 'process.exec', process: { pid: 1, ppid: 0, exe: '/bin/a', args: [], uid: 0, euid: 0, parents: [] } }), 1);
    b.observe(makeEvent({ kind: 'process.exec', process: { pid: 2, ppid: 0, exe: '/bin/b', args: [], uid: 0, euid: 0, parents: [] } }), 1);
    assert.equal(Object.keys(b.baseline.callers).length, 2);
    assert.equal(Object.keys(b.baseline.callers['ip:10.0.0.1'].operations).length, 2);
    assert.equal(b.baseline.overflow, 1 + 2 + 1);
  });
});

describe('proposals', () => {
  it('one rule per caller: principal, peer workload or address; methods grouped per path; gRPC methods', () => {
    const b = new BaselineBuilder(emptyBaseline('shop', 'orders', 0));
    b.observe(call('GET', '/api/orders/1'), 1);
    b.observe(call('DELETE', '/api/orders/2'), 1);
    b.observe(call('GET', '/api/orders'), 1);
    b.observe(call('GET', '/healthz', { ip: '10.1.2.3' }), 1);
    b.observe(call('GET', '/metrics', { namespace: 'monitoring', workload: 'prometheus' }), 1);
    b.observe(makeEvent({ protocol: 'grpc', http: { method: 'POST', path: '/shop.v1.Orders/Get' }, grpc: { service: 'shop.v1.Orders', method: 'Get' }, source: { principal: 'spiffe://td/ns/shop/sa/web' } }), 1);
    const { policy, yaml } = proposePolicy(b.baseline, { mode: 'protect' });
    assert.equal(policy.spec.mode, 'protect');
    assert.deepEqual(policy.spec.selector, { workloads: ['orders'] });
    const rules = policy.spec.ingress!;
    assert.deepEqual(rules.map((r) => r.from), [[{ ipBlock: '10.1.2.3/32' }], [{ namespace: 'monitoring', workload: 'prometheus' }], [{ principal: 'spiffe://td/ns/shop/sa/web' }]]);
    assert.deepEqual(rules[2].http!.map((m) => JSON.stringify(m)).sort(), [{ methods: ['DELETE', 'GET'], paths: ['/api/orders/*'] }, { methods: ['GET'], paths: ['/api/orders'] }].map((m) => JSON.stringify(m)).sort());
    assert.deepEqual(rules[2].grpc, [{ service: 'shop.v1.Orders', methods: ['Get'] }]);
    assert.match(yaml, /^# Learned by Meshward from 6 events of shop\/orders/);
  });
});

describe('learner', () => {
  it('keeps baselines in the store across a restart, and is bounded in workloads', async () => {
    const store = await openSqliteStore(':memory:');
    const l = await Learner.start({ store, maxWorkloads: 1 });
    l.stored([asIngested(call('GET', '/a')), asIngested(makeEvent({ workload: { namespace: 'shop', name: 'other' } }))]);
    assert.equal(l.stats().workloadsOverflow, 1);
    await l.close();
    const again = await Learner.start({ store });
    assert.equal(again.baseline('shop', 'orders')?.events, 1);
    await again.close();
    await store.close();
  });
});
