// Canonical JSON: object keys sorted by UTF-16 code units, no white space, numbers and strings
// as JSON.stringify writes them (the rules of RFC 8785 for the values a filter config holds).
// Equal documents give equal bytes whatever order their keys were built in, so the version hash
// changes only when the content does.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return write(value, '');
}

/** `sha256:<hex>` of a text, the version format of FilterConfig. */
export function sha256Version(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

function write(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path || 'value'} is ${value}, which JSON cannot hold`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    // Default sort compares UTF-16 code units, as RFC 8785 asks; localeCompare would not.
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue; // as JSON.stringify: an absent optional field
      parts.push(`${JSON.stringify(key)}:${write(v, path ? `${path}.${key}` : key)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: ${path || 'value'} is a ${typeof value}, which JSON cannot hold`);
}
