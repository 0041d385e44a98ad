// Path templates: `/api/orders/123` and `/api/orders/456` both become `/api/orders/{id}`, so a
// baseline holds the shape of an API rather than every URL it served. A segment is a parameter
// when it looks like an identifier (number, UUID, long hex, long token with digits); the
// baseline also folds a position into `{name}` once it has seen too many distinct values there
// (baseline.ts). In a SecurityPolicy path a parameter becomes `*` (one segment).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^-?\d+$/;
const HEX = /^[0-9a-f]{12,}$/i;
const TOKEN = /^[A-Za-z0-9_-]{16,}$/;

/** `{id}`, `{uuid}` or undefined for a literal segment. */
export function parameterOf(segment: string): string | undefined {
  if (segment === '') return undefined;
  if (NUMBER.test(segment)) return '{id}';
  if (UUID.test(segment)) return '{uuid}';
  if (HEX.test(segment) && /\d/.test(segment)) return '{id}';
  if (TOKEN.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment)) return '{id}';
  if (segment.includes('@') && segment.length > 3) return '{email}';
  return undefined;
}

export function templatePath(path: string): string {
  const clean = path.split('?')[0] || '/';
  return clean
    .split('/')
    .map((s, i) => (i === 0 ? s : parameterOf(s) ?? s))
    .join('/');
}

export const isParameter = (segment: string): boolean => /^\{[a-z]+\}$/.test(segment);

/** The SecurityPolicy path for a template: parameters become `*`; segments the policy language
 * cannot hold literally (a `*` of its own, `**`) become `*` too. */
export function policyPath(template: string): string {
  return template
    .split('/')
    .map((s, i) => (i === 0 ? s : isParameter(s) || s.includes('*') ? '*' : s))
    .join('/');
}
