// A header map with Envoy's HeaderMapImpl semantics, as the Wasm ABI observes them:
// - keys are lower-cased on every write (Http::LowerCaseString);
// - a pseudo-header (":x") is inserted after the last pseudo-header, a regular one at the end;
// - get returns every value of a key, in order (the ABI then hands out the first one);
// - replace (setCopy) removes every entry of the key and appends the new one;
// - byteSize() is the sum of key and value lengths (what proxy_get_header_map_size returns);
// - adding a value to an existing O(1) "inline" header (content-type, user-agent, :path,
//   x-forwarded-for, grpc-status ...) appends it to the existing entry after a ',' instead of
//   adding a second entry (HeaderMapImpl::addCopy -> appendToHeader). The sets below are the
//   inline headers of Envoy's request/response header and trailer maps that a filter is likely
//   to touch; Envoy registers a few more from extensions.
// Entries are [name, value] tuples that are replaced, never mutated, so lists handed out by
// toList() stay valid.

import type { HeaderList } from './api.js';

function lower(key: string): string {
  // Fast path: most keys are already lower case.
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 65 && c <= 90) return key.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return key;
}

export type HeaderMapKind = 'request-headers' | 'response-headers' | 'request-trailers' | 'response-trailers' | 'other';

const INLINE: Record<HeaderMapKind, ReadonlySet<string>> = {
  'request-headers': new Set([
    ':authority', ':method', ':path', ':protocol', ':scheme', 'content-type', 'content-length',
    'user-agent', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'te',
    'connection', 'upgrade', 'via', 'expect', 'keep-alive', 'transfer-encoding', 'proxy-connection',
    'grpc-timeout', 'grpc-accept-encoding', 'accept-encoding', 'authorization', 'referer', 'origin',
  ]),
  'response-headers': new Set([
    ':status', 'content-type', 'content-length', 'date', 'server', 'via', 'connection', 'keep-alive',
    'transfer-encoding', 'upgrade', 'grpc-status', 'grpc-message', 'location', 'content-encoding', 'etag', 'vary',
  ]),
  'request-trailers': new Set<string>(),
  'response-trailers': new Set(['grpc-status', 'grpc-message']),
  other: new Set<string>(),
};

export class HeaderMap {
  private entries: HeaderList;
  private readonly inline: ReadonlySet<string>;

  private constructor(entries: HeaderList, kind: HeaderMapKind) {
    this.entries = entries;
    this.inline = INLINE[kind];
  }

  /** Takes a shallow copy of the list; names are lower-cased. */
  static from(list: HeaderList, kind: HeaderMapKind = 'other'): HeaderMap {
    const entries: HeaderList = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const [k, v] = list[i];
      const lk = lower(k);
      entries[i] = lk === k ? list[i] : [lk, v];
    }
    return new HeaderMap(entries, kind);
  }

  static empty(kind: HeaderMapKind = 'other'): HeaderMap {
    return new HeaderMap([], kind);
  }

  get size(): number {
    return this.entries.length;
  }

  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += k.length + v.length;
    return n;
  }

  /** All values of `key`, in insertion order. */
  getAll(key: string): string[] {
    const k = lower(key);
    const out: string[] = [];
    for (const [name, value] of this.entries) if (name === k) out.push(value);
    return out;
  }

  /** The first value of `key`, or undefined. */
  get(key: string): string | undefined {
    const k = lower(key);
    for (const [name, value] of this.entries) if (name === k) return value;
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  add(key: string, value: string): void {
    const k = lower(key);
    if (this.inline.has(k)) {
      for (let i = 0; i < this.entries.length; i++) {
        const [name, existing] = this.entries[i];
        if (name === k) {
          this.entries[i] = [k, existing.length === 0 ? value : `${existing},${value}`];
          return;
        }
      }
    }
    if (k.charCodeAt(0) === 58 /* ':' */) {
      let i = 0;
      while (i < this.entries.length && this.entries[i][0].charCodeAt(0) === 58) i++;
      this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }

  remove(key: string): void {
    const k = lower(key);
    let j = 0;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i][0] !== k) this.entries[j++] = this.entries[i];
    }
    this.entries.length = j;
  }

  /** Envoy's setCopy: drop every entry of the key, then add one. */
  replace(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  /** Sets an inline header's value where it stands (setStatus, setContentLength...), or adds it. */
  setInPlace(key: string, value: string): void {
    const k = lower(key);
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i][0] === k) {
        this.entries[i] = [k, value];
        return;
      }
    }
    this.add(k, value);
  }

  /** Envoy's setHeaderMapPairs: remove every key, then add each pair in order. */
  setAll(pairs: HeaderList): void {
    this.entries = [];
    for (const [k, v] of pairs) this.add(k, v);
  }

  /** The live entries (do not mutate). */
  pairs(): HeaderList {
    return this.entries;
  }

  /** A copy safe to hand to the proxy. */
  toList(): HeaderList {
    return this.entries.slice();
  }
}
