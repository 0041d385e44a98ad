// Plugin-defined metrics with Envoy's semantics (context.cc defineMetric/incrementMetric/
// recordMetric/getMetric and cpp-host's id scheme):
// - ids carry the type in their low two bits (counter 0, gauge 1, histogram 2) and grow by 4 per
//   definition, per VM; defining an existing name again returns a new id for the same metric;
// - a counter only goes up: increment with delta <= 0 is BadArgument; record *adds* the value;
// - a gauge is a uint64: increment adds or subtracts, record sets;
// - a histogram only records; increment and get on it are BadArgument;
// - an id of the right type that was never defined is NotFound.

import { MetricType, WasmResult } from './status.js';

export interface Metric {
  readonly name: string;
  readonly type: MetricType;
  value: bigint;
  /** Histograms: number of samples and their sum. */
  count: bigint;
  sum: bigint;
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** Metrics by name: the stats scope shared by every VM and plugin created from one createVm. */
export class MetricStore {
  private readonly byName = new Map<string, Metric>();

  getOrCreate(name: string, type: MetricType): Metric {
    const key = `${type}:${name}`;
    let m = this.byName.get(key);
    if (!m) {
      m = { name, type, value: 0n, count: 0n, sum: 0n };
      this.byName.set(key, m);
    }
    return m;
  }

  snapshot(): Map<string, { type: 'counter' | 'gauge' | 'histogram'; value: bigint; count?: bigint; sum?: bigint }> {
    const out = new Map<string, { type: 'counter' | 'gauge' | 'histogram'; value: bigint; count?: bigint; sum?: bigint }>();
    for (const m of this.byName.values()) {
      if (m.type === MetricType.Counter) out.set(m.name, { type: 'counter', value: m.value });
      else if (m.type === MetricType.Gauge) out.set(m.name, { type: 'gauge', value: m.value });
      else out.set(m.name, { type: 'histogram', value: m.value, count: m.count, sum: m.sum });
    }
    return out;
  }
}

/** The id space of one VM over a store. */
export class MetricIds {
  private readonly byId = new Map<number, Metric>();
  private next = [0, 1, 2];

  constructor(private readonly store: MetricStore) {}

  define(type: number, name: string): { result: WasmResult; id: number } {
    if (type < 0 || type > MetricType.Histogram) return { result: WasmResult.BadArgument, id: 0 };
    this.next[type] += 4;
    const id = this.next[type];
    this.byId.set(id, this.store.getOrCreate(name, type));
    return { result: WasmResult.Ok, id };
  }

  increment(id: number, delta: bigint): WasmResult {
    const type = id & 3;
    if (type === MetricType.Counter) {
      const m = this.byId.get(id);
      if (!m) return WasmResult.NotFound;
      if (delta <= 0n) return WasmResult.BadArgument;
      m.value = U64(m.value + delta);
      return WasmResult.Ok;
    }
    if (type === MetricType.Gauge) {
      const m = this.byId.get(id);
      if (!m) return WasmResult.NotFound;
      m.value = U64(m.value + delta);
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }

  record(id: number, value: bigint): WasmResult {
    const m = this.byId.get(id);
    if (!m) return WasmResult.NotFound;
    const v = U64(value);
    if (m.type === MetricType.Counter) m.value = U64(m.value + v);
    else if (m.type === MetricType.Gauge) m.value = v;
    else {
      m.value = v;
      m.count += 1n;
      m.sum = U64(m.sum + v);
    }
    return WasmResult.Ok;
  }

  get(id: number): { result: WasmResult; value: bigint } {
    const type = id & 3;
    if (type !== MetricType.Counter && type !== MetricType.Gauge) return { result: WasmResult.BadArgument, value: 0n };
    const m = this.byId.get(id);
    if (!m) return { result: WasmResult.NotFound, value: 0n };
    return { result: WasmResult.Ok, value: m.value };
  }
}
