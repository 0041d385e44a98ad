// What is wrong with a policy, said so that its author can fix it without reading our code:
// where (file, line, column, field path), which rule, and the value found.

/** Stable ids of the rules a policy can break, for programs (the dashboard, tests); people
 * read `message`. */
export type IssueRule =
  | 'read' // the file could not be read
  | 'yaml' // YAML syntax
  | 'type' // wrong kind of value (a list where a string belongs, a number for a label value)
  | 'required' // a required field is missing
  | 'unknown-field'
  | 'enum' // a value outside a fixed set (apiVersion, kind, mode, HTTP method)
  | 'format' // a string of the wrong shape (names, labels, paths, hosts, CIDRs, principals)
  | 'empty' // an empty list or map where emptiness would be ambiguous
  | 'one-of' // mutually exclusive fields, or at least one of several
  | 'duplicate'; // rule names in a policy, policies across documents and files

export interface PolicyIssue {
  /** As given by the caller: the path passed in, or a label such as `<input>`. */
  file: string;
  /** 1-based; 0 when the policy did not come from YAML text (validatePolicyObject). */
  line: number;
  column: number;
  /** Field path from the document root, `spec.ingress[1].http[0].methods[0]`; empty for the
   * document itself. */
  path: string;
  rule: IssueRule;
  /** The rule broken and the value found, without location or path. */
  message: string;
}

export function formatIssue(issue: PolicyIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/**
 * - `POLICY_READ`: a policy file could not be read.
 * - `POLICY_YAML`: a document is not valid YAML (its schema was then not checked).
 * - `POLICY_INVALID`: valid YAML, but not a valid SecurityPolicy, or policies clash.
 * With several kinds of issue the code is the first of that list that applies; `issues` holds
 * all of them.
 */
export type PolicyErrorCode = 'POLICY_READ' | 'POLICY_YAML' | 'POLICY_INVALID';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code: PolicyErrorCode;
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[]) {
    const lines = issues.map(formatIssue);
    super(lines.length === 1 ? lines[0] : `${lines.length} problems in policies:\n  ${lines.join('\n  ')}`);
    this.issues = Object.freeze([...issues]);
    this.code = issues.some((i) => i.rule === 'read')
      ? 'POLICY_READ'
      : issues.some((i) => i.rule === 'yaml')
        ? 'POLICY_YAML'
        : 'POLICY_INVALID';
  }
}

/** Throws a PolicyError carrying `issues` unless there are none. */
export function throwIfIssues(issues: readonly PolicyIssue[]): void {
  if (issues.length > 0) throw new PolicyError(issues);
}
