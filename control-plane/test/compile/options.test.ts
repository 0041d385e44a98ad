import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompileError } from '../../src/index.js';
import { DEFAULT_EVENTS, DEFAULT_LIMITS } from '../../src/compile/filter-config.js';
import { resolveOptions, type CompileOptions } from '../../src/compile/options.js';

test('no options: the defaults of filter-config.ts, no mode override', () => {
  const r = resolveOptions({});
  assert.deepEqual(r, { mode: undefined, events: DEFAULT_EVENTS, limits: DEFAULT_LIMITS });
  assert.notEqual(r.events, DEFAULT_EVENTS); // a copy: callers cannot change the defaults
});

test('given fields replace defaults; undefined fields keep them', () => {
  const r = resolveOptions({
    mode: 'protect',
    events: { cluster: 'meshward_events', authority: 'cp.meshward:8443', token: 't0k', batchSize: 10, bufferLimit: undefined },
    limits: { maxBodyBytes: 4096 },
  });
  assert.deepEqual(r, {
    mode: 'protect',
    events: { ...DEFAULT_EVENTS, cluster: 'meshward_events', authority: 'cp.meshward:8443', token: 't0k', batchSize: 10 },
    limits: { ...DEFAULT_LIMITS, maxBodyBytes: 4096 },
  });
});

test('every bad option is reported at once', () => {
  const bad = {
    mode: 'block',
    events: {
      authority: '', path: 'v1/events', token: 'a\r\nx-admin: 1', batchSize: 0, flushIntervalMs: 1.5,
      bufferLimit: 2 ** 31, timeoutMs: '5000', colour: 'red',
    },
    limits: { maxBodyBytes: -1 },
  } as unknown as CompileOptions;
  assert.throws(() => resolveOptions(bad), (e: unknown) => {
    assert.ok(e instanceof CompileError);
    assert.equal(e.code, 'COMPILE_OPTIONS_INVALID');
    assert.deepEqual(e.problems, [
      'events.timeoutMs: expected a number, found "5000"',
      'events.colour: unknown option (cluster, authority, path, token, batchSize, flushIntervalMs, bufferLimit, timeoutMs)',
      'mode: "block" is not a mode (discover, monitor, protect)',
      'events.token: must not contain CR, LF or NUL',
      'events.authority: must not be empty',
      'events.path: "v1/events" must start with "/"',
      'events.batchSize: 0 must be an integer from 1 to 2147483647',
      'events.flushIntervalMs: 1.5 must be an integer from 1 to 2147483647',
      'events.bufferLimit: 2147483648 must be an integer from 1 to 2147483647',
      'limits.maxBodyBytes: -1 must be an integer from 1 to 2147483647',
    ]);
    assert.match(e.message, /^10 problems:\n {2}events\.timeoutMs/);
    return true;
  });
});

test('a buffer smaller than a batch is refused', () => {
  assert.throws(() => resolveOptions({ events: { batchSize: 50, bufferLimit: 10 } }),
    /events\.bufferLimit: 10 is smaller than events\.batchSize \(50\), so no batch could fill/);
});
