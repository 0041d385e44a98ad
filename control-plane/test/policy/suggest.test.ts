import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, didYouMean, distance } from '../../src/policy/suggest.js';

test('distance counts a swap of neighbours as one edit', () => {
  assert.equal(distance('form', 'from'), 1);
  assert.equal(distance('ingres', 'ingress'), 1);
  assert.equal(distance('', 'abc'), 3);
  assert.equal(distance('kitten', 'sitting'), 3);
});

test('closest ignores case, - and _', () => {
  assert.equal(closest('match_labels', ['matchLabels', 'workloads']), 'matchLabels');
  assert.equal(closest('IPBLOCK', ['principal', 'ipBlock']), 'ipBlock');
});

test('closest gives nothing when no candidate is near', () => {
  assert.equal(closest('mode', ['name', 'from']), undefined);
  assert.equal(closest('waf', ['selector', 'mode', 'ingress']), undefined);
});

test('didYouMean', () => {
  assert.equal(didYouMean('protekt', ['discover', 'monitor', 'protect']), ' (did you mean "protect"?)');
  assert.equal(didYouMean('zzz', ['discover']), '');
});
