// Random and mutated requests (and responses) for the detection engine: seeds from the labelled
// corpus and the fuzz corpus (test/detection/fuzz-corpus/), mutated byte by byte, re-encoded,
// split into random chunks, given random content types; plus purely random heads and bodies.
// Each case runs through the filter in the host with the engine and DLP on; a trap fails the
// VM, which the driver checks after every case.
import { readFileSync, readdirSync } from 'node:fs';
import type { HeaderList, WasmVmHandle } from '../../host-agent/src/wasm-host/api.js';
import { FRONTEND, config, prng, startFilter, streamInfo, type Filter } from '../../filter/test/helpers.js';
import { loadCorpus, type CorpusEntry } from './corpus-replay.js';

export const FUZZ_CORPUS = new URL('../../../test/detection/fuzz-corpus/', import.meta.url);

const CONTENT_TYPES = [
  'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=B0und', 'multipart/form-data',
  'application/xml', 'text/xml', 'text/plain', 'application/graphql', 'application/octet-stream', '', 'application/json; charset=utf-8',
  'multipart/form-data; boundary="', 'text/html',
];
const SPECIALS = ["'", '"', '<', '>', '(', ')', ';', '|', '&', '$', '{', '}', '`', '\\', '/', '%', '%2', '%u', '&#', '\\u', '\u0000',
  '\r\n', '--', '/*', '*/', '${', '{{', '<!--#', '<!DOCTYPE', ']]>', '\uFF1C', '\xC0\xAF', '=', '[$ne]', '..', 'javascript:', 'union select', '\ud800'];

export function loadSeeds(): Array<{ headers: HeaderList; body: Buffer }> {
  const seeds: Array<{ headers: HeaderList; body: Buffer }> = [];
  const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const fromEntry = (e: CorpusEntry) => {
    const headers: HeaderList = [[':method', latin1(e.method)], [':path', latin1(e.path)], [':authority', 'shop'], [':scheme', 'http']];
    for (const [n, v] of e.headers) headers.push([n.toLowerCase(), latin1(v)]);
    seeds.push({ headers, body: Buffer.from(e.body ?? '', 'utf8') });
  };
  for (const e of loadCorpus()) fromEntry(e);
  for (const name of readdirSync(FUZZ_CORPUS)) {
    if (!name.endsWith('.txt')) continue;
    const text = readFileSync(new URL(name, FUZZ_CORPUS));
    // a fuzz corpus file is a body; its name says the content type
    const ct = name.startsWith('json') ? 'application/json' : name.startsWith('form') ? 'application/x-www-form-urlencoded'
      : name.startsWith('multipart') ? 'multipart/form-data; boundary=B0und' : name.startsWith('xml') ? 'application/xml' : 'text/plain';
    seeds.push({ headers: [[':method', 'POST'], [':path', '/fuzz'], [':authority', 'shop'], [':scheme', 'http'], ['content-type', ct]], body: text });
  }
  return seeds;
}

export interface FuzzStats {
  cases: number;
  blocked: number;
  memoryBefore: number;
  memoryAfter: number;
  memoryPeak: number;
}

function mutate(rnd: () => number, b: Buffer): Buffer {
  if (b.length === 0 || rnd() < 0.1) return Buffer.from(SPECIALS[Math.floor(rnd() * SPECIALS.length)].repeat(1 + Math.floor(rnd() * 50)), 'latin1');
  const out = Buffer.from(b);
  const n = 1 + Math.floor(rnd() * 8);
  const parts: Buffer[] = [out];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const cur = Buffer.concat(parts);
    parts.length = 0;
    const at = Math.floor(rnd() * (cur.length + 1));
    if (r < 0.3) { // flip a byte
      if (cur.length > 0) cur[Math.min(at, cur.length - 1)] = Math.floor(rnd() * 256);
      parts.push(cur);
    } else if (r < 0.6) { // insert something special
      parts.push(cur.subarray(0, at), Buffer.from(SPECIALS[Math.floor(rnd() * SPECIALS.length)], 'latin1'), cur.subarray(at));
    } else if (r < 0.75) { // cut
      parts.push(cur.subarray(0, at));
    } else if (r < 0.85) { // duplicate a slice
      const end = Math.min(cur.length, at + Math.floor(rnd() * 200));
      parts.push(cur.subarray(0, end), cur.subarray(at, end), cur.subarray(end));
    } else { // percent-encode a slice
      const end = Math.min(cur.length, at + Math.floor(rnd() * 40));
      const enc = [...cur.subarray(at, end)].map((x) => '%' + x.toString(16).padStart(2, '0')).join('');
      parts.push(cur.subarray(0, at), Buffer.from(enc), cur.subarray(end));
    }
  }
  const res = Buffer.concat(parts);
  return res.length > 300_000 ? res.subarray(0, 300_000) : res;
}

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd() < 0.8 ? 0x20 + Math.floor(rnd() * 95) : Math.floor(rnd() * 256);
  return b;
}

function chunks(rnd: () => number, body: Buffer): Buffer[] {
  if (body.length === 0) return [];
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    const n = rnd() < 0.3 ? body.length : 1 + Math.floor(rnd() * Math.max(1, body.length / 3));
    out.push(body.subarray(i, i + n));
    i += n;
  }
  return out;
}

