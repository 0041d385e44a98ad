// The spec's "Serialization" of header maps and gRPC metadata: a u32 count, then (name length,
// value length) u32 pairs, then each name and value followed by a NUL. Names and values are kept
// as latin1 strings so any byte sequence round-trips unchanged.
//
// Parsing follows proxy-wasm-cpp-host's PairsUtil::toPairs: anything malformed (short, trailing
// bytes, a missing NUL, more than 1024 pairs, more than 1 MiB) yields an empty list rather than
// an error, and the host functions then act on that empty list, as in Envoy.

import type { HeaderList } from './api.js';
import type { GuestMemory } from './memory.js';

export const PAIRS_MAX_BYTES = 1024 * 1024;
export const PAIRS_MAX_COUNT = 1024;

export function pairsSize(pairs: HeaderList): number {
  let size = 4;
  for (const [name, value] of pairs) size += 8 + name.length + 1 + value.length + 1;
  return size;
}

/** Writes the serialized pairs at `ptr`, where the caller has allocated pairsSize(pairs) bytes;
 * false (nothing written) when that block is not inside guest memory. */
export function writePairs(mem: GuestMemory, ptr: number, pairs: HeaderList): boolean {
  if (!mem.inBounds(ptr, pairsSize(pairs))) return false;
  mem.writeU32Unchecked(ptr, pairs.length);
  let sizes = ptr + 4;
  let data = ptr + 4 + pairs.length * 8;
  for (const [name, value] of pairs) {
    mem.writeU32Unchecked(sizes, name.length);
    mem.writeU32Unchecked(sizes + 4, value.length);
    sizes += 8;
    data += mem.writeLatin1NulUnchecked(data, name);
    data += mem.writeLatin1NulUnchecked(data, value);
  }
  return true;
}

export function encodePairs(pairs: HeaderList): Uint8Array {
  const out = Buffer.alloc(pairsSize(pairs));
  out.writeUInt32LE(pairs.length, 0);
  let sizes = 4;
  let data = 4 + pairs.length * 8;
  for (const [name, value] of pairs) {
    out.writeUInt32LE(name.length, sizes);
    out.writeUInt32LE(value.length, sizes + 4);
    sizes += 8;
    data += out.write(name, data, 'latin1');
    out[data++] = 0;
    data += out.write(value, data, 'latin1');
    out[data++] = 0;
  }
  return out;
}

export function parsePairs(bytes: Uint8Array): HeaderList {
  const end = bytes.byteLength;
  if (end > PAIRS_MAX_BYTES || end < 4) return [];
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = b.readUInt32LE(0);
  if (count > PAIRS_MAX_COUNT) return [];
  let pos = 4;
  if (pos + count * 8 > end) return [];
  const sizes: number[] = new Array<number>(count * 2);
  for (let i = 0; i < count * 2; i++) {
    sizes[i] = b.readUInt32LE(pos);
    pos += 4;
  }
  const out: HeaderList = new Array(count);
  for (let i = 0; i < count; i++) {
    const nameLen = sizes[2 * i];
    const valueLen = sizes[2 * i + 1];
    if (pos + nameLen + 1 > end) return [];
    const name = b.toString('latin1', pos, pos + nameLen);
    pos += nameLen;
    if (b[pos++] !== 0) return [];
    if (pos + valueLen + 1 > end) return [];
    const value = b.toString('latin1', pos, pos + valueLen);
    pos += valueLen;
    if (b[pos++] !== 0) return [];
    out[i] = [name, value];
  }
  if (pos !== end) return [];
  return out;
}
