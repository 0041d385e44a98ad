import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePairs, pairsSize, parsePairs } from '../../src/wasm-host/pairs.js';

describe('pairs serialization (spec "Serialization")', () => {
  it('encodes the spec example byte for byte', () => {
    const bytes = Buffer.from(encodePairs([['a', '1'], ['b', '22']]));
    const expected = Buffer.from([
      2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x61, 0, 0x31, 0, 0x62, 0, 0x32, 0x32, 0,
    ]);
    assert.deepEqual(bytes, expected);
    assert.equal(pairsSize([['a', '1'], ['b', '22']]), expected.length);
  });

  it('round-trips empty values, repeated keys and non-UTF-8 bytes', () => {
    const list: Array<[string, string]> = [['x', ''], ['x', 'two'], ['bin', '\u00ff\u0001']];
    assert.deepEqual(parsePairs(encodePairs(list)), list);
  });

  it('parses an empty map in both spec forms as no pairs', () => {
    assert.deepEqual(parsePairs(new Uint8Array(0)), []);
    assert.deepEqual(parsePairs(Uint8Array.of(0)), []);
    assert.deepEqual(parsePairs(encodePairs([])), []);
  });

  it('turns malformed input into an empty list, as cpp-host toPairs does', () => {
    const good = Buffer.from(encodePairs([['k', 'v']]));
    assert.deepEqual(parsePairs(good.subarray(0, good.length - 1)), [], 'truncated');
    assert.deepEqual(parsePairs(Buffer.concat([good, Buffer.from([0])])), [], 'trailing byte');
    const noNul = Buffer.from(good);
    noNul[noNul.length - 1] = 0x41;
    assert.deepEqual(parsePairs(noNul), [], 'missing NUL');
    const tooMany = Buffer.alloc(4);
    tooMany.writeUInt32LE(1025);
    assert.deepEqual(parsePairs(tooMany), [], 'more than 1024 pairs');
  });
});
