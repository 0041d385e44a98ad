import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnomalyDetectors, BoundedKeys } from '../../src/correlate/anomaly.js';
import { BeaconDetector } from '../../src/correlate/anomaly-beacon.js';
import { BruteForceDetector } from '../../src/correlate/anomaly-bruteforce.js';
import { DnsTunnelDetector, shannonEntropy } from '../../src/correlate/anomaly-dns.js';
import { FloodDetector } from '../../src/correlate/anomaly-flood.js';
import { ScanDetector } from '../../src/correlate/anomaly-scan.js';
import type { MeshwardEvent } from '../../src/events/event-types.js';
import { asIngested, makeEvent } from '../support/event-fixtures.js';

const T = Date.parse('2024-05-01T12:00:00Z');
const run = (d: AnomalyDetectors, events: MeshwardEvent[]) => d.derive(events.map((e) => asIngested(e))).map((x) => x.event);

describe('anomaly detectors', () => {
  it('port scan at the threshold of distinct ports, once per window', () => {
    const d = new AnomalyDetectors([new ScanDetector({ windowMs: 60_000, ports: 5, paths: 5, maxKeys: 100 })]);
    const conn = (port: number, at = T) => makeEvent({ at, kind: 'tcp.connect', source: { ip: '6.6.6.6' }, destination: { ip: '10.0.0.1', port } });
    assert.deepEqual(run(d, [1, 2, 3, 4].map((p) => conn(p))), []);
    const [a] = run(d, [conn(5), conn(6)]);
    assert.equal(a.kind, 'anomaly.scan');
    assert.deepEqual([a.attack?.tactic, a.attack?.technique, (a.evidence as { distinctPorts: number }).distinctPorts], ['reconnaissance', 'T1046', 5]);
    assert.deepEqual(run(d, [conn(7), conn(8)]), []);
    assert.equal(run(d, [10, 11, 12, 13, 14].map((p) => conn(p, T + 120_000))).length, 1);
  });

  it('path probing from 404s or policy refusals', () => {
    const d = new AnomalyDetectors([new ScanDetector({ windowMs: 60_000, ports: 5, paths: 3, maxKeys: 100 })]);
    const out = run(d, ['/a', '/b', '/c'].map((path) => makeEvent({ http: { method: 'GET', path, status: 404 }, source: { ip: '7.7.7.7' } })));
    assert.deepEqual(out.map((e) => e.kind), ['anomaly.probe']);
    const refused = run(d, ['/x', '/y', '/z'].map((path) => makeEvent({ kind: 'http.policy', severity: 'medium', action: 'block', http: { method: 'GET', path }, source: { ip: '8.8.8.8' } })));
    assert.equal(refused.length, 1);
  });

  it('brute force from 401s', () => {
    const d = new AnomalyDetectors([new BruteForceDetector({ windowMs: 60_000, failures: 3, maxKeys: 10 })]);
    const fail = () => makeEvent({ http: { method: 'POST', path: '/login', status: 401 }, source: { ip: '5.5.5.5' } });
    assert.equal(run(d, [fail(), fail()]).length, 0);
    assert.deepEqual(run(d, [fail()]).map((e) => [e.kind, e.attack?.tactic]), [['anomaly.bruteforce', 'credential-access']]);
  });

  it('flood above the rate', () => {
    const d = new AnomalyDetectors([new FloodDetector({ windowMs: 1000, events: 10, maxKeys: 10 })]);
    const req = (i: number) => makeEvent({ at: T + i, source: { ip: '4.4.4.4' } });
    assert.equal(run(d, Array.from({ length: 9 }, (_, i) => req(i))).length, 0);
    assert.equal(run(d, [req(10)])[0].kind, 'anomaly.flood');
    const slow = new AnomalyDetectors([new FloodDetector({ windowMs: 1000, events: 10, maxKeys: 10 })]);
    assert.equal(run(slow, Array.from({ length: 20 }, (_, i) => req(i * 200))).length, 0);
  });

  it('DNS tunneling from long high-entropy labels', () => {
    assert.ok(shannonEntropy('a9f3k2m8q7z1x4c6v5b0') > 4);
    const d = new DnsTunnelDetector({ windowMs: 60_000, suspicious: 3, txt: 100, longLabel: 50, entropy: 3.8, maxKeys: 10 });
    assert.equal(d.isSuspicious('www.example.com'), false);
    assert.equal(d.isSuspicious('a9f3k2m8q7z1x4c6v5b0.t.evil.com'), true);
    const ds = new AnomalyDetectors([d]);
    const q = (label: string) => makeEvent({ kind: 'dns.query', dns: { query: `${label}.evil.com`, type: 'TXT' } });
    assert.equal(run(ds, [q('mail'), q('a9f3k2m8q7z1x4c6v5b0'), q('b8e2j1l7p6y0w3d5u4a9')]).length, 0);
    assert.equal(run(ds, [q('c7d1h0k6o5x9v2e4t3z8')])[0].kind, 'anomaly.dns-tunnel');
  });

  it('beaconing at regular intervals, not irregular ones', () => {
    const d = new AnomalyDetectors([new BeaconDetector({ windowMs: 3600_000, samples: 6, maxVariation: 0.1, minIntervalMs: 1000, maxKeys: 10 })]);
    const conn = (at: number, fqdn = 'c2.example') => makeEvent({ at, kind: 'net.egress', destination: { fqdn, port: 443 } });
    const regular = [0, 30_000, 60_100, 90_000, 119_900, 150_000].map((t) => conn(T + t));
    assert.deepEqual(run(d, regular).map((e) => e.kind), ['anomaly.beacon']);
    const irregular = [0, 5_000, 60_000, 61_000, 200_000, 210_000].map((t) => conn(T + t, 'cdn.example'));
    assert.equal(run(d, irregular).length, 0);
  });

  it('keys are bounded: the least recently used is evicted and counted', () => {
    const k = new BoundedKeys<number>(2);
    k.get('a', () => 1);
    k.get('b', () => 2);
    k.get('a', () => 0);
    k.get('c', () => 3);
    assert.equal(k.evicted, 1);
    assert.equal(k.get('b', () => 9), 9); // b was evicted, a kept
    const det = new ScanDetector({ windowMs: 60_000, ports: 5, paths: 5, maxKeys: 3 });
    const d = new AnomalyDetectors([det]);
    run(d, [1, 2, 3, 4, 5].map((n) => makeEvent({ kind: 'tcp.connect', source: { ip: `1.1.1.${n}` }, destination: { port: 1 } })));
    assert.deepEqual(det.stats(), { keys: 3, evicted: 2, reported: 0 });
  });
});
