// Reading policies: YAML text of one or more documents, files and directories of them, or plain
// objects (a custom resource fetched as JSON). Every problem of every document is collected;
// the throwing functions throw one PolicyError with all of them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import { Checker } from './check.js';
import { throwIfIssues, type PolicyIssue } from './errors.js';
import { policyKey } from './key.js';
import { treeFromValue, treeFromYaml } from './tree.js';
import type { SecurityPolicy } from './types.js';
import { validateDocument } from './validate.js';

/** A valid policy and where its `metadata.name` was written (line 0 if not from YAML). */
export interface ParsedPolicy {
  policy: SecurityPolicy;
  file: string;
  line: number;
  column: number;
}

export interface ParseResult {
  /** The documents that are valid, in order; empty documents are skipped. */
  policies: ParsedPolicy[];
  issues: PolicyIssue[];
}

/** Parses and validates YAML text without throwing: for editors and the dashboard, which show
 * every issue next to the policies that are fine. Includes duplicate names within the text. */
export function parsePolicies(text: string, file = '<input>'): ParseResult {
  const result = parseDocuments(text, file);
  result.issues.push(...duplicateIssues(result.policies));
  return result;
}

/** The policies in YAML text; throws PolicyError on any issue. */
export function loadPolicies(text: string, file = '<input>'): SecurityPolicy[] {
  const { policies, issues } = parsePolicies(text, file);
  throwIfIssues(issues);
  return policies.map((p) => p.policy);
}

/** Validates a plain object (JSON.parse output, a custom resource from the API server) with the
 * rules YAML gets; issues carry `origin` as their file and no line. Throws PolicyError. */
export function validatePolicyObject(value: unknown, origin = '<object>'): SecurityPolicy {
  const c = new Checker(origin);
  const tree = treeFromValue(value, (pos, message) => c.report(pos, '', 'type', message));
  const validated = c.issues.length === 0 ? validateDocument(tree, c) : undefined;
  throwIfIssues(c.issues);
  return validated!.policy;
}

/** Policies from files and directories (their `*.yaml` and `*.yml` files, in name order, not
 * recursive), in the order given. Throws one PolicyError for every problem in every file,
 * including a (namespace, name) defined twice anywhere. Issues name files as given.
 * Synchronous: policy files are small, and the CLI and the proxy's reload run it in one step. */
export function loadPolicyFiles(paths: readonly string[]): SecurityPolicy[] {
  const issues: PolicyIssue[] = [];
  const policies: ParsedPolicy[] = [];
  for (const file of paths.flatMap((path) => expandPath(path, issues))) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      issues.push(readIssue(file, err));
      continue;
    }
    const result = parseDocuments(text, file);
    policies.push(...result.policies);
    issues.push(...result.issues);
  }
  issues.push(...duplicateIssues(policies));
  throwIfIssues(issues);
  return policies.map((p) => p.policy);
}

/** One issue for every policy whose (namespace, name) an earlier one already has. */
export function duplicateIssues(policies: readonly ParsedPolicy[]): PolicyIssue[] {
  const seen = new Map<string, ParsedPolicy>();
  const issues: PolicyIssue[] = [];
  for (const p of policies) {
    const key = policyKey(p.policy);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, p);
      continue;
    }
    const where = first.line > 0 ? `${first.file}:${first.line}:${first.column}` : first.file;
    issues.push({
      file: p.file, line: p.line, column: p.column, path: 'metadata.name', rule: 'duplicate',
      message: `policy ${JSON.stringify(key)} is already defined at ${where}`,
    });
  }
  return issues;
}

function parseDocuments(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const c = new Checker(file);
  const policies: ParsedPolicy[] = [];
  // Core schema (YAML 1.2): `yes`, `on` and `0755` stay what they look like in 1.2.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const yamlIssue = (e: YAMLError) => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    c.report({ line, column: col }, '', 'yaml', e.message);
  };
  if ('empty' in docs) {
    docs.errors.forEach(yamlIssue);
    docs.warnings.forEach(yamlIssue);
    return { policies, issues: c.issues };
  }
  for (const doc of docs) {
    // A document with a syntax error is not checked further: its tree is a guess, and errors
    // about the guess would bury the one that matters.
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      doc.errors.forEach(yamlIssue);
      doc.warnings.forEach(yamlIssue);
      continue;
    }
    const before = c.issues.length;
    const tree = treeFromYaml(doc, lineCounter, (pos, message) => c.report(pos, '', 'yaml', message));
    if (tree === undefined || c.issues.length !== before) continue;
    const validated = validateDocument(tree, c);
    if (validated) {
      policies.push({ policy: validated.policy, file, line: validated.namePos?.line ?? 0, column: validated.namePos?.column ?? 0 });
    }
  }
  // In file order, as an editor lists them (the validator finds unknown keys of a mapping
  // before the problems inside its values). Array.prototype.sort is stable.
  c.issues.sort((a, b) => a.line - b.line || a.column - b.column);
  return { policies, issues: c.issues };
}

/** A file is itself (a missing one is reported when read); a directory its policy files. */
function expandPath(path: string, issues: PolicyIssue[]): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return [path];
  }
  if (!isDirectory) return [path];
  try {
    return readdirSync(path).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(path, n));
  } catch (err) {
    issues.push(readIssue(path, err));
    return [];
  }
}

function readIssue(file: string, err: unknown): PolicyIssue {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = code ?? (err instanceof Error ? err.message : String(err));
  return { file, line: 0, column: 0, path: '', rule: 'read', message: `cannot read the file (${detail})` };
}

