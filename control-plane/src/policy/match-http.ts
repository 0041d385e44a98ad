// An `http` entry: which HTTP requests. Shared by every section that matches HTTP.
import { fieldsOf, stringList, type Checker } from './check.js';
import { checkHost } from './names.js';
import { didYouMean } from './suggest.js';
import { HTTP_METHODS, type HttpMatchSpec, type HttpMethod } from './types.js';
import type { TreeNode } from './tree.js';

const HTTP_FIELDS = ['methods', 'paths', 'hosts'] as const;
const ANY = ': omit the field to match any';

export function readHttpMatch(node: TreeNode, path: string, c: Checker): HttpMatchSpec | undefined {
  const f = fieldsOf(node, path, c, HTTP_FIELDS);
  if (!f) return undefined;
  if (!HTTP_FIELDS.some((k) => f.has(k))) {
    c.report(f.map.pos, path, 'one-of',
      `an http entry needs at least one of ${HTTP_FIELDS.join(', ')} (omit "http" to match any request)`);
    return undefined;
  }
  const before = c.issues.length;
  const match: HttpMatchSpec = {};
  const methods = f.optional('methods');
  if (methods) {
    // checkMethod admits only HTTP_METHODS, hence the cast.
    match.methods = stringList(methods, f.pathOf('methods'), c, 'enum', checkMethod, { emptyHint: ANY }) as HttpMethod[] | undefined;
  }
  const paths = f.optional('paths');
  if (paths) {
    match.paths = stringList(paths, f.pathOf('paths'), c, 'format', checkPathPattern, { emptyHint: ANY });
  }
  const hosts = f.optional('hosts');
  if (hosts) {
    match.hosts = stringList(hosts, f.pathOf('hosts'), c, 'format', checkHost, { emptyHint: ANY });
  }
  return c.issues.length === before ? match : undefined;
}

export function checkMethod(value: string): string | undefined {
  if ((HTTP_METHODS as readonly string[]).includes(value)) return undefined;
  const upper = value.toUpperCase();
  const hint = (HTTP_METHODS as readonly string[]).includes(upper)
    ? ` (methods are case-sensitive: did you mean ${JSON.stringify(upper)}?)`
    : value === '*' ? ' (omit methods to match any)' : didYouMean(value, HTTP_METHODS);
  return `${JSON.stringify(value)} is not an HTTP method (${HTTP_METHODS.join(', ')})${hint}`;
}

/** A path pattern: starts with `/`, no query or fragment, `*` and `**` only as whole segments. */
export function checkPathPattern(value: string): string | undefined {
  const q = JSON.stringify(value);
  if (!value.startsWith('/')) return `${q} must start with "/"`;
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return `${q} contains white space or control characters`;
  const query = value.search(/[?#]/);
  if (query >= 0) {
    return `${q}: the query and fragment are not matched, so remove "${value.slice(query)}"`;
  }
  for (const segment of value.slice(1).split('/')) {
    if (segment.includes('*') && segment !== '*' && segment !== '**') {
      return `${q}: "*" and "**" must be whole path segments, found "${segment}"`;
    }
  }
  return undefined;
}
