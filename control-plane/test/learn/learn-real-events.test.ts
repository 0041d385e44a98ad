// The learner fed with events exactly as the sensors produce them:
//   - TCP: PostgreSQL, Redis and outbound TLS conversations driven through the compiled filter
//     (filter/build/meshward.wasm in the proxy-wasm host) in discover mode; its `tcp.flow`
//     events, checked by the control plane's event validation, go to the Learner. The proposal
//     is then compiled in protect mode and the same conversations replayed through the filter:
//     they pass, a new statement kind, key or server name does not.
//   - Host agent: events made by the agent's own makeEvent with the parts its monitors write
//     (monitor-process, monitor-file, monitor-port, channel-guard); the proposal compiled for the
//     agent admits exactly what was learned, judged with the agent's own policy matchers.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { compile } from '../../src/compile/compile.js';
import { compileAgent } from '../../src/compile/compile-agent.js';
import { DEFAULT_EVENT_LIMITS, isRejection, validateEvent } from '../../src/events/event-validate.js';
import type { IngestedEvent, MeshwardEvent } from '../../src/events/event-types.js';
import { BaselineBuilder, emptyBaseline, type Baseline } from '../../src/learn/baseline.js';
import { Learner } from '../../src/learn/learner.js';
import { redisKeyPattern } from '../../src/learn/path-template.js';
import { proposePolicy } from '../../src/learn/propose.js';
import { loadPolicies } from '../../src/policy/load.js';
import type { SecurityPolicy } from '../../src/policy/types.js';
import { openSqliteStore } from '../../src/store/index.js';
import { makeEvent as agentEvent, type EventWorkload } from '../../../host-agent/src/events/agent-event.js';
import { parseAgentPolicy, type WorkloadAgentPolicy } from '../../../host-agent/src/agent-config.js';
import { startFilter, type Filter, type Json } from '../../../filter/test/helpers.js';
import { clientHello, pgStartup } from '../../../filter/test/tcp/flights.js';
import { connect, type TcpTap } from '../../../filter/test/tcp/helpers.js';

const WORKLOAD = { namespace: 'shop', name: 'db', labels: { app: 'db' } };
const READER = 'spiffe://cluster.local/ns/shop/sa/orders';
const CACHE_IP = '10.0.0.7';
const OUTBOUND = { listener_direction: { type: 'int' as const, value: 2 } };

function pgQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const h = Buffer.alloc(5);
  h.write('Q', 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}
const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

const SQL = [
  'SELECT id, note FROM orders WHERE id = 1',
  'SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id',
  "INSERT INTO order_items (order_id, sku) VALUES (1, 'a')",
  'BEGIN',
  "UPDATE orders SET note = 'x' WHERE id = 1",
  'COMMIT',
  'SELECT 1',
  "SET application_name = 'shop'",
];
const REDIS = [resp('PING'), resp('GET', 'session:42'), resp('SET', 'session:43', 'v'), resp('HGETALL', 'cart:7:items'), resp('MGET', 'session:1', 'user:9'), resp('INFO')];
const SNIS = ['api.stripe.com', 'hooks.slack.com'];

/** Runs one PostgreSQL connection (the reader), one Redis connection (by address only) and one
 * outbound TLS connection per server name; returns the taps. */
function converse(f: Filter, extra: { sql?: string[]; redis?: string[]; sni?: string[] } = {}): { pg: TcpTap; redis: TcpTap; tls: TcpTap[] } {
  const pg = connect(f, { principal: READER, destinationPort: 5432 });
  pg.client(pgStartup({ user: 'app', database: 'shop' }));
  for (const q of [...SQL, ...(extra.sql ?? [])]) pg.client(pgQuery(q));
  pg.close();
  const redis = connect(f, { sourceAddress: CACHE_IP, destinationPort: 6379 });
  for (const c of [...REDIS, ...(extra.redis ?? [])]) redis.client(c);
  redis.close();
  const tls = [...SNIS, ...(extra.sni ?? [])].map((sni) => {
    const t = connect(f, { destinationPort: 443, properties: OUTBOUND });
    t.client(clientHello({ sni, versions: [0x0304] }));
    t.close();
    return t;
  });
  return { pg, redis, tls };
}

