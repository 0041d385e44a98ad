// The TCP parts of a policy: rule fields ports, protocols, postgres, mysql, redis; the egress
// and tcp sections. Every problem names the file, line, column, path and value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { formatted, policyWith } from './helpers.js';

test('the example of the issue validates, with only the fields written', () => {
  const [p] = loadPolicies(policyWith(
    '  ingress:',
    '    - name: orders-reads',
    '      from: [{principal: "spiffe://cluster.local/ns/shop/sa/orders"}]',
    '      postgres: [{statements: [SELECT, INSERT], tables: ["orders", "order_items"]}]',
    '    - name: admin-all',
    '      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]',
    '      postgres: [{statements: ["*"]}]',
    '    - name: cache',
    '      ports: [6379]',
    '      protocols: [redis]',
    '      redis: [{commands: ["@read", SET], keys: ["session:*"]}]',
    '  egress:',
    '    - name: payments',
    '      to: [{fqdn: "api.stripe.com", ports: [443]}]',
    '  tcp: {threats: alert, maxStatementBytes: 4096}',
  ));
  assert.deepEqual(p.spec.ingress?.[0].postgres, [{ statements: ['SELECT', 'INSERT'], tables: ['orders', 'order_items'] }]);
  assert.deepEqual(p.spec.ingress?.[2], { name: 'cache', ports: [6379], protocols: ['redis'], redis: [{ commands: ['@read', 'SET'], keys: ['session:*'] }] });
  assert.deepEqual(p.spec.egress, [{ name: 'payments', to: [{ fqdn: 'api.stripe.com', ports: [443] }] }]);
  assert.deepEqual(p.spec.tcp, { threats: 'alert', maxStatementBytes: 4096 });
});

test('statement kinds, tables, commands and protocols are checked, with suggestions', () => {
  assert.deepEqual(formatted(policyWith(
    '  ingress:',
    '    - name: a',
    '      postgres: [{statements: [select, FETCH], tables: ["bad table"]}]',
    '      mysql: [{tables: [orders]}]',
    '      redis: [{commands: ["@reed"], keys: ["a*b"]}]',
    '      protocols: [postgress]',
    '      ports: [0, 70000]',
  )), [
    'p.yaml:8:32: spec.ingress[0].postgres[0].statements[0]: "select" is not a statement kind (SELECT, INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY, DDL, GRANT, TRANSACTION, SESSION, CALL, LOCK, MAINTENANCE, OTHER, UNION or *) (did you mean "SELECT"?)',
    'p.yaml:8:40: spec.ingress[0].postgres[0].statements[1]: "FETCH" is not a statement kind (SELECT, INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY, DDL, GRANT, TRANSACTION, SESSION, CALL, LOCK, MAINTENANCE, OTHER, UNION or *)',
    'p.yaml:8:57: spec.ingress[0].postgres[0].tables[0]: "bad table" is not a table name (name, schema.name, prefix* or *)',
    'p.yaml:9:15: spec.ingress[0].mysql[0].statements: required field is missing',
    'p.yaml:10:27: spec.ingress[0].redis[0].commands[0]: "@reed" is not a command category (@read, @write, @admin, @dangerous, @pubsub, @connection, @scripting, @transaction) (did you mean "@read"?)',
    'p.yaml:10:44: spec.ingress[0].redis[0].keys[0]: "a*b": \'*\' may only end a key pattern',
    'p.yaml:11:19: spec.ingress[0].protocols[0]: "postgress" is not a protocol the filter identifies (http, http2, grpc, tls, ssh, postgres, mysql, redis, mongodb, kafka, cassandra, memcached, dns, mqtt, amqp, zookeeper, smtp, ftp) (did you mean "postgres"?)',
    'p.yaml:12:15: spec.ingress[0].ports[0]: 0 is not a port (an integer from 1 to 65535)',
    'p.yaml:12:18: spec.ingress[0].ports[1]: 70000 is not a port (an integer from 1 to 65535)',
  ]);
});

test('empty lists are refused: omitting them means something else', () => {
  const out = formatted(policyWith('  ingress:', '    - name: a', '      postgres: []', '      redis: [{commands: []}]'));
  assert.equal(out.length, 2);
  assert.match(out[0], /spec\.ingress\[0\]\.postgres: must not be empty: omit "postgres"/);
  assert.match(out[1], /spec\.ingress\[0\]\.redis\[0\]\.commands: must not be empty/);
});

test('egress: names unique, fqdn a host name, ports in range; tcp: actions and limits', () => {
  assert.deepEqual(formatted(policyWith(
    '  egress:',
    '    - name: pay',
    '      to: [{fqdn: "api.stripe.com:443"}]',
    '    - name: pay',
    '      to: []',
    '  tcp: {threats: drop, maxStatementBytes: 10}',
  )), [
    'p.yaml:8:19: spec.egress[0].to[0].fqdn: "api.stripe.com:443": hosts are matched without the port, so remove ":443" (did you mean "api.stripe.com"?)',
    'p.yaml:9:13: spec.egress[1].name: rule name "pay" is already used',
    'p.yaml:10:11: spec.egress[1].to: must not be empty: list at least one destination',
    'p.yaml:11:18: spec.tcp.threats: "drop" is not an action (block, alert, off)',
    'p.yaml:11:43: spec.tcp.maxStatementBytes: 10 must be from 64 to 16777216',
  ]);
});
