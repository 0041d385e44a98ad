import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WasmResult } from '../../src/wasm-host/status.js';
import { GET, OK_RESPONSE, POST, httpStream, withPlugin } from './support.js';

const S = (r: WasmResult) => String(r);

describe('header map host functions', () => {
  it('get/add/replace/remove/size/pairs with Envoy semantics', async () => {
    await withPlugin('headers-ops', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(
        [
          [':authority', 'a.test'],
          [':path', '/p'],
          [':method', 'GET'],
          ['user-agent', 'ua'],
          ['x-multi', '1'],
          ['x-multi', '2'],
          ['x-rep', 'old'],
          ['x-del', 'gone'],
        ],
        true,
      );
      const l = s.logs;
      assert.equal(l.get('ho.path'), '/p');
      assert.equal(l.get('ho.multi'), '1', 'the first of repeated values');
      assert.equal(l.get('ho.multi_upper'), '1', 'keys are case-insensitive');
      assert.equal(l.get('ho.missing'), `<${WasmResult.NotFound}>`);
      assert.equal(l.get('ho.size'), String(16 + 7 + 10 + 12 + 16 + 8 + 9), 'sum of key and value lengths');
      for (const k of ['ho.add', 'ho.add_inline', 'ho.add_pseudo', 'ho.replace', 'ho.replace_new', 'ho.remove', 'ho.remove_missing']) {
        assert.equal(l.get(k), '0', k);
      }
      assert.equal(l.get('ho.bad_type'), S(WasmResult.BadArgument));
      assert.deepEqual(sink.first('requestHeaders')![1], [
        [':authority', 'a.test'],
        [':path', '/p'],
        [':method', 'GET'],
        [':custom', 'pseudo'],
        ['user-agent', 'ua,extra'],
        ['x-multi', '1'],
        ['x-multi', '2'],
        ['x-added', 'yes'],
        ['x-rep', 'new'],
        ['x-fresh', 'fresh'],
      ]);
      assert.equal(
        l.get('ho.pairs'),
        ':authority=a.test|:path=/p|:method=GET|:custom=pseudo|user-agent=ua,extra|x-multi=1|x-multi=2|x-added=yes|x-rep=new|x-fresh=fresh',
      );
    });
  });

  it('set_header_map_pairs replaces the map; malformed pairs empty it, as in Envoy', async () => {
    await withPlugin('set-pairs', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.deepEqual(sink.first('requestHeaders')![1], [[':method', 'PUT'], [':path', '/new'], [':authority', 'b.test'], ['x-one', '1']]);
    });
    await withPlugin('set-pairs-malformed', async (m) => {
      const { stream, sink } = httpStream(m);
      stream.decodeHeaders(GET, true);
      assert.equal(m.logs.get('spm.set'), '0');
      assert.equal(m.logs.get('spm.pairs'), '');
      assert.deepEqual(sink.first('requestHeaders')![1], []);
    });
  });

  it('maps outside their phase answer as Envoy does (BadArgument, empty pairs, NotFound in on_log)', async () => {
    await withPlugin('maps-phase', async (s) => {
      const { stream } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(Buffer.from('x'), true);
      stream.encodeHeaders(OK_RESPONSE, true);
      const l = s.logs;
      const bad = `<${WasmResult.BadArgument}>`;
      assert.equal(l.get('rh.resp_get'), bad);
      assert.equal(l.get('rh.resp_add'), S(WasmResult.BadArgument));
      assert.equal(l.get('rh.resp_pairs'), '', 'pairs of an absent map are an empty Ok');
      assert.equal(l.get('rh.resp_size'), S(WasmResult.BadArgument));
      assert.equal(l.get('rh.trailers_get'), bad);
      assert.equal(l.get('rh.call_get'), bad);
      assert.equal(l.get('rh.grpc_get'), bad);
      assert.equal(l.get('rh.missing'), `<${WasmResult.NotFound}>`);
      // Once on_request_headers returned Continue, Envoy lets go of the request headers.
      assert.equal(l.get('rb.req_get'), bad);
      assert.equal(l.get('rb.req_add'), S(WasmResult.BadArgument));
      assert.equal(l.get('rb.trailers_get'), bad);
      assert.equal(l.get('rsh.req_get'), bad);
      assert.equal(l.get('rsh.req_pairs'), '');
      assert.equal(l.get('rsh.resp_get'), '200');
      // proxy_on_log reads the access-log view: headers readable, request trailers NotFound.
      assert.equal(l.get('log.req_path'), '/api/orders');
      assert.equal(l.get('log.req_trailer'), `<${WasmResult.NotFound}>`);
      assert.equal(l.get('log.req_trailer_pairs'), '');
      assert.equal(l.get('log.resp_status'), '200');
      assert.equal(l.get('log.req_size'), S(WasmResult.BadArgument), 'no map to modify in on_log');
      assert.equal(l.get('log.add_resp'), S(WasmResult.BadArgument));
    });
  });
});