/** What the control plane's ingest makes of a sensor's event (rejections fail the test). */
function ingest(raw: unknown, origin: IngestedEvent['origin']): IngestedEvent {
  const r = validateEvent(JSON.parse(JSON.stringify(raw)), 0, DEFAULT_EVENT_LIMITS, Date.now(), origin);
  if (isRejection(r)) throw new Error(`ingest rejected the event: ${JSON.stringify(r)}`);
  return r;
}

async function learnFrom(events: IngestedEvent[]): Promise<{ baseline: Baseline; skipped: number }> {
  const store = await openSqliteStore(':memory:');
  const l = await Learner.start({ store });
  l.stored(events);
  const b = l.baseline(events[0].event.workload.namespace, events[0].event.workload.name)!;
  const skipped = l.stats().eventsSkipped;
  await l.close();
  await store.close();
  return { baseline: b, skipped };
}

describe('learning from the filter\'s TCP events (generated by the compiled filter)', () => {
  let events: Json[];
  let baseline: Baseline;
  let policy: SecurityPolicy;
  let yaml: string;

  before(async () => {
    const f = await startFilter(compile([], WORKLOAD, { events: { cluster: '' } }).json);
    try {
      converse(f);
      events = f.loggedEvents();
    } finally {
      await f.close();
    }
    ({ baseline } = await learnFrom(events.map((e) => ingest(e, 'http'))));
    ({ policy, yaml } = proposePolicy(baseline, { mode: 'protect' }));
  });

  it('the filter wrote tcp.flow events with protocol, tcp.direction/sni and statement.{kinds,tables} / {command,keys}', () => {
    assert.ok(events.length > 0 && events.every((e) => e.kind === 'tcp.flow' && e.mode === 'discover'));
    const select = events.find((e) => e.protocol === 'postgres' && ((e.statement as Json | undefined)?.tables as string[] | undefined)?.length === 2);
    assert.deepEqual(select?.statement && { kinds: (select.statement as Json).kinds, tables: (select.statement as Json).tables }, { kinds: ['SELECT'], tables: ['orders', 'order_items'] });
    const mget = events.find((e) => (e.statement as Json | undefined)?.command === 'mget');
    assert.deepEqual((mget?.statement as Json).keys, ['session:1', 'user:9']);
    assert.equal((mget?.tcp as Json).direction, 'inbound');
    const tls = events.filter((e) => (e.tcp as Json).direction === 'outbound');
    assert.deepEqual(tls.map((e) => [(e.tcp as Json).sni, (e.destination as Json).port]), SNIS.map((s) => [s, 443]));
  });

  it('the baseline holds each caller\'s statement shapes, commands with key patterns, and egress by server name', () => {
    assert.deepEqual(Object.keys(baseline.callers).sort(), [`ip:${CACHE_IP}`, `principal:${READER}`]);
    assert.deepEqual(Object.keys(baseline.callers[`principal:${READER}`].operations).sort(), [
      'POSTGRES INSERT order_items', 'POSTGRES SELECT', 'POSTGRES SELECT order_items,orders', 'POSTGRES SELECT orders',
      'POSTGRES SESSION', 'POSTGRES TRANSACTION', 'POSTGRES UPDATE orders', 'TCP postgres',
    ]);
    assert.deepEqual(Object.keys(baseline.callers[`ip:${CACHE_IP}`].operations).sort(), [
      'REDIS GET session:*', 'REDIS HGETALL cart:*', 'REDIS INFO', 'REDIS MGET session:*', 'REDIS MGET user:*', 'REDIS PING', 'REDIS SET session:*', 'TCP redis',
    ]);
    assert.deepEqual(baseline.egress, { 'api.stripe.com:443': 1, 'hooks.slack.com:443': 1 });
    assert.deepEqual(baseline.egressByAddress, {});
    assert.deepEqual(baseline.skipped, {});
    assert.equal(baseline.sql['SELECT orders'], 2);
    assert.equal(baseline.redis.MGET, 1);
  });

  it('the proposal has postgres statements and tables, redis commands and keys per caller, and egress FQDNs', () => {
    const rules = policy.spec.ingress!;
    assert.deepEqual(rules.map((r) => r.from), [[{ ipBlock: `${CACHE_IP}/32` }], [{ principal: READER }]]);
    assert.deepEqual(rules[0].redis, [
      { commands: ['INFO', 'PING'] },
      { commands: ['HGETALL'], keys: ['cart:*'] },
      { commands: ['GET', 'SET'], keys: ['session:*'] },
      { commands: ['MGET'], keys: ['session:*', 'user:*'] },
    ]);
    assert.deepEqual(rules[1].postgres, [
      { statements: ['TRANSACTION', 'SESSION'] },
      { statements: ['INSERT'], tables: ['order_items'] },
      { statements: ['SELECT'], tables: ['order_items', 'orders'] },
      { statements: ['UPDATE'], tables: ['orders'] },
    ]);
    assert.equal(rules[0].protocols, undefined, 'the entries imply the protocol');
    assert.deepEqual(policy.spec.egress, [
      { name: 'to-api-stripe-com', to: [{ fqdn: 'api.stripe.com', ports: [443] }] },
      { name: 'to-hooks-slack-com', to: [{ fqdn: 'hooks.slack.com', ports: [443] }] },
    ]);
    assert.deepEqual(loadPolicies(yaml, 'learned.yaml'), [policy], 'the YAML validates and is the policy');
    assert.match(yaml, /# Note: Redis keys are learned from the first use of each command/);
  });

  it('compiled in protect mode, the same conversations pass; a new statement kind, table, key or server name does not', async () => {
    const f = await startFilter(compile([policy], WORKLOAD, { events: { cluster: '' } }).json);
    try {
      const same = converse(f);
      assert.equal(f.loggedEvents().filter((e) => e.kind !== 'tcp.flow').length, 0, JSON.stringify(f.loggedEvents()));
      for (const q of SQL) assert.ok(same.pg.upstreamBytes.includes(pgQuery(q)), q);
      assert.ok(!same.pg.upstreamBytes.includes('MESHWARD_DENIED'));
      for (const c of REDIS) assert.ok(same.redis.upstreamBytes.includes(c), c);
      assert.ok(same.tls.every((t) => t.closed.length === 0), 'the learned server names connect');

      const other = converse(f, {
        sql: ['DELETE FROM orders WHERE id = 1', 'SELECT * FROM secrets', 'SELECT id FROM orders WHERE id = 2'],
        redis: [resp('GET', 'session:99'), resp('DEL', 'session:42'), resp('GET', 'config')],
        sni: ['evil.example'],
      });
      const denied = f.loggedEvents().filter((e) => e.kind === 'tcp.policy' && e.action === 'block');
      const what = denied.map((e) => (e.statement ? ((e.statement as Json).command as string) ?? `${((e.statement as Json).kinds as string[]).join()} ${((e.statement as Json).tables as string[]).join()}` : (e.tcp as Json).sni));
      assert.deepEqual(what, ['DELETE orders', 'SELECT secrets', 'del', 'get', 'evil.example']);
      assert.ok(other.pg.upstreamBytes.includes(pgQuery('SELECT id FROM orders WHERE id = 2')), 'a known shape with other values passes');
      assert.ok(!other.pg.upstreamBytes.includes('DELETE'), 'the DELETE did not reach the server');
      assert.ok(other.redis.upstreamBytes.includes(resp('GET', 'session:99')), 'another key of a learned prefix passes');
      assert.ok(!other.redis.upstreamBytes.includes(resp('DEL', 'session:42')));
      assert.deepEqual(other.tls.map((t) => t.closed.length > 0), [false, false, true]);
    } finally {
      await f.close();
    }
  });

  it('an outbound connection without a server name leaves egress out (it would be refused), with a note', async () => {
    const f = await startFilter(compile([], WORKLOAD, { events: { cluster: '' } }).json);
    let raw: Json[];
    try {
      const t = connect(f, { destinationPort: 80, properties: OUTBOUND });
      t.client('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
      t.close();
      const s = connect(f, { destinationPort: 443, properties: OUTBOUND });
      s.client(clientHello({ sni: 'api.stripe.com', versions: [0x0304] }));
      s.close();
      raw = f.loggedEvents();
    } finally {
      await f.close();
    }
    const { baseline: b } = await learnFrom(raw.map((e) => ingest(e, 'http')));
    assert.deepEqual(b.egressByAddress, { 'http 10.0.0.3:80': 1 });
    const p = proposePolicy(b);
    assert.equal(p.policy.spec.egress, undefined);
    assert.match(p.notes.join('\n'), /egress left out: 1 outbound destination\(s\) had no TLS server name \(http 10\.0\.0\.3:80\)/);
  });
});

// ---- the host agent's events, with the parts its monitors write ----

const POD: EventWorkload = { namespace: 'shop', name: 'db', pod: 'db-7d9f-x2', container: 'app' };
const CONTAINER = { id: 'c0ffee', runtime: 'containerd' };

/** monitor-process.ts judgeExec (discover, learned) → emit → processFacts. */
const execEvent = (exe: string, mode: 'discover' | 'monitor' = 'discover') =>
  agentEvent({
    kind: mode === 'discover' ? 'process.exec' : 'process.violation', severity: mode === 'discover' ? 'info' : 'medium', action: mode === 'discover' ? 'allow' : 'alert', mode, workload: POD,
    rule: mode === 'discover' ? null : { id: 'shop/db/processes', name: 'executable not allowed' }, attack: null,
    evidence: mode === 'discover' ? { reason: 'new executable (learned)', learned: true } : { reason: 'executable neither allowed nor learned', killed: false },
    process: { pid: 4242, ppid: 1, exe, args: [exe, '--flag'], uid: 1000, euid: 1000, parents: [{ pid: 1, exe: '/usr/bin/tini' }] },
    container: CONTAINER,
  });
/** monitor-file.ts judge (discover, learned) → emit. */
const fileEvent = (op: 'write' | 'read', path: string, exe: string, category: string) =>
  agentEvent({
    kind: `file.${op}`, severity: 'info', action: 'allow', mode: 'discover', workload: POD, rule: null, attack: null,
    evidence: { path, op, category, writer: exe, learned: true },
    file: { path, op, category },
    process: { pid: 4242, exe, uid: 1000, parents: [{ pid: 1, exe: '/usr/bin/tini' }] },
    container: CONTAINER,
  });
/** monitor-port.ts onListener (discover, learned) → emit. */
const listenEvent = (port: number, exe: string) =>
  agentEvent({
    kind: 'port.listen', severity: 'info', action: 'allow', mode: 'discover', workload: POD, rule: null,
    socket: { protocol: 'tcp', address: '0.0.0.0', port, uid: 1000 }, process: { pid: 4242, exe },
    evidence: { reason: 'new listener (learned)', learned: true }, container: CONTAINER,
  });
/** channel-guard.ts (discover, learned). */
const channelEvent = (channel: string, exe: string) =>
  agentEvent({
    workload: POD, mode: 'discover', source: { ip: '10.1.0.5', port: 51000, workload: 'db' }, destination: { ip: '10.96.0.1', port: 443 }, protocol: 'tcp',
    channel: { name: channel }, process: { pid: 4242, exe }, container: CONTAINER,
    kind: 'channel.connect', severity: 'info', action: 'allow', evidence: { reason: 'new control-channel user (learned)', learned: true },
  });
/** monitor-port.ts onConnection. */
const connectionEvent = () =>
  agentEvent({
    kind: 'net.connection', severity: 'info', action: 'allow', mode: 'discover', workload: POD, rule: null,
    source: { ip: '10.1.0.5', port: 51000, workload: 'db' }, destination: { ip: '93.184.216.34', port: 443 }, protocol: 'tcp',
    connection: { direction: 'outbound' }, process: { pid: 4242, exe: '/usr/bin/node' }, container: CONTAINER,
  });

const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

describe('learning from the host agent\'s events', () => {
  let baseline: Baseline;
  let skipped: number;
  let yaml: string;
  let agent: WorkloadAgentPolicy;

  before(async () => {
    const events = [
      execEvent('/usr/bin/node'), execEvent('/usr/bin/dash'), execEvent('/usr/local/bin/healthcheck', 'monitor'),
      // a finding: an attack, never learned
      agentEvent({ kind: 'process.violation', severity: 'medium', action: 'alert', mode: 'monitor', workload: POD, rule: { id: 'x', name: 'shell from /tmp' }, attack: { class: 'execution', tactic: 'execution', technique: 'T1059' }, evidence: {}, process: { pid: 1, ppid: 0, exe: '/tmp/x', args: [], uid: 0, euid: 0, parents: [] } }),
      fileEvent('write', '/app/config/settings.json', '/usr/bin/node', 'config'),
      fileEvent('write', '/app/config/cache.json', '/usr/bin/node', 'config'),
      fileEvent('read', TOKEN, '/usr/bin/node', 'secret'),
      listenEvent(8080, '/usr/bin/node'), listenEvent(9090, ''),
      channelEvent('kubernetes-api', '/usr/bin/kubectl'),
      connectionEvent(),
    ];
    ({ baseline, skipped } = await learnFrom(events.map((e) => ingest(e, 'agent'))));
    const p = proposePolicy(baseline, { mode: 'protect' });
    yaml = p.yaml;
    agent = parseAgentPolicy(compileAgent(loadPolicies(yaml, 'learned.yaml'), WORKLOAD).json);
  });

  it('the baseline holds executables, file writers by directory, secret readers, listeners and channel users', () => {
    assert.deepEqual(baseline.processes, { '/usr/bin/node': 1, '/usr/bin/dash': 1, '/usr/local/bin/healthcheck': 1 });
    assert.deepEqual(baseline.files, { 'write\t/app/config/*\t/usr/bin/node': 2, [`read\t${TOKEN}\t/usr/bin/node`]: 1 });
    assert.deepEqual(baseline.ports, { 'tcp/8080 /usr/bin/node': 1, 'tcp/9090': 1 });
    assert.deepEqual(baseline.channels, { 'kubernetes-api /usr/bin/kubectl': 1 });
    assert.deepEqual(baseline.skipped, { 'net.connection: connections the agent sees by address: no policy field holds them': 1 });
    assert.equal(skipped, 1);
  });

  it('the proposal has processes, files, ports and channels; compiled for the agent it admits what was learned and nothing else', () => {
    const spec = (parse(yaml.replace(/^#.*\n/gm, '')) as { spec: Record<string, unknown> }).spec;
    assert.deepEqual(spec.processes, { allow: ['/usr/bin/dash', '/usr/bin/node', '/usr/local/bin/healthcheck'] });
    assert.deepEqual(spec.files, { writers: [{ paths: ['/app/config/*'], processes: ['/usr/bin/node'] }], readers: [{ paths: [TOKEN], processes: ['/usr/bin/node'] }] });
    assert.deepEqual(spec.ports, { allow: [{ port: 8080, protocol: 'tcp', processes: ['/usr/bin/node'] }, { port: 9090, protocol: 'tcp' }] });
    assert.deepEqual(spec.channels, { allow: [{ channel: 'kubernetes-api', processes: ['/usr/bin/kubectl'] }] });
    assert.deepEqual(spec.ingress, []);
    assert.equal(agent.doc.processes.mode, 'protect');
    // The monitors' own predicates (monitor-process judgeExec, monitor-file judge, monitor-port
    // onListener, channel-guard).
    const exec = (exe: string) => agent.processAllow.matches(exe);
    const writes = (path: string, exe: string) => agent.writers.some((r) => r.paths.matches(path) && r.processes.matches(exe));
    const reads = (path: string, exe: string) => agent.readers.some((r) => r.paths.matches(path) && r.processes.matches(exe));
    const listens = (port: number, exe: string) => agent.ports.some((r) => r.port === port && r.protocol === 'tcp' && (r.processes.size === 0 || r.processes.matches(exe)));
    const channel = (name: string, exe: string) => agent.channels.some((r) => r.channel === name && (r.processes.size === 0 || r.processes.matches(exe)));
    assert.deepEqual(['/usr/bin/node', '/usr/bin/dash', '/usr/local/bin/healthcheck', '/tmp/x', '/usr/bin/curl'].map(exec), [true, true, true, false, false]);
    assert.deepEqual([writes('/app/config/new.json', '/usr/bin/node'), writes('/app/config/x', '/usr/bin/dash'), writes('/usr/bin/node', '/usr/bin/node')], [true, false, false]);
    assert.deepEqual([reads(TOKEN, '/usr/bin/node'), reads(TOKEN, '/usr/bin/dash'), reads('/etc/shadow', '/usr/bin/node')], [true, false, false]);
    assert.deepEqual([listens(8080, '/usr/bin/node'), listens(8080, '/usr/bin/nc'), listens(9090, '/anything'), listens(4444, '/usr/bin/node')], [true, false, true, false]);
    assert.deepEqual([channel('kubernetes-api', '/usr/bin/kubectl'), channel('kubernetes-api', '/usr/bin/node'), channel('etcd', '/usr/bin/kubectl')], [true, false, false]);
  });
});

describe('shapes the learner does not read are skipped and counted, not guessed', () => {
  it('the old guessed fields (sql, redis, process without exe, port.port) teach nothing', () => {
    const fixture = (over: Partial<MeshwardEvent>): MeshwardEvent => ({
      id: 'evt-1', time: new Date(0).toISOString(), kind: 'tcp.flow', severity: 'info', action: 'allow', mode: 'discover',
      workload: { namespace: 'shop', name: 'db' }, source: { ip: '10.0.0.2' }, rule: null, attack: null, evidence: {}, ...over,
    });
    const b = new BaselineBuilder(emptyBaseline('shop', 'db', 0));
    const events = [
      fixture({ kind: 'tcp.query', sql: { kind: 'select', tables: ['orders'] } }),
      fixture({ protocol: 'postgres', sql: { kind: 'select', tables: ['orders'] } }),
      fixture({ protocol: 'redis', tcp: { direction: 'inbound' }, statement: { command: 'get' } }),
      fixture({ protocol: 'postgres', tcp: { direction: 'inbound' }, statement: { kinds: ['select'], tables: [] } }),
      fixture({ protocol: 'redis', tcp: { direction: 'inbound' }, statement: { kinds: ['SELECT'], tables: [] } }),
      fixture({ kind: 'process.exec', process: { path: '/usr/bin/node' } }),
      fixture({ kind: 'port.listen', port: { port: 8080 } }),
      fixture({ kind: 'net.egress', destination: { fqdn: 'api.stripe.com', port: 443 } }),
    ];
    for (const e of events) assert.equal(b.observe(e, 1), false);
    assert.deepEqual(b.baseline.skipped, {
      'tcp.query: not a kind the learner reads': 1,
      'tcp.flow: no tcp part': 1,
      'tcp.flow: statement.keys is not a list of strings': 1,
      'tcp.flow: statement kind "select" is not one a policy can name': 1,
      'tcp.flow: a SQL statement on a redis connection': 1,
      'process.exec: no process.exe': 1,
      'port.listen: no socket part': 1,
      'net.egress: not a kind the learner reads': 1,
    });
    assert.equal(b.skippedEvents, events.length);
    assert.deepEqual([b.baseline.callers, b.baseline.sql, b.baseline.redis, b.baseline.egress, b.baseline.processes, b.baseline.ports], [{}, {}, {}, {}, {}, {}]);
    assert.match(proposePolicy(b.baseline).notes.join('\n'), /not learned: .*tcp\.query: not a kind the learner reads \(1\)/);
  });

  it('a baseline saved before these fields existed loads and proposes', () => {
    const old = { namespace: 'shop', workload: 'db', events: 1, firstMs: 0, lastMs: 0, lastChangeMs: 0, callers: {}, protocols: {}, sql: {}, redis: {}, egress: {}, processes: {}, ports: {}, overflow: 0 } as unknown as Baseline;
    const b = new BaselineBuilder(old);
    assert.deepEqual([b.baseline.files, b.baseline.channels, b.baseline.skipped, b.baseline.egressByAddress], [{}, {}, {}, {}]);
    assert.deepEqual(proposePolicy(b.baseline).policy.spec.ingress, []);
  });
});

describe('Redis key patterns and SQL statement entries', () => {
  it('keys become prefixes up to the first identifier-like part', () => {
    const cases: Array<[string, string]> = [
      ['session:42', 'session:*'], ['cart:7:items', 'cart:*'], ['app:user:9f1c2a9e-1b2c-4d5e-8f90-123456789abc', 'app:user:*'],
      ['cache:homepage', 'cache:*'], ['leaderboard', 'leaderboard'], ['12345', '*'], ['', '*'], ['weird*key', 'weird*'],
    ];
    assert.deepEqual(cases.map(([k]) => redisKeyPattern(k)), cases.map(([, p]) => p));
  });

  it('more key patterns than literalsPerPosition for one command fold into any key', () => {
    const b = new BaselineBuilder(emptyBaseline('shop', 'cache', 0), { callers: 10, operationsPerCaller: 100, entries: 100, literalsPerPosition: 3 });
    const ev = (key: string): MeshwardEvent => ({
      id: 'evt-1', time: new Date(0).toISOString(), kind: 'tcp.flow', severity: 'info', action: 'allow', mode: 'discover',
      workload: { namespace: 'shop', name: 'cache' }, source: { ip: '10.0.0.2', port: 1, principal: '', namespace: '', workload: '' }, destination: { ip: '10.0.0.3', port: 6379 },
      protocol: 'redis', tcp: { direction: 'inbound', confidence: 100 }, statement: { command: 'get', keys: [key], text: `GET ${key}`, truncated: false }, rule: null, attack: null, evidence: { reason: 'command seen' },
    });
    for (const k of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) b.observe(ev(k), 1);
    assert.deepEqual(b.baseline.callers['ip:10.0.0.2'].operations, { 'REDIS GET *': 5 });
    assert.deepEqual(proposePolicy(b.baseline).policy.spec.ingress![0].redis, [{ commands: ['GET'] }]);
  });

  it('keys may hold any character; a command name a policy cannot hold is skipped', () => {
    const b = new BaselineBuilder(emptyBaseline('shop', 'cache', 0));
    const ev = (command: string, keys: string[]): MeshwardEvent => ({
      id: 'evt-1', time: new Date(0).toISOString(), kind: 'tcp.flow', severity: 'info', action: 'allow', mode: 'discover',
      workload: { namespace: 'shop', name: 'cache' }, source: { ip: '10.0.0.2', port: 1, principal: '', namespace: '', workload: '' }, destination: { ip: '10.0.0.3', port: 6379 },
      protocol: 'redis', tcp: { direction: 'inbound', confidence: 100 }, statement: { command, keys, text: '', truncated: false }, rule: null, attack: null, evidence: { reason: 'command seen' },
    });
    b.observe(ev('get', ['line\nbreak:1', 'with space:2']), 1);
    b.observe(ev('bad command', ['k']), 1);
    const p = proposePolicy(b.baseline);
    assert.deepEqual(p.policy.spec.ingress![0].redis, [{ commands: ['GET'], keys: ['line\nbreak:*', 'with space:*'] }]);
    assert.deepEqual(b.baseline.skipped, { 'tcp.flow: a command name a policy cannot hold': 1 });
    assert.deepEqual(loadPolicies(p.yaml), [p.policy]);
  });

  it('a statement whose tables are not all known or cannot be written gets any table; a table-less SELECT is covered by a SELECT entry, else noted', () => {
    const b = new BaselineBuilder(emptyBaseline('shop', 'db', 0));
    const ev = (kinds: string[], tables: string[], truncated = false): MeshwardEvent => ({
      id: 'evt-1', time: new Date(0).toISOString(), kind: 'tcp.flow', severity: 'info', action: 'allow', mode: 'discover',
      workload: { namespace: 'shop', name: 'db' }, source: { ip: '10.0.0.2', port: 1, principal: '', namespace: '', workload: '' }, destination: { ip: '10.0.0.3', port: 3306 },
      protocol: 'mysql', tcp: { direction: 'inbound', confidence: 100 }, statement: { kinds, tables, text: '...', truncated }, rule: null, attack: null, evidence: { reason: 'statement seen' },
    });
    b.observe(ev(['DELETE'], ['audit'], true), 1);
    b.observe(ev(['SELECT', 'UNION'], ['a', 'b']), 1);
    b.observe(ev(['SELECT'], []), 1);
    b.observe(ev(['INSERT'], ['My Table']), 1);
    b.observe(ev(['INSERT'], ['Quoted']), 1);
    const p = proposePolicy(b.baseline);
    assert.deepEqual(p.policy.spec.ingress![0].mysql, [{ statements: ['INSERT', 'DELETE'] }, { statements: ['SELECT', 'UNION'], tables: ['a', 'b'] }]);
    assert.equal(p.notes.length, 0, p.notes.join('\n'));
    const only = new BaselineBuilder(emptyBaseline('shop', 'db', 0));
    only.observe(ev(['SELECT'], []), 1);
    const q = proposePolicy(only.baseline);
    assert.deepEqual(q.policy.spec.ingress![0].mysql, [{ statements: ['SELECT'] }]);
    assert.match(q.notes.join('\n'), /mysql SELECT statements were seen only without tables; the entry admits them on any table/);
  });
});
