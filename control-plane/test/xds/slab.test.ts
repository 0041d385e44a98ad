// Slab: buffers carved from shared blocks never overlap, and large ones get their own memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slab } from '../../src/xds/slab.js';

describe('Slab', () => {
  it('carves non-overlapping, 8-byte aligned buffers from one block until it is full, then from a new one', () => {
    const slab = new Slab(1024);
    const a = slab.carve(100);
    const b = slab.carve(27);
    assert.equal(a.buffer, b.buffer, 'same block');
    assert.equal(b.byteOffset - a.byteOffset, 104, 'the next one starts 8-byte aligned');
    a.fill(1);
    b.fill(2);
    assert.ok(a.every((x) => x === 1), 'writing b did not touch a');
    const rest: Buffer[] = [];
    for (let i = 0; i < 8; i++) rest.push(slab.carve(120)); // 136 + 8 × 120 bytes > 1,024
    assert.ok(rest.some((r) => r.buffer !== a.buffer), 'a full block is followed by a new one');
    assert.ok(rest.every((r) => r.length === 120));
  });

  it('gives a request above an eighth of a block memory of its own', () => {
    const slab = new Slab(1024);
    const small = slab.carve(16);
    const big = slab.carve(129);
    assert.notEqual(big.buffer, small.buffer);
    assert.equal(big.byteLength, 129);
    assert.equal(slab.carve(16).byteOffset, small.byteOffset + 16, 'the block goes on after it');
  });
});
