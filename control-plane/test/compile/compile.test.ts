import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  CompileError,
  PolicyCompiler,
  PolicyError,
  compile,
  compilePolicyFiles,
  loadPolicies,
  type FilterConfig,
  type SecurityPolicy,
  type Workload,
} from '../../src/index.js';
import { BOTH_REORDERED_YAML, EXAMPLE_YAML, METRICS_YAML } from '../fixtures/policies.js';

const ORDERS: Workload = { namespace: 'shop', name: 'orders', labels: { app: 'orders', version: 'v1' } };

const EVENTS_DEFAULTS = {
  cluster: '',
  authority: 'meshward-control-plane',
  path: '/v1/events',
  token: '',
  batchSize: 100,
  flushIntervalMs: 1000,
  bufferLimit: 1000,
  timeoutMs: 5000,
};
const LIMITS_DEFAULTS = { maxBodyBytes: 262144, maxEventFieldBytes: 1024 };
// No policy sets waf or dlp: detection blocks at paranoia 1 (as the mode allows), DLP is off.
const WAF_DEFAULTS = { action: 'block', paranoia: 1, threshold: 5, exclusions: [] } as const;
const DLP_DEFAULTS = { action: 'off', sensors: [], custom: [], requests: false } as const;

const EXAMPLE_EXPECTED: Omit<FilterConfig, 'version'> = {
  schema: 1,
  workload: { namespace: 'shop', name: 'orders' },
  mode: 'protect',
  policies: ['shop/orders'],
  ingress: [
    {
      id: 'shop/orders/frontend-reads',
      name: 'frontend-reads',
      from: [{ principal: 'spiffe://cluster.local/ns/shop/sa/frontend' }],
      http: [{ methods: ['GET'], paths: ['/api/orders', '/api/orders/*'], hosts: [] }],
      grpc: [],
    },
    {
      id: 'shop/orders/admin',
      name: 'admin',
      from: [{ principal: 'spiffe://cluster.local/ns/shop/sa/admin' }],
      http: [{ methods: ['GET', 'POST', 'DELETE'], paths: ['/**'], hosts: [] }],
      grpc: [{ service: 'shop.v1.Orders', methods: [] }],
    },
  ],
  events: EVENTS_DEFAULTS,
  limits: LIMITS_DEFAULTS,
  waf: { ...WAF_DEFAULTS, exclusions: [] },
  dlp: { ...DLP_DEFAULTS, sensors: [], custom: [] },
};

