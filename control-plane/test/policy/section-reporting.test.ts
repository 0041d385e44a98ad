// spec.reporting: flows on/off (or true/false), maxFlows bounded; problems named with their path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { formatted, policyWith } from './helpers.js';

test('reporting reads on/off and booleans, keeping only the fields written', () => {
  const [a] = loadPolicies(policyWith('  reporting: {flows: off, maxFlows: 64}'));
  assert.deepEqual(a.spec.reporting, { flows: 'off', maxFlows: 64 });
  const [b] = loadPolicies(policyWith('  reporting: {flows: true}'));
  assert.deepEqual(b.spec.reporting, { flows: 'on' });
});

test('reporting: bad values and unknown fields are reported with their path', () => {
  const out = formatted(policyWith('  reporting: {flows: maybe, maxFlows: 0, maxFlow: 3}')).join('\n');
  assert.match(out, /spec\.reporting\.flows: expected on or off, found/);
  assert.match(out, /spec\.reporting\.maxFlows: .*0/);
  assert.match(out, /spec\.reporting\.maxFlow: .*maxFlows/);
});
