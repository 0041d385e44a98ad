// Access to the guest's linear memory. The views over `memory.buffer` are cached and rebuilt only
// when the buffer changed identity (the engine detaches the old ArrayBuffer whenever memory
// grows), so the hot path allocates nothing per call. Data returned to the guest is written once,
// straight into memory the guest allocated (proxy_on_memory_allocate / malloc).

import type { WasmMemory } from './wasm-types.js';

const utf8Decoder = new TextDecoder('utf-8');

export type GuestAllocator = (size: number) => number;

export class GuestMemory {
  private buf: ArrayBuffer | null = null;
  private u8: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private nodeBuf: Buffer = Buffer.alloc(0);
  private allocator: GuestAllocator = () => 0;

  constructor(private readonly memory: WasmMemory) {}

  setAllocator(allocator: GuestAllocator): void {
    this.allocator = allocator;
  }

  private refresh(): void {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.u8 = new Uint8Array(b);
      this.dv = new DataView(b);
      this.nodeBuf = Buffer.from(b);
    }
  }

  get size(): number {
    this.refresh();
    return this.u8.byteLength;
  }

  /** True when [ptr, ptr+len) lies inside memory (cpp-host's getMemory bounds check). */
  inBounds(ptr: number, len: number): boolean {
    this.refresh();
    return ptr + len <= this.u8.byteLength;
  }

  /** A view (no copy) valid until the next allocation in the guest; null when out of bounds. */
  view(ptr: number, len: number): Uint8Array | null {
    this.refresh();
    if (ptr + len > this.u8.byteLength) return null;
    return this.u8.subarray(ptr, ptr + len);
  }

  /** A copy of guest bytes, safe to keep; null when out of bounds. */
  copyOut(ptr: number, len: number): Uint8Array | null {
    this.refresh();
    if (ptr + len > this.u8.byteLength) return null;
    return this.u8.slice(ptr, ptr + len);
  }

  utf8(ptr: number, len: number): string | null {
    this.refresh();
    if (ptr + len > this.u8.byteLength) return null;
    return utf8Decoder.decode(this.u8.subarray(ptr, ptr + len));
  }

  /** Bytes as a latin1 string: one char per byte, so header names and values round-trip exactly. */
  latin1(ptr: number, len: number): string | null {
    this.refresh();
    if (ptr + len > this.u8.byteLength) return null;
    return this.nodeBuf.toString('latin1', ptr, ptr + len);
  }

  getU32(ptr: number): number | null {
    this.refresh();
    if (ptr + 4 > this.u8.byteLength) return null;
    return this.dv.getUint32(ptr, true);
  }

  setU32(ptr: number, value: number): boolean {
    this.refresh();
    if (ptr + 4 > this.u8.byteLength) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  setU64(ptr: number, value: bigint): boolean {
    this.refresh();
    if (ptr + 8 > this.u8.byteLength) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  setU8(ptr: number, value: number): boolean {
    this.refresh();
    if (ptr + 1 > this.u8.byteLength) return false;
    this.u8[ptr] = value;
    return true;
  }

  writeBytes(ptr: number, data: Uint8Array): boolean {
    this.refresh();
    if (ptr + data.byteLength > this.u8.byteLength) return false;
    this.u8.set(data, ptr);
    return true;
  }

  /** Writes a latin1 string at ptr; returns the bytes written (the string's length). */
  writeLatin1(ptr: number, s: string): number {
    this.refresh();
    return this.nodeBuf.write(s, ptr, s.length, 'latin1');
  }

  writeU32Unchecked(ptr: number, value: number): void {
    this.dv.setUint32(ptr, value >>> 0, true);
  }

  /** writeLatin1 and a NUL after it, within bounds the caller checked (inBounds) since the last
   * allocation: header maps are many short strings, for which a loop beats a native call. */
  writeLatin1NulUnchecked(ptr: number, s: string): number {
    const n = s.length;
    if (n < 48) {
      const u8 = this.u8;
      for (let i = 0; i < n; i++) u8[ptr + i] = s.charCodeAt(i);
      u8[ptr + n] = 0;
      return n + 1;
    }
    this.nodeBuf.write(s, ptr, n, 'latin1');
    this.u8[ptr + n] = 0;
    return n + 1;
  }

  /** Allocates `size` bytes in the guest; 0 on failure. Views are refreshed lazily afterwards. */
  allocate(size: number): number {
    const p = this.allocator(size) >>> 0;
    if (p === 0) return 0;
    if (!this.inBounds(p, size)) return 0;
    return p;
  }

  /**
   * cpp-host's copyToPointerSize: for a non-empty value, allocate in the guest and copy the bytes
   * once; then write the pointer (0 for an empty value) and the size.
   */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (data.byteLength > 0) {
      p = this.allocate(data.byteLength);
      if (p === 0) return false;
      this.refresh();
      this.u8.set(data, p);
    }
    return this.setU32(ptrPtr, p) && this.setU32(sizePtr, data.byteLength);
  }

  /** Same as copyToPointerSize for a latin1 string, encoded directly into guest memory. */
  copyLatin1ToPointerSize(s: string, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (s.length > 0) {
      p = this.allocate(s.length);
      if (p === 0) return false;
      this.writeLatin1(p, s);
    }
    return this.setU32(ptrPtr, p) && this.setU32(sizePtr, s.length);
  }
}
