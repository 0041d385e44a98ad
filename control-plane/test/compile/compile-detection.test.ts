import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, loadPolicies } from '../../src/index.js';

const W = { namespace: 'shop', name: 'orders', labels: { app: 'orders' } };

function policy(name: string, extra: string): string {
  return `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
${extra}
`;
}

test('no waf or dlp in any policy: waf blocks at paranoia 1, dlp off', () => {
  const { config } = compile(loadPolicies(policy('a', '  mode: protect')), W);
  assert.deepEqual(config.waf, { action: 'block', paranoia: 1, threshold: 5, exclusions: [] });
  assert.deepEqual(config.dlp, { action: 'off', sensors: [], custom: [], requests: false });
});

test('several policies merge to the strictest', () => {
  const text = `${policy('a', '  waf: {action: alert, paranoia: 2, threshold: 7, exclusions: [{classes: [xss]}]}\n  dlp: {sensors: [ssn]}')}---\n${policy('b', '  waf: {paranoia: 3, exclusions: [{paths: ["/x/**"]}]}\n  dlp: {action: block, sensors: [credit-card], custom: [{name: e, pattern: "E-[0-9]+"}], requests: true}')}`;
  const { config } = compile(loadPolicies(text), W);
  assert.deepEqual(config.waf, {
    action: 'block', paranoia: 3, threshold: 5,
    exclusions: [{ paths: [], params: [], classes: ['xss'] }, { paths: ['/x/**'], params: [], classes: [] }],
  });
  assert.deepEqual(config.dlp, { action: 'block', sensors: ['credit-card', 'ssn'], custom: [{ name: 'e', pattern: 'E-[0-9]+', contexts: ['body'] }], requests: true });
});

test('a dlp section without sensors turns on every sensor but jwt, alerting', () => {
  const { config } = compile(loadPolicies(policy('a', '  dlp: {}')), W);
  assert.equal(config.dlp!.action, 'alert');
  assert.ok(!config.dlp!.sensors.includes('jwt'));
  assert.equal(config.dlp!.sensors.length, 9);
});