/** An implementation of canonical JSON independent of the one under test. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}

test('the example policy compiles to exactly the expected configuration', () => {
  const { config, json, version } = compile(loadPolicies(EXAMPLE_YAML), ORDERS);
  const expectedVersion = `sha256:${createHash('sha256').update(sortedJson(EXAMPLE_EXPECTED)).digest('hex')}`;
  assert.deepEqual(config, { ...EXAMPLE_EXPECTED, version: expectedVersion });
  assert.equal(version, expectedVersion);
  assert.equal(json, sortedJson({ ...EXAMPLE_EXPECTED, version: expectedVersion }));
  assert.deepEqual(JSON.parse(json), config);
});

test('the example version is pinned: a change here means every sidecar reloads', () => {
  assert.equal(compile(loadPolicies(EXAMPLE_YAML), ORDERS).version, 'sha256:e8574ed79d64d07df2998b8294ded9b161e4e21091987600b1d85f22b43d0177');
});

test('no policy: discover, no rules, defaults filled', () => {
  const { config } = compile([], ORDERS);
  assert.deepEqual(config, {
    schema: 1,
    version: config.version,
    workload: { namespace: 'shop', name: 'orders' },
    mode: 'discover',
    policies: [],
    ingress: [],
    events: EVENTS_DEFAULTS,
    limits: LIMITS_DEFAULTS,
    waf: { ...WAF_DEFAULTS, exclusions: [] },
    dlp: { ...DLP_DEFAULTS, sensors: [], custom: [] },
  });
  assert.match(config.version, /^sha256:[0-9a-f]{64}$/);
});

test('policies that do not select the workload are left out', () => {
  const policies = loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`);
  assert.equal(compile(policies, { namespace: 'shop', name: 'payments', labels: { app: 'payments' } }).config.mode, 'discover');
  // same name and labels in another namespace
  const other = compile(policies, { ...ORDERS, namespace: 'billing' }).config;
  assert.deepEqual([other.policies, other.ingress, other.mode], [[], [], 'discover']);
  // by labels only, by name only
  assert.deepEqual(compile(policies, { namespace: 'shop', name: 'orders-v2', labels: { app: 'orders' } }).config.policies, ['shop/orders']);
  assert.deepEqual(compile(policies, { namespace: 'shop', name: 'orders', labels: {} }).config.policies, ['shop/orders-metrics']);
});

const policyText = (name: string, mode: string | undefined, rules: string[]) => [
  'apiVersion: meshward.io/v1alpha1',
  'kind: SecurityPolicy',
  `metadata: {name: ${name}, namespace: shop}`,
  'spec:',
  '  selector: {workloads: [orders]}',
  ...(mode ? [`  mode: ${mode}`] : []),
  `  ingress: [${rules.map((r) => `{name: ${r}}`).join(', ')}]`,
  '',
].join('\n');

test('several policies: rules in namespace/name order, the strictest mode', () => {
  const text = [
    policyText('zz-last', 'discover', ['late']),
    policyText('aa-first', undefined, ['early']),
    policyText('mm-middle', 'protect', ['one', 'two']),
  ].join('---\n');
  const { config } = compile(loadPolicies(text), ORDERS);
  assert.deepEqual(config.policies, ['shop/aa-first', 'shop/mm-middle', 'shop/zz-last']);
  assert.deepEqual(config.ingress.map((r) => r.id), ['shop/aa-first/early', 'shop/mm-middle/one', 'shop/mm-middle/two', 'shop/zz-last/late']);
  assert.equal(config.mode, 'protect');
  const withoutProtect = [policyText('zz-last', 'discover', ['late']), policyText('aa-first', undefined, ['early'])].join('---\n');
  assert.equal(compile(loadPolicies(withoutProtect), ORDERS).config.mode, 'monitor');
  assert.equal(compile(loadPolicies(policyText('only', 'discover', ['a'])), ORDERS).config.mode, 'discover');
});

test('deterministic: same input, same bytes', () => {
  const policies = loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`);
  const a = compile(policies, ORDERS);
  const b = compile(loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`), ORDERS);
  assert.equal(a.json, b.json);
  assert.equal(a.version, b.version);
});

test('deterministic: documents and keys in another order give the same bytes', () => {
  const a = compile(loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`), ORDERS);
  const b = compile(loadPolicies(BOTH_REORDERED_YAML), { labels: { version: 'v1', app: 'orders' }, name: 'orders', namespace: 'shop' });
  assert.equal(b.json, a.json);
  assert.equal(b.version, a.version);
  assert.deepEqual(a.config.policies, ['shop/orders', 'shop/orders-metrics']);
});

test('the version changes when a rule changes, and only then', () => {
  const base = compile(loadPolicies(EXAMPLE_YAML), ORDERS).version;
  const variants = [
    EXAMPLE_YAML.replace('"/api/orders", ', '"/api/order", '),
    EXAMPLE_YAML.replace('methods: [GET]', 'methods: [GET, HEAD]'),
    EXAMPLE_YAML.replace('name: admin', 'name: admins'),
    EXAMPLE_YAML.replace('sa/admin', 'sa/root'),
    EXAMPLE_YAML.replace('mode: protect', 'mode: monitor'),
  ];
  const versions = variants.map((t) => compile(loadPolicies(t), ORDERS).version);
  assert.equal(new Set([base, ...versions]).size, variants.length + 1);
  // a comment or a key order is not a change
  assert.equal(compile(loadPolicies(`# a comment\n${EXAMPLE_YAML.replace('{name: orders, namespace: shop}', '{namespace: shop, name: orders}')}`), ORDERS).version, base);
});

test('options: mode override, events and limits, each part of the version', () => {
  const policies = loadPolicies(EXAMPLE_YAML);
  const base = compile(policies, ORDERS);
  const overridden = compile(policies, ORDERS, {
    mode: 'discover',
    events: { cluster: 'meshward_events', authority: 'cp:8080', token: 's3cret', batchSize: 10 },
    limits: { maxBodyBytes: 1024 },
  });
  assert.equal(overridden.config.mode, 'discover');
  assert.deepEqual(overridden.config.events, { ...EVENTS_DEFAULTS, cluster: 'meshward_events', authority: 'cp:8080', token: 's3cret', batchSize: 10 });
  assert.deepEqual(overridden.config.limits, { maxBodyBytes: 1024, maxEventFieldBytes: 1024 });
  assert.notEqual(overridden.version, base.version);
  assert.notEqual(compile(policies, ORDERS, { events: { token: 'other' } }).version, base.version);
  // the override applies without any policy too (the proxy's --mode)
  assert.equal(compile([], ORDERS, { mode: 'protect' }).config.mode, 'protect');
  // undefined options are no options
  assert.equal(compile(policies, ORDERS, { mode: undefined, events: { token: undefined } }).json, base.json);
});

test('the result is deeply frozen', () => {
  const { config } = compile(loadPolicies(EXAMPLE_YAML), ORDERS);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.ingress[1].grpc[0].methods));
  assert.ok(Object.isFrozen(config.events));
  assert.throws(() => (config.ingress as unknown[]).push({}), TypeError);
});

test('a bad workload is a CompileError', () => {
  assert.throws(() => compile([], { namespace: '', name: 'orders', labels: {} }), (e: unknown) =>
    e instanceof CompileError && e.code === 'COMPILE_WORKLOAD_INVALID' && e.message === 'workload.namespace: expected a non-empty string, found ""');
  const labels = { app: 1 } as unknown as Record<string, string>;
  assert.throws(() => compile([], { namespace: 'shop', name: 'orders', labels }), /workload\.labels\.app: expected a string, found 1/);
});

test('bad options are a CompileError', () => {
  assert.throws(() => compile([], ORDERS, { events: { batchSize: 0 } }), (e: unknown) => e instanceof CompileError && e.code === 'COMPILE_OPTIONS_INVALID');
});

test('two policies with one namespace/name are a PolicyError', () => {
  const [p] = loadPolicies(EXAMPLE_YAML);
  const copy: SecurityPolicy = { ...p, spec: { ...p.spec, mode: 'monitor' } };
  assert.throws(() => compile([p, copy], ORDERS), (e: unknown) =>
    e instanceof PolicyError && e.code === 'POLICY_INVALID' && e.message === '<compile>: metadata.name: policy "shop/orders" is given more than once');
});

test('PolicyCompiler: many workloads, one policy set, each the canonical document of its own config', () => {
  const policies = loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`);
  const compiler = new PolicyCompiler(policies);
  const options = { mode: 'monitor' as const };
  const workloads: Workload[] = [
    ORDERS,
    { namespace: 'shop', name: 'orders-canary', labels: { app: 'orders', version: 'v2' } },
    { namespace: 'shop', name: 'payments', labels: { app: 'payments' } },
    { namespace: 'other', name: 'orders', labels: { app: 'orders', version: 'v1' } },
  ];
  const seen = new Set<string>();
  for (const w of [...workloads, ...workloads]) {
    for (const o of [undefined, options]) {
      const got = compiler.compile(w, o);
      // Another compiler's answer, and an independent canonical JSON of the config.
      assert.equal(got.json, compile(policies, w, o).json);
      const { version, ...rest } = got.config;
      assert.equal(version, `sha256:${createHash('sha256').update(sortedJson(rest)).digest('hex')}`);
      assert.equal(got.version, version);
      assert.equal(got.json, sortedJson(got.config));
      assert.deepEqual(got.config.workload, { namespace: w.namespace, name: w.name });
      assert.ok(Object.isFrozen(got.config) && Object.isFrozen(got.config.workload));
      seen.add(got.json);
    }
  }
  assert.equal(seen.size, workloads.length * 2);
  // A duplicate policy, a bad workload or bad options fail each call, as compile() does.
  const [p] = loadPolicies(EXAMPLE_YAML);
  const twice = new PolicyCompiler([p, { ...p }]);
  assert.throws(() => twice.compile(ORDERS), PolicyError);
  assert.throws(() => twice.compile(ORDERS), PolicyError);
  assert.throws(() => compiler.compile({ namespace: '', name: 'x', labels: {} }), CompileError);
  assert.throws(() => compiler.compile(ORDERS, { events: { batchSize: 0 } }), CompileError);
});

const dir = mkdtempSync(join(tmpdir(), 'meshward-compile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('compilePolicyFiles loads, validates and compiles', () => {
  const a = join(dir, 'orders.yaml');
  const b = join(dir, 'metrics.yaml');
  writeFileSync(a, EXAMPLE_YAML);
  writeFileSync(b, METRICS_YAML);
  const fromFiles = compilePolicyFiles([b, a], ORDERS);
  assert.equal(fromFiles.json, compile(loadPolicies(`${EXAMPLE_YAML}---\n${METRICS_YAML}`), ORDERS).json);
  assert.equal(compilePolicyFiles([dir], ORDERS, { mode: 'monitor' }).config.mode, 'monitor');
});

test('compilePolicyFiles throws PolicyError for any problem in any file', () => {
  // bad.yml's policy is invalid, so it is not also reported as a duplicate of orders.yaml's
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, EXAMPLE_YAML.replace('methods: [GET]', 'methods: [FETCH]'));
  assert.throws(() => compilePolicyFiles([join(dir, 'orders.yaml'), bad], ORDERS), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.code, 'POLICY_INVALID');
    assert.deepEqual(e.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path} [${i.rule}]`), [
      `${bad}:10:25 spec.ingress[0].http[0].methods[0] [enum]`,
    ]);
    return true;
  });
});