function vmMemory(vm: WasmVmHandle): number {
  // The host's public handle does not expose guest memory; its wrapped VM does.
  return (vm as unknown as { vm: { memory: { size: number } } }).vm.memory.size;
}

export async function startFuzzFilter(): Promise<Filter> {
  return startFilter(config({
    mode: 'protect',
    ingress: [{ id: 'fuzz/all/any', name: 'any', from: [], http: [], grpc: [] }],
    waf: { action: 'block', paranoia: 2, threshold: 5, exclusions: [{ paths: ['/excluded/**'], params: ['query.x*'], classes: ['xss'] }] },
    dlp: { action: 'block', sensors: ['credit-card', 'ssn', 'iban', 'aws-access-key', 'private-key', 'jwt', 'github-token', 'slack-token', 'stack-trace', 'sql-error'],
      custom: [{ name: 'emp', pattern: '(?i)emp-[0-9]{4,8}|x.*y', contexts: ['url', 'header', 'body'] }], requests: true },
    limits: { maxBodyBytes: 131072, maxEventFieldBytes: 256 },
  }), { logLevel: 'error' });
}

/** Run `n` cases; calls `check` every `every` cases (returns early when it throws). */
export function fuzz(f: Filter, seed: number, n: number, onProgress?: (done: number, stats: FuzzStats) => void): FuzzStats {
  const rnd = prng(seed);
  const seeds = loadSeeds();
  const stats: FuzzStats = { cases: 0, blocked: 0, memoryBefore: vmMemory(f.vm), memoryAfter: 0, memoryPeak: 0 };
  const sink = {
    requestHeaders() {}, requestData() {}, requestTrailers() {},
    responseHeaders() {}, responseData() {}, responseTrailers() {}, reset() {},
  };
  let blockedStatus = false;
  const s403 = { ...sink, responseHeaders: (h: HeaderList) => { blockedStatus = h.some(([k, v]) => k === ':status' && v === '403'); } };
  for (let i = 0; i < n; i++) {
    let headers: HeaderList;
    let body: Buffer;
    if (rnd() < 0.85) {
      const s = seeds[Math.floor(rnd() * seeds.length)];
      headers = s.headers.map(([k, v]) => [k, v] as [string, string]);
      body = s.body;
      // mutate the path, a header value, or the body
      const r = rnd();
      if (r < 0.3) headers[1] = [':path', '/' + mutate(rnd, Buffer.from(headers[1][1], 'latin1')).toString('latin1')];
      else if (r < 0.5 && headers.length > 4) {
        const k = 4 + Math.floor(rnd() * (headers.length - 4));
        headers[k] = [headers[k][0], mutate(rnd, Buffer.from(headers[k][1], 'latin1')).toString('latin1')];
      } else body = mutate(rnd, body);
      if (rnd() < 0.2) headers.push(['content-type', CONTENT_TYPES[Math.floor(rnd() * CONTENT_TYPES.length)]]);
    } else {
      headers = [[':method', rnd() < 0.5 ? 'POST' : 'GET'], [':path', '/' + randomBytes(rnd, Math.floor(rnd() * 300)).toString('latin1')],
        [':authority', 'shop'], [':scheme', 'http'], ['content-type', CONTENT_TYPES[Math.floor(rnd() * CONTENT_TYPES.length)]],
        ['cookie', randomBytes(rnd, Math.floor(rnd() * 100)).toString('latin1')], ['user-agent', randomBytes(rnd, 80).toString('latin1')]];
      body = randomBytes(rnd, Math.floor(rnd() * (rnd() < 0.05 ? 200_000 : 3000)));
    }
    // Header values are byte strings; a NUL or CR/LF in a name is not something a codec delivers.
    headers = headers.map(([k, v]) => [k.replace(/[\r\n\0]/g, ''), v]);
    const parts = chunks(rnd, body);
    blockedStatus = false;
    const stream = f.plugin.createHttpStream(streamInfo(FRONTEND), s403);
    stream.decodeHeaders(headers, parts.length === 0);
    parts.forEach((c, k) => stream.decodeData(c, k === parts.length - 1));
    if (!blockedStatus) {
      stream.encodeHeaders([[':status', '200'], ['content-type', rnd() < 0.8 ? 'application/json' : 'image/png']], false);
      const resp = rnd() < 0.5 ? mutate(rnd, body.subarray(0, 2000)) : randomBytes(rnd, Math.floor(rnd() * 4000));
      const rparts = chunks(rnd, resp);
      if (rparts.length === 0) stream.encodeData(new Uint8Array(0), true);
      rparts.forEach((c, k) => stream.encodeData(c, k === rparts.length - 1));
    }
    stream.complete();
    f.logs.length = 0;
    stats.cases++;
    if (blockedStatus) stats.blocked++;
    if (f.vm.failed) throw new Error(`the VM failed at case ${i} (seed ${seed})`);
    if (onProgress && (i + 1) % 10000 === 0) {
      const m = vmMemory(f.vm);
      if (m > stats.memoryPeak) stats.memoryPeak = m;
      onProgress(i + 1, stats);
    }
  }
  stats.memoryAfter = vmMemory(f.vm);
  if (stats.memoryAfter > stats.memoryPeak) stats.memoryPeak = stats.memoryAfter;
  return stats;
}
