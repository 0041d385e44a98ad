import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyError, formatIssue, type PolicyIssue } from '../../src/index.js';

const issue = (over: Partial<PolicyIssue>): PolicyIssue => ({
  file: 'a.yaml', line: 3, column: 7, path: 'spec.mode', rule: 'enum', message: '"x" is not a mode', ...over,
});

test('formatIssue: file:line:column: path: message', () => {
  assert.equal(formatIssue(issue({})), 'a.yaml:3:7: spec.mode: "x" is not a mode');
});

test('formatIssue: no line for issues not read from YAML, no path for the document itself', () => {
  assert.equal(formatIssue(issue({ line: 0, column: 0 })), 'a.yaml: spec.mode: "x" is not a mode');
  assert.equal(formatIssue(issue({ path: '', rule: 'yaml', message: 'bad' })), 'a.yaml:3:7: bad');
});

test('PolicyError: one issue is the message; several are listed', () => {
  assert.equal(new PolicyError([issue({})]).message, 'a.yaml:3:7: spec.mode: "x" is not a mode');
  const two = new PolicyError([issue({}), issue({ line: 9 })]);
  assert.equal(two.message, '2 problems in policies:\n  a.yaml:3:7: spec.mode: "x" is not a mode\n  a.yaml:9:7: spec.mode: "x" is not a mode');
  assert.equal(two.name, 'PolicyError');
  assert.ok(two instanceof Error);
});

test('PolicyError code: read before yaml before invalid; issues kept and frozen', () => {
  assert.equal(new PolicyError([issue({})]).code, 'POLICY_INVALID');
  assert.equal(new PolicyError([issue({}), issue({ rule: 'yaml' })]).code, 'POLICY_YAML');
  assert.equal(new PolicyError([issue({ rule: 'yaml' }), issue({ rule: 'read' })]).code, 'POLICY_READ');
  const e = new PolicyError([issue({}), issue({ rule: 'duplicate' })]);
  assert.equal(e.issues.length, 2);
  assert.ok(Object.isFrozen(e.issues));
});
