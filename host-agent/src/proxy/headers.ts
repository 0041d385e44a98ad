// Conversions between Node's header shapes and the host's HeaderList (lower-case names,
// pseudo-headers first), with the hop-by-hop rules an HTTP proxy must apply when it moves a
// message from one connection to another.
import type { HeaderList } from '../wasm-host/api.js';

/** Connection-specific headers (RFC 9110 §7.6.1): meaningful for one hop only. HTTP/2 forbids
 * them outright, so they are never forwarded; `te` survives only as `te: trailers`. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

export function isHopByHop(name: string, value: string): boolean {
  if (name === 'te') return value.trim().toLowerCase() !== 'trailers';
  return HOP_BY_HOP.has(name);
}

/** Node's rawHeaders ([k, v, k, v, ...]) to pairs with lower-case names. */
export function fromRawHeaders(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** Pseudo-headers first, as Envoy's header maps order them. Stable otherwise. */
export function pseudoFirst(list: HeaderList): HeaderList {
  const pseudo = list.filter(([n]) => n.startsWith(':'));
  if (pseudo.length === 0) return list;
  return [...pseudo, ...list.filter(([n]) => !n.startsWith(':'))];
}

export function getHeader(list: HeaderList, name: string): string | undefined {
  for (const [n, v] of list) if (n === name) return v;
  return undefined;
}

/** For an HTTP/1.1 message out: a flat raw array without pseudo-headers and hop-by-hop fields.
 * `:authority` becomes `host` (request direction). */
export function toHttp1Raw(list: HeaderList): string[] {
  const out: string[] = [];
  let authority: string | undefined;
  let hasHost = false;
  for (const [n, v] of list) {
    if (n === ':authority') {
      authority = v;
      continue;
    }
    if (n.startsWith(':') || isHopByHop(n, v)) continue;
    if (n === 'host') hasHost = true;
    out.push(n, v);
  }
  if (authority !== undefined && !hasHost) out.unshift('host', authority);
  return out;
}

/** For an HTTP/2 message out: Node's header object (repeated names become arrays; `cookie` is
 * joined per RFC 9113 §8.2.3 by Node itself). */
export function toHttp2Object(list: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [n, v] of list) {
    if (isHopByHop(n, v) || n === 'host') continue;
    const prev = out[n];
    if (prev === undefined) out[n] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[n] = [prev, v];
  }
  return out;
}

/** Node's trailers object to pairs. */
export function fromHeaderObject(obj: NodeJS.Dict<string | string[]>): HeaderList {
  const out: HeaderList = [];
  for (const [n, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([n.toLowerCase(), x]);
    else out.push([n.toLowerCase(), String(v)]);
  }
  return out;
}

/** Trailers as an object for Node's addTrailers/sendTrailers. */
export function toTrailerObject(list: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [n, v] of list) {
    if (n.startsWith(':')) continue;
    const prev = out[n];
    if (prev === undefined) out[n] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[n] = [prev, v];
  }
  return out;
}
