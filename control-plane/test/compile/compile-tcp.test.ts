// Compiling the TCP parts: rule fields only when written (documents without them keep their
// bytes), kinds and tables normalised, egress rules with ids, tcp settings merged strictest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, loadPolicies } from '../../src/index.js';

const head = (name: string) => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
`;
const workload = { namespace: 'shop', name: 'db', labels: { app: 'db' } };

test('rule fields are compiled when written, normalised', () => {
  const policies = loadPolicies(head('db') + `  ingress:
    - name: reads
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/orders"}]
      postgres: [{statements: [SELECT, SELECT, INSERT], tables: [Orders, "shop.Items"]}, {statements: ["*", DELETE]}]
      redis: [{commands: [GET, "@Read", "*"], keys: ["s:*", "*"]}]
      ports: [5432, 5432]
      protocols: [postgres, redis]
    - name: web
      http: [{methods: [GET]}]
`);
  const { config } = compile(policies, workload);
  assert.deepEqual(config.ingress[0], {
    id: 'shop/db/reads',
    name: 'reads',
    from: [{ principal: 'spiffe://cluster.local/ns/shop/sa/orders' }],
    http: [],
    grpc: [],
    ports: [5432],
    protocols: ['postgres', 'redis'],
    postgres: [{ statements: ['SELECT', 'INSERT'], tables: ['orders', 'shop.items'] }, { statements: ['*'], tables: [] }],
    redis: [{ commands: ['*'], keys: [] }],
  });
  assert.equal('postgres' in config.ingress[1], false, 'a rule without TCP fields keeps its shape');
  assert.equal('egress' in config, false);
  assert.equal('tcp' in config, false);
});

test('egress rules get ids; tcp settings merge to the strongest action and largest limits', () => {
  const policies = loadPolicies(head('a') + `  egress:
    - name: payments
      to: [{fqdn: API.Stripe.com, ports: [443]}]
  tcp: {threats: alert}
---
` + head('b') + `  egress:
    - name: mail
      to: [{fqdn: "*.mailgun.net"}]
  tcp: {maxStatementBytes: 1048576}
`);
  const { config, json } = compile(policies, workload);
  assert.deepEqual(config.egress, [
    { id: 'shop/a/payments', name: 'payments', to: [{ fqdn: 'api.stripe.com', ports: [443] }] },
    { id: 'shop/b/mail', name: 'mail', to: [{ fqdn: '*.mailgun.net', ports: [] }] },
  ]);
  assert.deepEqual(config.tcp, { threats: 'block', maxStatementBytes: 1048576, maxIdentifyBytes: 16384 });
  assert.match(json, /"egress":\[/);
});

test('reporting is compiled only when written; flows stay on unless every policy says off, maxFlows the largest', () => {
  const none = compile(loadPolicies(head('db')), workload).config;
  assert.equal('reporting' in none, false, 'documents without the section keep their bytes');
  const one = compile(loadPolicies(head('a') + '  reporting: {flows: off, maxFlows: 8}\n'), workload).config;
  assert.deepEqual(one.reporting, { flows: false, maxFlows: 8 });
  const two = compile(loadPolicies(head('a') + '  reporting: {flows: off, maxFlows: 8}\n---\n' + head('b') + '  reporting: {maxFlows: 4}\n'), workload).config;
  assert.deepEqual(two.reporting, { flows: true, maxFlows: 8 });
});
