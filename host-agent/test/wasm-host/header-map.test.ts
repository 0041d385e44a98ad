import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../src/wasm-host/header-map.js';

describe('HeaderMap (Envoy HeaderMapImpl semantics)', () => {
  it('lower-cases keys on every write and lookup', () => {
    const m = HeaderMap.from([['X-Up', 'a']], 'request-headers');
    m.add('X-Other', 'b');
    assert.deepEqual(m.toList(), [['x-up', 'a'], ['x-other', 'b']]);
    assert.equal(m.get('X-UP'), 'a');
  });

  it('inserts pseudo-headers after the last pseudo-header', () => {
    const m = HeaderMap.from([[':method', 'GET'], [':path', '/'], ['accept', '*/*']], 'request-headers');
    m.add(':custom', 'x');
    assert.deepEqual(m.toList().map(([k]) => k), [':method', ':path', ':custom', 'accept']);
  });

  it('appends to an existing inline header with a comma, and keeps other repeats separate', () => {
    const m = HeaderMap.from([['user-agent', 'a'], ['x-multi', '1']], 'request-headers');
    m.add('user-agent', 'b');
    m.add('x-multi', '2');
    assert.deepEqual(m.toList(), [['user-agent', 'a,b'], ['x-multi', '1'], ['x-multi', '2']]);
    assert.deepEqual(m.getAll('x-multi'), ['1', '2']);
    assert.equal(m.get('x-multi'), '1');
  });

  it('replace drops every entry of the key and appends one; remove drops all', () => {
    const m = HeaderMap.from([['a', '1'], ['b', '2'], ['a', '3']], 'other');
    m.replace('a', 'new');
    assert.deepEqual(m.toList(), [['b', '2'], ['a', 'new']]);
    m.remove('a');
    m.remove('absent');
    assert.deepEqual(m.toList(), [['b', '2']]);
  });

  it('byteSize is the sum of key and value lengths', () => {
    const m = HeaderMap.from([[':path', '/abc'], ['k', 'vv']], 'request-headers');
    assert.equal(m.byteSize(), 5 + 4 + 1 + 2);
  });

  it('setInPlace keeps the position; setAll rebuilds with the same insertion rules', () => {
    const m = HeaderMap.from([[':status', '200'], ['content-length', '5'], ['x', 'y']], 'response-headers');
    m.setInPlace('content-length', '9');
    assert.deepEqual(m.toList(), [[':status', '200'], ['content-length', '9'], ['x', 'y']]);
    m.setAll([['x-a', '1'], [':status', '404']]);
    assert.deepEqual(m.toList(), [[':status', '404'], ['x-a', '1']]);
  });
});
