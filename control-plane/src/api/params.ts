// Query parameters of the REST API, parsed with errors that name the parameter and the value.
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../events/event-types.js';
import { badRequest } from './api-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `24h`, `7d` → milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

/** A point in time: a duration back from now (`24h`), an ISO time, or epoch milliseconds. */
export function parseTime(name: string, text: string, now = Date.now()): number {
  const d = parseDuration(text);
  if (d !== undefined) return now - d;
  if (/^\d{10,}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  if (Number.isFinite(t)) return t;
  throw badRequest(`${name}: "${text}" is not a time (24h, 30m, 2024-05-01T12:00:00Z or epoch ms)`, { parameter: name });
}

export function optTime(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  return v === null || v === '' ? undefined : parseTime(name, v);
}

export function optString(q: URLSearchParams, name: string, pattern?: RegExp): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > 512 || (pattern && !pattern.test(v))) throw badRequest(`${name}: "${v.slice(0, 80)}" is not valid here`, { parameter: name });
  return v;
}

export function optInt(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`${name}: must be an integer from ${min} to ${max} (got "${v}")`, { parameter: name });
  return n;
}

export function optSeverity(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!(SEVERITIES as readonly string[]).includes(v)) throw badRequest(`${name}: must be one of ${SEVERITIES.join(', ')} (got "${v}")`, { parameter: name });
  return SEVERITY_RANK[v as Severity];
}

/** `NS/NAME` in the `workload` parameter, or separate `namespace` and `workload`=NAME. */
export function workloadFilter(q: URLSearchParams): { namespace?: string; workload?: string } {
  const w = optString(q, 'workload', /^[a-z0-9.-]+(\/[a-z0-9.-]+)?$/);
  const ns = optString(q, 'namespace', /^[a-z0-9.-]+$/);
  if (w?.includes('/')) {
    const [namespace, workload] = w.split('/');
    return { namespace, workload };
  }
  return { namespace: ns, workload: w };
}
