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

/** The `keys` pattern a learned Redis key stands for: namespaced keys (`user:42`,
 * `cart:42:items`) become their prefix up to the first identifier-like part (`user:*`,
 * `cart:*`), or without one up to the last part (`cache:homepage` → `cache:*`); a key without
 * `:` stays itself unless it is an identifier (`*`). A key holding `*` becomes the prefix before
 * it (the policy allows `*` only at the end), an empty key `*`. */
export function redisKeyPattern(key: string): string {
  const star = key.indexOf('*');
  if (star >= 0) return `${key.slice(0, star)}*`;
  if (key === '') return '*';
  const parts = key.split(':');
  if (parts.length === 1) return parameterOf(key) ? '*' : key;
  for (let i = 0; i < parts.length; i++) {
    if (parameterOf(parts[i])) return i === 0 ? '*' : `${parts.slice(0, i).join(':')}:*`;
  }
  return `${parts.slice(0, -1).join(':')}:*`;
}
