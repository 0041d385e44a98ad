// Byte buffers as the ABI sees them.
//
// ByteBuffer is a small stand-in for Envoy's Buffer::OwnedImpl: it wraps a chunk without copying
// and copies only when first modified, so data the filter lets through untouched reaches the
// sink as the very Uint8Array the proxy passed in.
//
// WasmBuffer is what proxy_get_buffer_bytes / proxy_set_buffer_bytes / proxy_get_buffer_status
// act on; its copyFrom follows Envoy's Buffer::copyFrom (context.cc):
//   start == 0            -> drain `length` bytes, then prepend the data (so length 0 prepends
//                            and length >= size replaces the whole buffer)
//   start >= buffer size  -> append
//   otherwise             -> BadArgument (no injection in the middle)
// and read-only buffers (configuration, http call body, gRPC message, or a buffer that does not
// exist in this phase) answer BadArgument.

import { WasmResult } from './status.js';
import type { GuestMemory } from './memory.js';

const EMPTY = new Uint8Array(0);

export class ByteBuffer {
  private data: Uint8Array;
  private start = 0;
  private len: number;
  private owned: boolean;

  private constructor(data: Uint8Array, owned: boolean) {
    this.data = data;
    this.len = data.byteLength;
    this.owned = owned;
  }

  static wrap(chunk: Uint8Array): ByteBuffer {
    return new ByteBuffer(chunk, false);
  }

  static empty(): ByteBuffer {
    return new ByteBuffer(EMPTY, false);
  }

  get length(): number {
    return this.len;
  }

  /** The content as a view; valid until the next mutation. */
  view(): Uint8Array {
    return this.data.subarray(this.start, this.start + this.len);
  }

  /** Removes and returns the content (the original chunk when it was never modified). */
  take(): Uint8Array {
    const out =
      !this.owned && this.start === 0 && this.len === this.data.byteLength ? this.data : this.view().slice();
    this.data = EMPTY;
    this.start = 0;
    this.len = 0;
    this.owned = false;
    return out;
  }

  private ensureOwned(headroom: number, tailroom: number): void {
    const need = headroom + this.len + tailroom;
    if (this.owned && this.start >= headroom && this.data.byteLength - this.start - this.len >= tailroom) return;
    const cap = Math.max(64, need * 2);
    const next = new Uint8Array(cap);
    const start = headroom > 0 ? Math.max(headroom, (cap - need) >> 1) : 0;
    next.set(this.view(), start);
    this.data = next;
    this.start = start;
    this.owned = true;
  }

  append(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    if (this.len === 0 && !this.owned) {
      // Adopt the chunk itself: the common case of one chunk per buffer stays copy-free.
      this.data = chunk;
      this.start = 0;
      this.len = chunk.byteLength;
      return;
    }
    this.ensureOwned(0, chunk.byteLength);
    this.data.set(chunk, this.start + this.len);
    this.len += chunk.byteLength;
  }

  prepend(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    if (this.len === 0 && !this.owned) {
      this.data = chunk;
      this.start = 0;
      this.len = chunk.byteLength;
      return;
    }
    this.ensureOwned(chunk.byteLength, 0);
    this.start -= chunk.byteLength;
    this.data.set(chunk, this.start);
    this.len += chunk.byteLength;
  }

  drain(n: number): void {
    const k = Math.min(n, this.len);
    this.start += k;
    this.len -= k;
  }

  /** Appends the other buffer's content and empties it (Envoy's Buffer::move). */
  move(other: ByteBuffer): void {
    if (other === this || other.len === 0) return;
    this.append(other.take());
  }
}

export interface WasmBuffer {
  size(): number;
  /** Copies [start, start+length) into freshly allocated guest memory (bounds already checked). */
  copyTo(mem: GuestMemory, start: number, length: number, ptrPtr: number, sizePtr: number): WasmResult;
  copyFrom(start: number, length: number, data: Uint8Array): WasmResult;
}

/** A buffer the filter may modify (request/response body, downstream/upstream data). */
export class MutableWasmBuffer implements WasmBuffer {
  constructor(private readonly buffer: ByteBuffer) {}

  size(): number {
    return this.buffer.length;
  }

  copyTo(mem: GuestMemory, start: number, length: number, ptrPtr: number, sizePtr: number): WasmResult {
    const bytes = this.buffer.view().subarray(start, start + length);
    return mem.copyToPointerSize(bytes, ptrPtr, sizePtr) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  copyFrom(start: number, length: number, data: Uint8Array): WasmResult {
    // `data` is a view into guest memory: copy it before keeping it.
    if (start === 0) {
      if (length !== 0) this.buffer.drain(length);
      this.buffer.prepend(new Uint8Array(data));
      return WasmResult.Ok;
    }
    if (start >= this.buffer.length) {
      this.buffer.append(new Uint8Array(data));
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }
}

/** A read-only buffer (configuration, http call response body, gRPC message, absent data). */
export class ConstWasmBuffer implements WasmBuffer {
  constructor(private readonly bytes: Uint8Array) {}

  size(): number {
    return this.bytes.byteLength;
  }

  copyTo(mem: GuestMemory, start: number, length: number, ptrPtr: number, sizePtr: number): WasmResult {
    return mem.copyToPointerSize(this.bytes.subarray(start, start + length), ptrPtr, sizePtr)
      ? WasmResult.Ok
      : WasmResult.InvalidMemoryAccess;
  }

  copyFrom(): WasmResult {
    return WasmResult.BadArgument;
  }
}

export const EMPTY_WASM_BUFFER: WasmBuffer = new ConstWasmBuffer(EMPTY);
