// Shared by the policy tests: YAML built line by line, so that line numbers in assertions can be
// read off the source, and issues summarised as `line:column path [rule]`.
import { formatIssue, parsePolicies, type PolicyIssue } from '../../src/index.js';

export function lines(...text: string[]): string {
  return text.join('\n') + '\n';
}

/** Lines 1-5 of a valid policy; spec fields added after it start on line 6 at column 3. */
export const HEAD = [
  'apiVersion: meshward.io/v1alpha1',
  'kind: SecurityPolicy',
  'metadata: {name: orders, namespace: shop}',
  'spec:',
  '  selector: {matchLabels: {app: orders}}',
];

export function policyWith(...specLines: string[]): string {
  return lines(...HEAD, ...specLines);
}

export function issues(text: string, file = 'p.yaml'): PolicyIssue[] {
  return parsePolicies(text, file).issues;
}

export function summary(text: string): string[] {
  return issues(text).map((i) => `${i.line}:${i.column} ${i.path} [${i.rule}]`);
}

export function formatted(text: string, file = 'p.yaml'): string[] {
  return issues(text, file).map(formatIssue);
}

/** The one issue of `text`; fails when there are none or several. */
export function onlyIssue(text: string): PolicyIssue {
  const found = issues(text);
  if (found.length !== 1) throw new Error(`expected exactly one issue, got ${found.length}:\n${found.map(formatIssue).join('\n')}`);
  return found[0];
}