describe('buffer host functions', () => {
  it('get/set/status follow Envoy (clipping, prepend, append, replace, no injection)', async () => {
    await withPlugin('buffer-ops', async (s) => {
      const { stream, sink } = httpStream(s);
      stream.decodeHeaders(POST, false);
      stream.decodeData(Buffer.from('hello'), true);
      const l = s.logs;
      assert.equal(l.get('bo.get_all'), 'hello', 'a range past the end is clipped');
      assert.equal(l.get('bo.get_mid'), 'ell');
      assert.equal(l.get('bo.get_past'), '', 'a start past the end reads nothing, Ok');
      assert.equal(l.get('bo.status'), '5');
      assert.equal(l.get('bo.prepend'), '0');
      assert.equal(l.get('bo.append'), '0');
      assert.equal(l.get('bo.middle'), S(WasmResult.BadArgument));
      assert.equal(l.get('bo.replace_head'), '0');
      assert.equal(l.get('bo.after'), '[hello>');
      assert.equal(l.get('bo.bad_type'), S(WasmResult.BadArgument));
      assert.equal(l.get('bo.call_body'), `<${WasmResult.NotFound}>`, 'http call body outside its callback');
      assert.equal(l.get('bo.plugin_cfg'), `<${WasmResult.NotFound}>`, 'plugin configuration outside on_configure');
      assert.equal(l.get('bo.vm_cfg'), `<${WasmResult.NotFound}>`, 'VM configuration outside on_vm_start');
      assert.equal(l.get('bo.resp_body'), '0', 'an absent body buffer is empty');
      assert.equal(l.get('bo.set_resp'), S(WasmResult.BadArgument), 'and read-only');
      assert.equal(l.get('bo.grpc_msg'), '0');
      assert.deepEqual(sink.events[1], ['requestData', '[hello>', true]);
    });
  });

  it('configuration buffers are readable only in their callbacks', async () => {
    await withPlugin('observe', async (s) => {
      const l = s.logs;
      assert.equal(l.matching('vm_start')[0], 'vm_start 1 size=15 cfg=vm-config-bytes plugin_config=<1>');
      assert.equal(l.matching('configure')[0], 'configure 1 observe vm_config=<1>');
      // Envoy sets the plugin configuration while a root's context is created, too.
      assert.equal(l.matching('create 1 0')[0], 'create 1 0 plugin_config=7');
    }, {}, { vmConfiguration: 'vm-config-bytes' });
  });
});

describe('other host functions from a root context', () => {
  it('answer as Envoy does without a stream', async () => {
    await withPlugin('misc', async (s) => {
      const l = s.logs;
      assert.equal(l.get('misc.log_level'), '1', 'the host level (debug)');
      assert.equal(l.get('misc.log_bad_level'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.log_debug'), '0');
      assert.ok(l.lines.some((x) => x.level === 'debug' && x.message === 'debug line'));
      assert.equal(l.get('misc.effective_bad'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.time'), '1');
      assert.equal(l.get('misc.continue_request'), '0');
      assert.equal(l.get('misc.continue_upstream'), S(WasmResult.Unimplemented));
      assert.equal(l.get('misc.continue_bad'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.close_request'), '0');
      assert.equal(l.get('misc.local_reply'), '0');
      assert.equal(l.get('misc.req_body'), '');
      assert.equal(l.get('misc.req_body_status'), '0');
      assert.equal(l.get('misc.set_req_body'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.call_body_status'), `<${WasmResult.NotFound}>`);
      assert.equal(l.get('misc.buffer_bad_type'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.req_header'), `<${WasmResult.BadArgument}>`);
      assert.equal(l.get('misc.req_pairs'), '');
      assert.equal(l.get('misc.req_add'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.req_size'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.set_property'), S(WasmResult.NotFound), 'no filter state without a stream');
      assert.equal(Buffer.from(l.get('misc.plugin_name'), 'hex').toString(), 'test-plugin');
      assert.equal(Buffer.from(l.get('misc.plugin_root_id'), 'hex').toString(), 'test-root');
      assert.equal(l.get('misc.source_address'), `<${WasmResult.NotFound}>`);
      assert.equal(l.get('misc.done'), S(WasmResult.NotFound), 'proxy_done with nothing pending');
      assert.equal(l.get('misc.status'), '0:');
      assert.equal(l.get('misc.grpc_unknown_cluster'), S(WasmResult.ParseFailure));
      assert.equal(l.get('misc.grpc_send_call_token'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.grpc_send_unknown'), S(WasmResult.NotFound));
      assert.equal(l.get('misc.grpc_cancel_http_token'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.grpc_close_unknown'), S(WasmResult.NotFound));
      assert.equal(l.get('misc.http_unknown_cluster'), S(WasmResult.BadArgument));
      assert.equal(l.get('misc.oob_log'), S(WasmResult.InvalidMemoryAccess));
    }, {}, { logLevel: 'debug' });
  });

  it('drops log lines below the host level and reports that level', async () => {
    await withPlugin('misc', async (s) => {
      assert.equal(s.logs.value('misc.log_level'), undefined, 'info lines are dropped');
      assert.ok(!s.logs.messages().includes('debug line'));
    }, {}, { logLevel: 'warn' });
  });

  it('stream operations from an HTTP context: bad types, Unimplemented upstream continue', async () => {
    await withPlugin('stream-ops', async (s) => {
      const { stream } = httpStream(s);
      stream.decodeHeaders(GET, true);
      assert.equal(s.logs.get('so.continue_bad'), S(WasmResult.BadArgument));
      assert.equal(s.logs.get('so.close_bad'), S(WasmResult.BadArgument));
      assert.equal(s.logs.get('so.continue_upstream'), S(WasmResult.Unimplemented));
      assert.equal(s.logs.get('so.continue_downstream'), '0');
      assert.equal(s.logs.get('so.close_downstream'), '0');
    });
  });
});
