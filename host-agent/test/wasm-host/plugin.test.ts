import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVm } from '../../src/wasm-host/index.js';
import { GET, Logs, OK_RESPONSE, fixture, guarded, httpStream, idOf, withPlugin } from './support.js';

describe('starting a plugin', () => {
  it('runs a configuration canary first, then the live root: create, vm_start, configure', async () => {
    await withPlugin('observe', async (s) => {
      assert.deepEqual(s.logs.messages(), [
        'create 1 0 plugin_config=7',
        'vm_start 1 size=0 cfg= plugin_config=<1>',
        'configure 1 observe vm_config=<1>',
        'create 1 0 plugin_config=7',
        'vm_start 1 size=0 cfg= plugin_config=<1>',
        'configure 1 observe vm_config=<1>',
      ]);
    });
  });

  it('reports why a configuration is refused: on_configure false, a trap, on_vm_start false', async () => {
    const logs = new Logs();
    const vm = await createVm({ module: fixture('abi'), logger: logs });
    try {
      const rejected = vm.startPlugin({ name: 'p', configuration: 'reject' });
      assert.equal(rejected.plugin, undefined);
      assert.deepEqual(rejected.result, { ok: false, reason: 'configuration canary: proxy_on_configure returned false' });
      const trapped = vm.startPlugin({ name: 'p', configuration: 'trap-configure' });
      assert.match(trapped.result.reason ?? '', /proxy_on_configure failed: RuntimeError: unreachable/);
      assert.equal(vm.failed, false, 'the live VM never ran the configuration that trapped');
      assert.equal(logs.matching('configure 1 reject').length, 1, 'only the canary saw it');
    } finally {
      await vm.close();
    }
    const refusing = await createVm({ module: fixture('abi'), vmConfiguration: 'reject-vm', logger: new Logs() });
    try {
      const r = refusing.startPlugin({ name: 'p', configuration: 'observe' });
      assert.equal(r.result.reason, 'configuration canary: proxy_on_vm_start returned false');
    } finally {
      await refusing.close();
    }
  });
});

describe('reconfigure (ECDS update)', () => {
  it('serves new streams with the new root; streams in flight keep theirs; the old root ends after them', async () => {
    await withPlugin('cfg:v1', async (s) => {
      const inFlight = httpStream(s);
      inFlight.stream.decodeHeaders(GET, true);
      assert.deepEqual(inFlight.sink.first('requestHeaders')![1].at(-1), ['x-config', 'cfg:v1']);

      s.logs.clear();
      assert.deepEqual(s.plugin.reconfigure('cfg:v2'), { ok: true });
      const liveConfigure = s.logs.matching('configure ').at(-1)!;
      const newRoot = idOf(liveConfigure);
      assert.notEqual(newRoot, 1, 'a new root context on the same VM');
      assert.ok(s.logs.messages().includes(`vm_start ${newRoot} size=0 cfg= plugin_config=<1>`));

      const fresh = httpStream(s);
      fresh.stream.decodeHeaders(GET, true);
      assert.deepEqual(fresh.sink.first('requestHeaders')![1].at(-1), ['x-config', 'cfg:v2']);
      assert.match(s.logs.matching('create ').at(-1)!, new RegExp(` ${newRoot}$`));

      assert.equal(s.logs.matching('done 1').length, 0, 'the old root waits for its stream');
      inFlight.stream.encodeHeaders(OK_RESPONSE, true);
      assert.deepEqual(inFlight.sink.first('responseHeaders')![1].at(-1), ['x-config', 'cfg:v1'], 'the old configuration answers');
      assert.deepEqual(s.logs.messages().slice(-2), ['done 1', 'delete 1']);
    });
  });

  it('a rejected configuration keeps the old one in force and is counted', async () => {
    await withPlugin('cfg:v1', async (s) => {
      const r = s.plugin.reconfigure('reject');
      assert.equal(r.ok, false);
      assert.match(r.reason ?? '', /proxy_on_configure returned false/);
      const trap = s.plugin.reconfigure('trap-configure');
      assert.equal(trap.ok, false);
      assert.equal(s.plugin.stats().configureRejected, 2);
      assert.equal(s.plugin.stats().vmFailed, false);
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.deepEqual(sink.first('requestHeaders')![1].at(-1), ['x-config', 'cfg:v1']);
    });
  });
});

describe('closing a plugin', () => {
  it('runs on_done on the root and, when it answers "not yet", waits for proxy_done before on_delete', async () => {
    await withPlugin('done-later', async (s) => {
      s.logs.clear();
      const closed = s.plugin.close();
      assert.deepEqual(s.logs.messages(), ['done 1'], 'on_done answered "not yet"');
      // The module calls proxy_done from a later tick.
      await guarded(closed, 'the plugin to close');
      assert.deepEqual(s.logs.messages(), ['done 1', 'proxy_done 0', 'delete 1']);
    });
  });

  it('stats count streams and expose the VM state', async () => {
    await withPlugin('observe', async (s) => {
      const { stream } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.equal(s.plugin.stats().activeStreams, 1);
      stream.encodeHeaders(OK_RESPONSE, true);
      assert.deepEqual(s.plugin.stats(), {
        vmFailed: false,
        failReason: undefined,
        streamsFailedOpen: 0,
        streamsFailedClosed: 0,
        configureRejected: 0,
        httpCallsStarted: 0,
        httpCallsFailed: 0,
        bufferOverflows: 0,
        activeStreams: 0,
      });
    });
  });
});
