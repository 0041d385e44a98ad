// Canonical JSON: object keys sorted by UTF-16 code units, no white space, numbers and strings
// as JSON.stringify writes them (the rules of RFC 8785 for the values a filter config holds).
// Equal documents give equal bytes whatever order their keys were built in, so the version hash
// changes only when the content does.
import { hash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return write(value, '');
}

/** The members of an object's canonical JSON, `[key, value text]` sorted by key: documents that
 * share most fields write those once and join them with their own (joinMembers). */
export function canonicalMembers(value: object): [key: string, text: string][] {
  const members: [string, string][] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) members.push([key, write(v, key)]);
  }
  return members;
}

/**
 * canonicalJson of objects that hold `members` (as canonicalMembers gives them) and the keys
 * `varying`, whose values differ from one object to the next: a function of those values' JSON
 * texts, in the order of `varying`. The fixed parts are joined once.
 */
export function canonicalTemplate(members: readonly [key: string, text: string][], varying: readonly string[]): (...texts: string[]) => string {
  const all: { key: string; text?: string; slot?: number }[] = [...members.map(([key, text]) => ({ key, text })), ...varying.map((key, slot) => ({ key, slot }))];
  all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const pieces: string[] = [];
  const slots: number[] = [];
  let fixed = '{';
  all.forEach((m, i) => {
    fixed += `${i > 0 ? ',' : ''}${JSON.stringify(m.key)}:`;
    if (m.slot === undefined) fixed += m.text;
    else {
      pieces.push(fixed);
      slots.push(m.slot);
      fixed = '';
    }
  });
  pieces.push(`${fixed}}`);
  return (...texts) => {
    let out = pieces[0];
    for (let i = 0; i < slots.length; i++) out += texts[slots[i]] + pieces[i + 1];
    return out;
  };
}

/** `sha256:<hex>` of a text, the version format of FilterConfig. */
export function sha256Version(text: string): string {
  return `sha256:${hash('sha256', text, 'hex')}`;
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
