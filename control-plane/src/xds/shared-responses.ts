// Streams of one workload's pods ask for the same resources and hold the same versions, so they
// get the same responses. Per resource view (one type of one snapshot: replaced, and so dropped,
// when the snapshot changes) this keeps the set versions and the encoded responses, each with a
// nonce of its own from one count: every stream given that response sends these very bytes (as
// a bare gRPC server writes one message to all), unless it already sent a nonce as high, in
// which case it appends a fresh one (field 5 in DiscoveryResponse and DeltaDiscoveryResponse
// alike; protobuf fields may come in any order, the last one wins). Either way the nonces of a
// stream only grow, so each is unique on it, as the protocol asks. Bounded per view.
import { Slab } from './slab.js';
import type { TypeResources } from './snapshot.js';

/** Entries kept per view and kind; beyond it, responses are encoded per stream. */
const MAX_PER_VIEW = 64;

/** A response as encoded once for the streams that get it. */
export interface SharedResponse {
  /** The response with `nonce`. */
  readonly bytes: Buffer;
  /** `bytes` without its nonce, for a stream that needs another. */
  readonly body: Buffer;
  readonly nonce: string;
  /** The count `nonce` spells: a stream may send `bytes` if it sent no nonce this high. */
  readonly sequence: number;
}

const versions = new WeakMap<TypeResources, Map<string, string>>();
const responses = new WeakMap<TypeResources, Map<string, SharedResponse>>();
let sequence = 0;

/** A nonce never given before in this process: `[sequence, nonce]`. */
export function nextNonce(): [number, string] {
  sequence++;
  return [sequence, sequence.toString(36)];
}

function memoGet<T>(store: WeakMap<TypeResources, Map<string, T>>, view: TypeResources, key: string): T | undefined {
  return store.get(view)?.get(key);
}

function memoSet<T>(store: WeakMap<TypeResources, Map<string, T>>, view: TypeResources, key: string, value: T): T {
  let m = store.get(view);
  if (!m) store.set(view, (m = new Map()));
  if (m.size < MAX_PER_VIEW) m.set(key, value);
  return value;
}

// Lookups and stores are apart, not one call taking a maker: a maker closure would be allocated
// on every call, and nearly every call (every stream of a workload but the first) is a hit.

/** The set version of a subscription's resources in `view`, if computed before. */
export function cachedVersion(view: TypeResources, key: string): string | undefined {
  return memoGet(versions, view, key);
}

export function storeVersion(view: TypeResources, key: string, version: string): string {
  return memoSet(versions, view, key, version);
}

/** The response for `signature` in `view`, if encoded before. */
export function cachedResponse(view: TypeResources, signature: string): SharedResponse | undefined {
  return memoGet(responses, view, signature);
}

/** Keeps `body` (a response encoded with an empty nonce) for `signature` in `view`, with a nonce
 * of its own. */
export function storeResponse(view: TypeResources, signature: string, body: Buffer): SharedResponse {
  const [n, nonce] = nextNonce();
  const bytes = withNonce(body, nonce, true);
  return memoSet(responses, view, signature, { bytes, body: bytes.subarray(0, body.length), nonce, sequence: n });
}

// A response sent to a stream lives only until gRPC has framed it (a copy, at once or when the
// stream drains); one kept for a view lives as long as the view. Each kind has its own slab
// (slab.ts): at a response per stream per push, allocating thousands of small ArrayBuffers cost
// more than the copies, and kept responses in Node's pool would keep whole pools alive.
const sendSlab = new Slab(256 * 1024);
const keptSlab = new Slab(64 * 1024);

/** `body` with field 5 (nonce, a string) appended, for sending at once (`kept`: for keeping as
 * long as a view). */
export function withNonce(body: Buffer, nonce: string, kept = false): Buffer {
  const n = Buffer.byteLength(nonce);
  if (n > 127) throw new RangeError('nonce longer than 127 bytes');
  const out = (kept ? keptSlab : sendSlab).carve(body.length + 2 + n);
  body.copy(out, 0);
  out[body.length] = (5 << 3) | 2;
  out[body.length + 1] = n;
  out.write(nonce, body.length + 2, 'utf8');
  return out;
}
