// Serialize header pairs the way proxy-wasm takes them (proxy_http_call,
// proxy_send_local_response): u32 count, count × (u32 name length, u32 value length), then each
// name and value followed by a NUL.
import { ByteBuffer } from "../bytes";

const MAX_PAIRS = 16;

export class HeaderPairs {
  private count: i32 = 0;
  private ptrs: StaticArray<usize> = new StaticArray<usize>(MAX_PAIRS * 2);
  private lens: StaticArray<usize> = new StaticArray<usize>(MAX_PAIRS * 2);
  private keep: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(MAX_PAIRS * 2);

  reset(): void {
    for (let i = 0; i < this.count * 2; i++) unchecked(this.keep[i] = null);
    this.count = 0;
  }

  /** Add a pair of byte buffers (kept alive until reset). */
  add(name: ArrayBuffer, value: ArrayBuffer): void {
    if (this.count >= MAX_PAIRS) return;
    const i = this.count * 2;
    unchecked(this.ptrs[i] = changetype<usize>(name));
    unchecked(this.lens[i] = <usize>name.byteLength);
    unchecked(this.keep[i] = name);
    unchecked(this.ptrs[i + 1] = changetype<usize>(value));
    unchecked(this.lens[i + 1] = <usize>value.byteLength);
    unchecked(this.keep[i + 1] = value);
    this.count++;
  }

  serialize(out: ByteBuffer): void {
    out.reset();
    const n = this.count;
    let total: usize = 4 + <usize>n * 8;
    for (let i = 0; i < n * 2; i++) total += unchecked(this.lens[i]) + 1;
    out.reserve(total);
    const base = out.ptr;
    store<u32>(base, <u32>n);
    for (let i = 0; i < n * 2; i++) store<u32>(base + 4 + <usize>i * 4, <u32>unchecked(this.lens[i]));
    let at = base + 4 + <usize>n * 8;
    for (let i = 0; i < n * 2; i++) {
      const len = unchecked(this.lens[i]);
      if (len > 0) memory.copy(at, unchecked(this.ptrs[i]), len);
      store<u8>(at + len, 0);
      at += len + 1;
    }
    out.len = total;
  }
}
