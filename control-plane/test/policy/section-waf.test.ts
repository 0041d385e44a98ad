import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { formatted, policyWith, summary } from './helpers.js';

test('waf: every field optional, read as written', () => {
  assert.deepEqual(loadPolicies(policyWith('  waf: {}'))[0].spec.waf, {});
  const [p] = loadPolicies(policyWith(
    '  waf:',
    '    action: alert',
    '    paranoia: 2',
    '    threshold: 8',
    '    exclusions:',
    '      - paths: ["/cms/**"]',
    '        params: [body.json.article.html, "query.code*"]',
    '        classes: [xss, sqli]',
  ));
  assert.deepEqual(p.spec.waf, {
    action: 'alert', paranoia: 2, threshold: 8,
    exclusions: [{ paths: ['/cms/**'], params: ['body.json.article.html', 'query.code*'], classes: ['xss', 'sqli'] }],
  });
});

test('waf: wrong values name the field, the rule and the choices', () => {
  assert.deepEqual(formatted(policyWith('  waf: {action: deny}')), [
    'p.yaml:6:17: spec.waf.action: "deny" is not an action (block, alert, off)',
  ]);
  assert.deepEqual(summary(policyWith('  waf: {paranoia: 5}')), ['6:19 spec.waf.paranoia [format]']);
  assert.deepEqual(summary(policyWith('  waf: {paranoia: "1"}')), ['6:19 spec.waf.paranoia [type]']);
  assert.deepEqual(summary(policyWith('  waf: {threshold: 0}')), ['6:20 spec.waf.threshold [format]']);
  assert.deepEqual(formatted(policyWith('  waf: {exclusions: [{classes: [sql]}]}')), [
    'p.yaml:6:33: spec.waf.exclusions[0].classes[0]: "sql" is not an attack class (sqli, xss, path-traversal, rfi, command-injection, ssrf, jndi, shellshock, xxe, ssti, nosqli, ldap-injection, crlf, mail-injection, ssi, deserialization, scanner, protocol, prototype-pollution) (did you mean "sqli"?)',
  ]);
  assert.deepEqual(summary(policyWith('  waf: {exclusions: [{}]}')), ['6:22 spec.waf.exclusions[0] [one-of]']);
  assert.deepEqual(summary(policyWith('  waf: {exclusions: [{params: [cookies.x]}]}')), ['6:32 spec.waf.exclusions[0].params[0] [format]']);
  assert.deepEqual(summary(policyWith('  waf: {exclusions: [{paths: [cms]}]}')), ['6:31 spec.waf.exclusions[0].paths[0] [format]']);
  assert.deepEqual(summary(policyWith('  waf: {paranoa: 2}')), ['6:9 spec.waf.paranoa [unknown-field]']);
});
