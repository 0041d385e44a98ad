import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuestMemory } from '../../src/wasm-host/memory.js';
import { WA } from '../../src/wasm-host/wasm-types.js';
import { POST, httpStream, withPlugin } from './support.js';

describe('GuestMemory', () => {
  it('rebuilds its views after the memory grows, and only then', () => {
    const memory = new WA.Memory({ initial: 1, maximum: 100 });
    const mem = new GuestMemory(memory);
    let next = 1024;
    // An allocator that grows memory whenever it runs out, as a guest's would.
    mem.setAllocator((size) => {
      const p = next;
      next += size;
      while (next > memory.buffer.byteLength) memory.grow(1);
      return p;
    });
    assert.ok(mem.setU32(16, 0xdeadbeef));
    const before = memory.buffer;
    const big = Buffer.alloc(200_000, 7);
    assert.ok(mem.copyToPointerSize(big, 0, 4));
    assert.notEqual(memory.buffer, before, 'the allocation grew memory');
    const ptr = mem.getU32(0)!;
    assert.equal(mem.getU32(4), big.length);
    assert.deepEqual(Buffer.from(mem.view(ptr, big.length)!), big);
    assert.equal(mem.getU32(16), 0xdeadbeef, 'earlier data survives the growth');
  });

  it('answers out-of-bounds accesses with null/false instead of throwing', () => {
    const mem = new GuestMemory(new WA.Memory({ initial: 1 }));
    const size = 65536;
    assert.equal(mem.view(size - 2, 4), null);
    assert.equal(mem.setU32(size - 2, 1), false);
    assert.equal(mem.setU64(size - 4, 1n), false);
    assert.equal(mem.utf8(size, 1), null);
    assert.ok(mem.inBounds(size - 4, 4));
  });

  it('writes an empty value as pointer 0 and size 0 without allocating', () => {
    const mem = new GuestMemory(new WA.Memory({ initial: 1 }));
    let calls = 0;
    mem.setAllocator(() => {
      calls++;
      return 100;
    });
    assert.ok(mem.copyToPointerSize(new Uint8Array(0), 8, 12));
    assert.equal(calls, 0);
    assert.equal(mem.getU32(8), 0);
    assert.equal(mem.getU32(12), 0);
  });

  it('carries a 4 MiB body into a module whose memory grows while it reads it', async () => {
    await withPlugin('big-body', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
      for (let i = 0; i < 4; i++) stream.decodeData(chunk, i === 3);
      const line = s.logs.matching('big ')[0];
      const expectedSum = ((chunk.reduce((a, b) => a + b, 0) * 4) >>> 0).toString();
      assert.match(line, new RegExp(`^big status=0 len=${4 * 1024 * 1024} sum=${expectedSum} `));
      const pages = Number(line.split('mem=')[1]);
      assert.ok(pages > 64, `memory grew to ${pages} pages`);
      const data = sink.first('requestData');
      assert.equal(data?.[1].length, 4 * 1024 * 1024);
      assert.equal(data?.[2], true);
    }, { bufferLimitBytes: 16 * 1024 * 1024 });
  });
});
