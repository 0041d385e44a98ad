import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVm } from '../../src/wasm-host/index.js';
import { WasiErrno } from '../../src/wasm-host/status.js';
import { Logs, fixture, withPlugin } from './support.js';

describe('WASI functions (as cpp-host registers them)', () => {
  it('fd_write logs stdout at info and stderr at error; other fds are BADF', async () => {
    await withPlugin('wasi', async (s) => {
      const l = s.logs;
      assert.equal(l.get('w.stdout'), '0:13', 'the trailing newline counts as written');
      assert.ok(l.lines.some((x) => x.level === 'info' && x.message === 'hello stdout'), 'logged without its newline');
      assert.equal(l.get('w.stderr'), '0:12');
      assert.ok(l.lines.some((x) => x.level === 'error' && x.message === 'hello stderr'));
      assert.equal(l.get('w.badfd'), `${WasiErrno.Badf}:-`);
      assert.equal(l.get('w.unstable'), '0:14', 'wasi_unstable is served too');
      assert.equal(l.get('w.clock_real'), '0:1');
      assert.equal(l.get('w.clock_mono'), '0');
      assert.equal(l.get('w.clock_cpu'), String(WasiErrno.Notsup));
      assert.equal(l.get('w.random'), '0:1');
      assert.equal(l.get('w.random_big'), String(WasiErrno.Inval), 'more than 64 KiB');
      assert.equal(l.get('w.environ'), '0:2:17:MODE=test;EMPTY=');
      assert.equal(l.get('w.args'), '0:0');
      assert.equal(l.get('w.after_proc_exit'), '1', 'proc_exit returns, as in cpp-host');
    }, {}, { environment: { MODE: 'test', EMPTY: '' } });
  });

  it('only some host calls are allowed while the module initializes', async () => {
    await assert.rejects(
      createVm({ module: fixture('restricted_start'), logger: new Logs() }),
      (e: Error & { code?: string }) =>
        e.code === 'WASM_START_FAILED' && /restricted_callback: env\.proxy_set_tick_period_milliseconds/.test(e.message),
    );
  });
});
