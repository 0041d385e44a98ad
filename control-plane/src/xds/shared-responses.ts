// Streams of one workload's pods ask for the same resources and hold the same versions, so their
// responses differ only by nonce. Per resource view (one type of one snapshot: replaced, and so
// dropped, when the snapshot changes) this keeps the set versions and the encoded responses
// without nonce; a stream appends its nonce (field 5 in DiscoveryResponse and
// DeltaDiscoveryResponse alike; protobuf fields may come in any order). Bounded per view.
import type { TypeResources } from './snapshot.js';

/** Entries kept per view and kind; beyond it, responses are encoded per stream. */
const MAX_PER_VIEW = 64;

const versions = new WeakMap<TypeResources, Map<string, string>>();
const bodies = new WeakMap<TypeResources, Map<string, Buffer>>();

function memo<T>(store: WeakMap<TypeResources, Map<string, T>>, view: TypeResources, key: string, make: () => T): T {
  let m = store.get(view);
  if (!m) store.set(view, (m = new Map()));
  let v = m.get(key);
  if (v === undefined) {
    v = make();
    if (m.size < MAX_PER_VIEW) m.set(key, v);
  }
  return v;
}

/** The set version of a subscription's resources in `view`, computed once per view and key. */
export function sharedVersion(view: TypeResources, key: string, make: () => string): string {
  return memo(versions, view, key, make);
}

/** A response without nonce, encoded once per view and signature. */
export function sharedBody(view: TypeResources, signature: string, encode: () => Buffer): Buffer {
  return memo(bodies, view, signature, encode);
}

/** `body` with field 5 (nonce, a string) appended. */
export function withNonce(body: Buffer, nonce: string): Buffer {
  const n = Buffer.byteLength(nonce);
  if (n > 127) throw new RangeError('nonce longer than 127 bytes');
  const out = Buffer.allocUnsafe(body.length + 2 + n);
  body.copy(out, 0);
  out[body.length] = (5 << 3) | 2;
  out[body.length + 1] = n;
  out.write(nonce, body.length + 2, 'utf8');
  return out;
}
