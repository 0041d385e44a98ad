// Response configuration (`--responses FILE`, YAML): sinks (webhooks, syslog) and rules that
// send matching incidents or events to them, quarantine the workload, or ask its node's agent
// for a packet capture. Checked when loaded; each problem names the field path and the rule.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../events/event-types.js';
import { TACTICS } from '../correlate/attack-map.js';

export interface WebhookSpec {
  name: string;
  url: string;
  secret?: string;
  maxAttempts?: number;
}

export interface SyslogSpec {
  name: string;
  address: string;
  appName?: string;
  facility?: number;
}

export type Action = { webhook: string } | { syslog: string } | { quarantine: true } | { capture: { seconds: number; filter?: string } };

export interface ResponseRule {
  name: string;
  on: 'incident' | 'event';
  when: {
    minSeverity?: Severity;
    tactics?: string[];
    kinds?: string[];
    namespaces?: string[];
    workloads?: string[];
    /** Incidents: which changes fire the rule (default opened, escalated). */
    changes?: Array<'opened' | 'escalated' | 'updated'>;
  };
  actions: Action[];
}

export interface ResponseConfig {
  webhooks: WebhookSpec[];
  syslog: SyslogSpec[];
  rules: ResponseRule[];
}

export class ResponseConfigError extends Error {
  override readonly name = 'ResponseConfigError';
  readonly code = 'RESPONSE_CONFIG_INVALID';
  constructor(readonly problems: string[], file: string) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function loadResponseConfig(file: string): ResponseConfig {
  return parseResponseConfig(parse(readFileSync(file, 'utf8')) as unknown, file);
}

export function parseResponseConfig(doc: unknown, file = '<responses>'): ResponseConfig {
  const problems: string[] = [];
  const bad = (path: string, msg: string) => problems.push(`${path}: ${msg}`);
  const out: ResponseConfig = { webhooks: [], syslog: [], rules: [] };
  if (doc === null || doc === undefined) return out;
  if (!isObj(doc)) throw new ResponseConfigError(['(document): must be a mapping with webhooks, syslog, rules'], file);
  for (const k of Object.keys(doc)) if (!['webhooks', 'syslog', 'rules'].includes(k)) bad(k, 'unknown field (webhooks, syslog, rules)');
  const list = (key: string): unknown[] => {
    const v = doc[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      bad(key, 'must be a list');
      return [];
    }
    return v;
  };
  const names = (kind: string, items: Array<{ name: string }>) => new Set(items.map((i) => i.name));
  list('webhooks').forEach((w, i) => {
    const p = `webhooks[${i}]`;
    if (!isObj(w)) return bad(p, 'must be a mapping {name, url, secret}');
    if (typeof w.name !== 'string' || !NAME.test(w.name)) bad(`${p}.name`, `must be a lower-case name, found ${JSON.stringify(w.name)}`);
    try {
      const u = new URL(String(w.url));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') bad(`${p}.url`, 'must be http:// or https://');
    } catch {
      bad(`${p}.url`, `must be a URL, found ${JSON.stringify(w.url)}`);
    }
    const secret = typeof w.secretEnv === 'string' ? process.env[w.secretEnv] : w.secret;
    if (secret !== undefined && typeof secret !== 'string') bad(`${p}.secret`, 'must be a string');
    if (w.maxAttempts !== undefined && (!Number.isInteger(w.maxAttempts) || (w.maxAttempts as number) < 1 || (w.maxAttempts as number) > 20)) bad(`${p}.maxAttempts`, 'must be an integer from 1 to 20');
    out.webhooks.push({ name: String(w.name), url: String(w.url), ...(secret ? { secret: secret as string } : {}), ...(w.maxAttempts ? { maxAttempts: w.maxAttempts as number } : {}) });
  });
  list('syslog').forEach((s, i) => {
    const p = `syslog[${i}]`;
    if (!isObj(s)) return bad(p, 'must be a mapping {name, address}');
    if (typeof s.name !== 'string' || !NAME.test(s.name)) bad(`${p}.name`, `must be a lower-case name, found ${JSON.stringify(s.name)}`);
    if (typeof s.address !== 'string' || !/^(udp|tcp):\/\/.+:\d+$/.test(s.address)) bad(`${p}.address`, `must be udp://HOST:PORT or tcp://HOST:PORT, found ${JSON.stringify(s.address)}`);
    if (s.facility !== undefined && (!Number.isInteger(s.facility) || (s.facility as number) < 0 || (s.facility as number) > 23)) bad(`${p}.facility`, 'must be an integer from 0 to 23');
    out.syslog.push({ name: String(s.name), address: String(s.address), ...(typeof s.appName === 'string' ? { appName: s.appName } : {}), ...(typeof s.facility === 'number' ? { facility: s.facility } : {}) });
  });
  const webhooks = names('webhook', out.webhooks);
  const syslogs = names('syslog', out.syslog);
  list('rules').forEach((r, i) => {
    const p = `rules[${i}]`;
    if (!isObj(r)) return bad(p, 'must be a mapping {name, on, when, actions}');
    if (typeof r.name !== 'string' || !NAME.test(r.name)) bad(`${p}.name`, `must be a lower-case name, found ${JSON.stringify(r.name)}`);
    if (r.on !== 'incident' && r.on !== 'event') bad(`${p}.on`, `must be incident or event, found ${JSON.stringify(r.on)}`);
    const when = r.when === undefined ? {} : r.when;
    if (!isObj(when)) bad(`${p}.when`, 'must be a mapping');
    const w = isObj(when) ? when : {};
    for (const k of Object.keys(w)) if (!['minSeverity', 'tactics', 'kinds', 'namespaces', 'workloads', 'changes'].includes(k)) bad(`${p}.when.${k}`, 'unknown field (minSeverity, tactics, kinds, namespaces, workloads, changes)');
    if (w.minSeverity !== undefined && !(SEVERITIES as readonly string[]).includes(String(w.minSeverity))) bad(`${p}.when.minSeverity`, `must be one of ${SEVERITIES.join(', ')}`);
    const strings = (k: string, allowed?: readonly string[]) => {
      const v = w[k];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string')) {
        bad(`${p}.when.${k}`, 'must be a non-empty list of strings');
        return undefined;
      }
      v.forEach((x: string, j) => {
        if (allowed && !allowed.includes(x)) bad(`${p}.when.${k}[${j}]`, `${JSON.stringify(x)} is not one of ${allowed.join(', ')}`);
      });
      return v as string[];
    };
    const actions: Action[] = [];
    if (!Array.isArray(r.actions) || r.actions.length === 0) bad(`${p}.actions`, 'must be a non-empty list');
    (Array.isArray(r.actions) ? r.actions : []).forEach((a: unknown, j: number) => {
      const ap = `${p}.actions[${j}]`;
      if (!isObj(a) || Object.keys(a).length !== 1) return bad(ap, 'must be one of {webhook: NAME}, {syslog: NAME}, {quarantine: true}, {capture: {seconds: N}}');
      if ('webhook' in a) {
        if (!webhooks.has(String(a.webhook))) bad(`${ap}.webhook`, `no webhook named ${JSON.stringify(a.webhook)} (${[...webhooks].join(', ') || 'none defined'})`);
        actions.push({ webhook: String(a.webhook) });
      } else if ('syslog' in a) {
        if (!syslogs.has(String(a.syslog))) bad(`${ap}.syslog`, `no syslog sink named ${JSON.stringify(a.syslog)} (${[...syslogs].join(', ') || 'none defined'})`);
        actions.push({ syslog: String(a.syslog) });
      } else if ('quarantine' in a) {
        if (a.quarantine !== true) bad(`${ap}.quarantine`, 'must be true');
        actions.push({ quarantine: true });
      } else if ('capture' in a) {
        const c = a.capture;
        if (!isObj(c) || !Number.isInteger(c.seconds) || (c.seconds as number) < 1 || (c.seconds as number) > 3600) bad(`${ap}.capture.seconds`, 'must be an integer from 1 to 3600');
        actions.push({ capture: { seconds: isObj(c) ? Number(c.seconds) : 0, ...(isObj(c) && typeof c.filter === 'string' ? { filter: c.filter } : {}) } });
      } else bad(ap, `unknown action ${JSON.stringify(Object.keys(a)[0])} (webhook, syslog, quarantine, capture)`);
    });
    out.rules.push({
      name: String(r.name),
      on: r.on as 'incident' | 'event',
      when: {
        ...(w.minSeverity !== undefined ? { minSeverity: w.minSeverity as Severity } : {}),
        ...(strings('tactics', TACTICS) ? { tactics: w.tactics as string[] } : {}),
        ...(strings('kinds') ? { kinds: w.kinds as string[] } : {}),
        ...(strings('namespaces') ? { namespaces: w.namespaces as string[] } : {}),
        ...(strings('workloads') ? { workloads: w.workloads as string[] } : {}),
        ...(strings('changes', ['opened', 'escalated', 'updated']) ? { changes: w.changes as ResponseRule['when']['changes'] } : {}),
      },
      actions,
    });
  });
  if (problems.length) throw new ResponseConfigError(problems, file);
  return out;
}

export const severityAtLeast = (s: string, min: Severity | undefined) => min === undefined || (SEVERITY_RANK[s as Severity] ?? 0) >= SEVERITY_RANK[min];

export function kindMatches(kind: string, patterns: string[] | undefined): boolean {
  return !patterns || patterns.some((p) => (p.endsWith('.*') ? kind.startsWith(p.slice(0, -1)) : p === kind));
}

export function workloadMatches(ns: string, name: string, w: ResponseRule['when']): boolean {
  if (w.namespaces && !w.namespaces.includes(ns)) return false;
  return !w.workloads || w.workloads.includes(name) || w.workloads.includes(`${ns}/${name}`);
}
