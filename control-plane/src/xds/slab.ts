// Buffers carved from large shared blocks. Node's own pool (Buffer.allocUnsafe) mixes buffers
// that live for a push with ones that live for a snapshot, and one long-lived slice keeps its
// whole pool alive: in a heap snapshot of the server idle with 1,000 streams, ArrayBuffer memory
// was 2.9 MB above the bare grpc-js server's, and 0.5 MB once snapshot bodies and kept responses
// had slabs of their own. A Slab serves one kind of lifetime, so that its blocks are freed
// together, each when the last buffer carved from it goes.

export class Slab {
  private block: Buffer;
  private used = 0;

  /** `blockBytes`: the size of each block; a request above an eighth of it gets its own. */
  constructor(private readonly blockBytes: number) {
    this.block = Buffer.allocUnsafeSlow(blockBytes);
  }

  /** `bytes` uninitialised bytes. */
  carve(bytes: number): Buffer {
    if (bytes > this.blockBytes / 8) return Buffer.allocUnsafeSlow(bytes);
    if (this.used + bytes > this.blockBytes) {
      this.block = Buffer.allocUnsafeSlow(this.blockBytes);
      this.used = 0;
    }
    const out = this.block.subarray(this.used, this.used + bytes);
    this.used += (bytes + 7) & ~7;
    return out;
  }
}
