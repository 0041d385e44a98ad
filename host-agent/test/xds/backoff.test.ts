// Reconnect delays: exponential, capped, jittered between half and all of each step, reset
// after a healthy stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/xds/backoff.js';

describe('Backoff', () => {
  it('doubles from baseMs up to maxMs, each delay within [step/2, step]', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    const lows = Array.from({ length: 6 }, () => low.next());
    const highs = Array.from({ length: 6 }, () => Math.round(high.next()));
    assert.deepEqual(lows, [50, 100, 200, 400, 500, 500]);
    assert.deepEqual(highs, [100, 200, 400, 800, 1000, 1000]);
  });

  it('is jittered: a fleet does not retry in step', () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff({ baseMs: 500 }).next()));
    assert.ok(delays.size > 40);
  });

  it('starts again from baseMs after reset', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    b.next();
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 50);
  });

  it('defaults to 500 ms, capped at 30 s', () => {
    const b = new Backoff({ random: () => 0.999999 });
    assert.equal(Math.round(b.next()), 500);
    for (let i = 0; i < 20; i++) b.next();
    assert.equal(Math.round(b.next()), 30_000);
  });

  it('refuses nonsense', () => {
    assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ baseMs: 100, maxMs: 50 }), RangeError);
  });
});
