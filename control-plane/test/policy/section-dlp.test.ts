import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { checkPattern } from '../../src/policy/section-dlp.js';
import { formatted, policyWith, summary } from './helpers.js';

test('dlp: read as written', () => {
  const [p] = loadPolicies(policyWith(
    '  dlp:',
    '    action: block',
    '    sensors: [credit-card, ssn]',
    '    custom:',
    '      - {name: employee-id, pattern: "EMP-[0-9]{6}", contexts: [body, header]}',
    '    requests: true',
  ));
  assert.deepEqual(p.spec.dlp, {
    action: 'block', sensors: ['credit-card', 'ssn'],
    custom: [{ name: 'employee-id', pattern: 'EMP-[0-9]{6}', contexts: ['body', 'header'] }], requests: true,
  });
});

test('dlp: unknown sensors, bad patterns, duplicate names', () => {
  assert.deepEqual(formatted(policyWith('  dlp: {sensors: [creditcard]}')), [
    'p.yaml:6:19: spec.dlp.sensors[0]: "creditcard" is not a sensor (credit-card, ssn, iban, aws-access-key, private-key, jwt, github-token, slack-token, stack-trace, sql-error) (did you mean "credit-card"?)',
  ]);
  assert.deepEqual(summary(policyWith('  dlp: {custom: [{name: a, pattern: "(x|y)"}]}')), ['6:37 spec.dlp.custom[0].pattern [format]']);
  assert.deepEqual(summary(policyWith('  dlp: {custom: [{name: a, pattern: x}, {name: a, pattern: y}]}')), ['6:41 spec.dlp.custom[1].name [duplicate]']);
  assert.deepEqual(summary(policyWith('  dlp: {custom: [{name: a, pattern: x, contexts: [cookie]}]}')), ['6:51 spec.dlp.custom[0].contexts[0] [enum]']);
  assert.deepEqual(summary(policyWith('  dlp: {requests: yes please}')), ['6:19 spec.dlp.requests [type]']);
});

test('custom patterns: the subset the filter matches', () => {
  for (const ok of ['EMP-[0-9]{6}', '(?i)secret', '^a.b$', '\\d{3}-\\d{2}', '[^a-z]+x?', 'a|b|c', 'x{2,}']) assert.equal(checkPattern(ok), undefined, ok);
  for (const bad of ['(a)', '*a', 'a{x}', '[abc', 'a\\', '']) assert.notEqual(checkPattern(bad), undefined, bad);
});
