// The labelled corpus (test/detection/corpus/*.jsonl) and its replay through the compiled
// filter in the project's proxy-wasm host: one VM, one plugin in protect mode with the WAF on,
// every request driven as Envoy would drive it. Used by the corpus test and bench:detection.
import { readFileSync } from 'node:fs';
import type { HeaderList } from '../../host-agent/src/wasm-host/api.js';
import type { FilterConfig, WafConfig } from '../../control-plane/src/compile/filter-config.js';
import { config, request, startFilter, type Filter, type Json } from '../../filter/test/helpers.js';

export interface CorpusEntry {
  id: string;
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: string;
  label: 'attack' | 'benign';
  class: string;
  evasive: boolean;
  note?: string;
  /** Malformed framing Node's HTTP parser rejects itself: replay through the host only. */
  hostOnly?: boolean;
}

export const CORPUS_DIR = new URL('../../../test/detection/corpus/', import.meta.url);

export function loadCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const file of ['attacks.jsonl', 'benign.jsonl']) {
    const text = readFileSync(new URL(file, CORPUS_DIR), 'utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as CorpusEntry);
  }
  return out;
}

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

export function corpusConfig(waf: Partial<WafConfig> = {}): FilterConfig {
  return config({
    mode: 'protect',
    ingress: [{ id: 'corpus/all/any', name: 'any', from: [], http: [], grpc: [] }],
    waf: { action: 'block', paranoia: 1, threshold: 5, exclusions: [], ...waf },
  });
}

export interface Verdict {
  entry: CorpusEntry;
  blocked: boolean;
  event?: Json;
}

/** Drive one entry through the filter; blocked = the client got the 403. */
export function replayOne(f: Filter, e: CorpusEntry): Verdict {
  const headers: HeaderList = [[':method', latin1(e.method)], [':path', latin1(e.path)], [':authority', 'shop.example'], [':scheme', 'http']];
  for (const [n, v] of e.headers) headers.push([n.toLowerCase(), latin1(v)]);
  const body = e.body !== undefined ? [Buffer.from(e.body, 'utf8')] : [];
  const before = f.logs.length;
  const o = request(f, headers, undefined, body);
  let event: Json | undefined;
  for (let i = before; i < f.logs.length; i++) {
    const m = f.logs[i].message;
    const at = m.indexOf('meshward.event ');
    if (at >= 0 && m.includes('"http.attack"')) event = JSON.parse(m.slice(at + 15)) as Json;
  }
  f.logs.length = 0;
  return { entry: e, blocked: o.status === 403, event };
}

export interface ClassRate {
  class: string;
  label: 'attack' | 'benign';
  total: number;
  correct: number;
  rate: number;
}

export function rates(verdicts: Verdict[]): ClassRate[] {
  const m = new Map<string, ClassRate>();
  for (const v of verdicts) {
    const key = `${v.entry.label}:${v.entry.class}`;
    let r = m.get(key);
    if (!r) {
      r = { class: v.entry.class, label: v.entry.label, total: 0, correct: 0, rate: 0 };
      m.set(key, r);
    }
    r.total++;
    if ((v.entry.label === 'attack') === v.blocked) r.correct++;
  }
  for (const r of m.values()) r.rate = r.correct / r.total;
  return [...m.values()].sort((a, b) => (a.label + a.class < b.label + b.class ? -1 : 1));
}

export async function replayCorpus(entries: CorpusEntry[], waf: Partial<WafConfig> = {}): Promise<Verdict[]> {
  const f = await startFilter(corpusConfig(waf), { logLevel: 'info' });
  try {
    return entries.map((e) => replayOne(f, e));
  } finally {
    await f.close();
  }
}
