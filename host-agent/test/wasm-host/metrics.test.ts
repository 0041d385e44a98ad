import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricIds, MetricStore } from '../../src/wasm-host/metrics.js';
import { MetricType, WasmResult } from '../../src/wasm-host/status.js';
import { withPlugin } from './support.js';

describe('metrics (Envoy defineMetric / incrementMetric / recordMetric / getMetric)', () => {
  it('ids carry the type in their low bits and grow by 4', () => {
    const ids = new MetricIds(new MetricStore());
    assert.deepEqual(
      [ids.define(MetricType.Counter, 'a').id, ids.define(MetricType.Gauge, 'b').id, ids.define(MetricType.Histogram, 'c').id, ids.define(MetricType.Counter, 'd').id],
      [4, 5, 6, 8],
    );
    assert.equal(ids.define(3, 'x').result, WasmResult.BadArgument);
  });

  it('a gauge is a wrapping uint64', () => {
    const ids = new MetricIds(new MetricStore());
    const g = ids.define(MetricType.Gauge, 'g').id;
    assert.equal(ids.increment(g, -1n), WasmResult.Ok);
    assert.equal(ids.get(g).value, 0xffffffffffffffffn);
  });

  it('behaves as Envoy for each operation, seen from the module', async () => {
    await withPlugin('metrics', async (s) => {
      const l = s.logs;
      assert.equal(l.get('m.define_counter'), '0');
      assert.equal(l.get('m.ids'), '4,5,6');
      assert.equal(l.get('m.define_bad'), String(WasmResult.BadArgument));
      assert.equal(l.get('m.inc_counter'), '0');
      assert.equal(l.get('m.inc_counter_zero'), String(WasmResult.BadArgument), 'a counter cannot be incremented by 0');
      assert.equal(l.get('m.inc_counter_negative'), String(WasmResult.BadArgument), 'nor decremented');
      assert.equal(l.get('m.record_counter'), '0');
      // Two runs of on_configure: the configuration canary's, then the live VM's. Envoy's
      // canary shares the stats scope, so the live run starts from the canary's counts.
      assert.deepEqual(l.matching('m.counter='), ['m.counter=8', 'm.counter=17'], 'record on a counter adds');
      assert.equal(l.get('m.inc_gauge_negative'), '0');
      assert.equal(l.get('m.gauge'), '7');
      assert.equal(l.get('m.record_hist'), '0');
      assert.equal(l.get('m.inc_hist'), String(WasmResult.BadArgument));
      assert.equal(l.get('m.get_hist'), String(WasmResult.BadArgument));
      assert.equal(l.get('m.get_unknown'), String(WasmResult.NotFound));
      assert.equal(l.get('m.record_unknown'), String(WasmResult.NotFound));
      assert.equal(l.get('m.inc_unknown'), String(WasmResult.NotFound));
      // Defining the same name again gives a new id on the same metric.
      assert.deepEqual(l.matching('m.same_name='), ['m.same_name=8:9', 'm.same_name=8:18']);

      const m = s.plugin.metrics();
      assert.equal(m.get('requests_total')?.type, 'counter');
      assert.equal(m.get('requests_total')?.value, 18n);
      assert.equal(m.get('in_flight')?.type, 'gauge');
      assert.equal(m.get('in_flight')?.value, 7n);
      assert.equal(m.get('latency_ms')?.type, 'histogram');
      assert.equal(m.get('latency_ms')?.value, 42n);
      assert.equal(m.get('latency_ms')?.count, 2n);
    });
  });
});
