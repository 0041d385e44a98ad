import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBuffer, ConstWasmBuffer, MutableWasmBuffer } from '../../src/wasm-host/buffers.js';
import { WasmResult } from '../../src/wasm-host/status.js';

const text = (b: ByteBuffer) => Buffer.from(b.view()).toString();

describe('ByteBuffer', () => {
  it('hands an untouched chunk back without copying it', () => {
    const chunk = Buffer.from('hello');
    const b = ByteBuffer.wrap(chunk);
    assert.equal(b.take(), chunk);
    assert.equal(b.length, 0);
  });

  it('appends, prepends, drains and moves', () => {
    const b = ByteBuffer.wrap(Buffer.from('mid'));
    b.append(Buffer.from('-end'));
    b.prepend(Buffer.from('start-'));
    assert.equal(text(b), 'start-mid-end');
    b.drain(6);
    assert.equal(text(b), 'mid-end');
    const other = ByteBuffer.wrap(Buffer.from('+more'));
    b.move(other);
    assert.equal(text(b), 'mid-end+more');
    assert.equal(other.length, 0);
  });

  it('grows across many appends', () => {
    const b = ByteBuffer.empty();
    for (let i = 0; i < 1000; i++) b.append(Buffer.from('0123456789'));
    assert.equal(b.length, 10_000);
    assert.equal(text(b).slice(9990), '0123456789');
  });
});

describe('WasmBuffer.copyFrom (Envoy Buffer::copyFrom)', () => {
  const make = (s: string) => {
    const b = ByteBuffer.wrap(Buffer.from(s));
    return { b, w: new MutableWasmBuffer(b) };
  };

  it('start 0, length 0 prepends', () => {
    const { b, w } = make('body');
    assert.equal(w.copyFrom(0, 0, Buffer.from('>')), WasmResult.Ok);
    assert.equal(text(b), '>body');
  });

  it('start 0, length n drains n bytes then prepends (length >= size replaces all)', () => {
    const { b, w } = make('body');
    assert.equal(w.copyFrom(0, 2, Buffer.from('XY')), WasmResult.Ok);
    assert.equal(text(b), 'XYdy');
    assert.equal(w.copyFrom(0, 100, Buffer.from('all')), WasmResult.Ok);
    assert.equal(text(b), 'all');
  });

  it('start >= size appends; a start inside the buffer is BadArgument', () => {
    const { b, w } = make('body');
    assert.equal(w.copyFrom(4, 0, Buffer.from('!')), WasmResult.Ok);
    assert.equal(w.copyFrom(0xffffffff, 0, Buffer.from('?')), WasmResult.Ok);
    assert.equal(text(b), 'body!?');
    assert.equal(w.copyFrom(2, 1, Buffer.from('x')), WasmResult.BadArgument);
    assert.equal(text(b), 'body!?');
  });

  it('keeps its own copy of the data (guest memory may change afterwards)', () => {
    const { b, w } = make('');
    const data = Buffer.from('abc');
    w.copyFrom(0, 0, data);
    data.fill(0);
    assert.equal(text(b), 'abc');
  });

  it('read-only buffers refuse writes', () => {
    assert.equal(new ConstWasmBuffer(Buffer.from('cfg')).copyFrom(), WasmResult.BadArgument);
  });
});
