import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { formatted, policyWith, summary } from './helpers.js';

test('mode is one of discover, monitor, protect', () => {
  for (const mode of ['discover', 'monitor', 'protect'] as const) {
    assert.equal(loadPolicies(policyWith(`  mode: ${mode}`))[0].spec.mode, mode);
  }
});

test('mode may be left out (the compiler reads it as monitor)', () => {
  assert.equal(loadPolicies(policyWith())[0].spec.mode, undefined);
});

test('an unknown mode names the choices and the closest', () => {
  assert.deepEqual(formatted(policyWith('  mode: protekt')), [
    'p.yaml:6:9: spec.mode: "protekt" is not a mode (discover, monitor, protect) (did you mean "protect"?)',
  ]);
  assert.deepEqual(formatted(policyWith('  mode: Protect')), [
    'p.yaml:6:9: spec.mode: "Protect" is not a mode (discover, monitor, protect) (did you mean "protect"?)',
  ]);
  assert.deepEqual(formatted(policyWith('  mode: block')), [
    'p.yaml:6:9: spec.mode: "block" is not a mode (discover, monitor, protect)',
  ]);
});

test('mode must be a string', () => {
  assert.deepEqual(summary(policyWith('  mode: [protect]')), ['6:9 spec.mode [type]']);
  assert.deepEqual(summary(policyWith('  mode:')), ['6:8 spec.mode [type]']);
});
