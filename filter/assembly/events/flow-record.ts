// Flow records: on each tick, every (entry, status class) counted since the last one becomes one
// event of kind `flow.http` (HTTP and gRPC) or `flow.tcp`, in the envelope every event has
// (docs/flows.md), with a `flow` part: count, firstSeen, lastSeen, statusClass, requestBytes,
// responseBytes. They go through the batcher like any event.
import { ByteBuffer } from "../bytes";
import { FilterConfig } from "../config/filter-config";
import { Batcher } from "./batcher";
import { beginEvent, writePolicy, writeRule, writeTime, writeWorkload } from "./envelope";
import { FlowEntry, FlowTable, STATUS_CLASSES } from "./flow-table";
import { JsonWriter } from "./json-writer";
import { Metric, count } from "../metrics";

const writer = new JsonWriter(1024);
const id = new ByteBuffer(64);

/** Write the table's records into the batcher and reset the table. */
export function reportFlows(table: FlowTable, config: FilterConfig, pod: ArrayBuffer | null, batcher: Batcher, current: u32): void {
  if (table.records > 0) {
    for (let i = 0; i < table.size; i++) {
      const e = table.at(i);
      if (!e.active) continue;
      for (let c = 0; c < STATUS_CLASSES; c++) {
        if (unchecked(e.counts[c]) == 0) continue;
        writeRecord(config, pod, e, c);
        const out = writer.out;
        batcher.emit(out.ptr, out.len, current);
        count(Metric.FlowsReported);
      }
    }
    writer.out.shrink(65536);
  }
  if (table.overflow > 0) {
    batcher.flowsOverflowed(table.overflow);
    table.overflow = 0;
  }
  table.reset();
}

function writeRecord(config: FilterConfig, pod: ArrayBuffer | null, e: FlowEntry, c: i32): void {
  const w = writer;
  const last = unchecked(e.last[c]);
  const limit = <usize>config.limits.maxEventFieldBytes;
  beginEvent(w, id, last, e.tcp ? "flow.tcp" : "flow.http", "info", "allow", config.mode);
  writeWorkload(w, config, pod, limit); // flow records do not count the strings they cut
  w.name("source");
  w.beginObject();
  w.name("ip");
  w.stringBuffer(e.srcIp, limit);
  w.name("principal");
  w.stringBuffer(e.srcPrincipal, limit);
  w.name("namespace");
  w.stringBuffer(e.srcNamespace, limit);
  w.name("workload");
  w.stringBuffer(e.srcWorkload, limit);
  w.endObject();
  w.name("destination");
  w.beginObject();
  w.name("port");
  w.number(<u64>e.dstPort);
  w.name("workload");
  w.stringBuffer(config.workloadName);
  w.endObject();
  w.name("protocol");
  w.stringAscii(e.protocol);
  if (e.tcp) {
    w.name("tcp");
    w.beginObject();
    w.name("operation");
    w.stringBuffer(e.method, limit);
    w.endObject();
  } else {
    w.name("http");
    w.beginObject();
    w.name("method");
    w.stringBuffer(e.method, limit);
    w.name("path");
    w.stringBuffer(e.path, limit);
    w.name("host");
    w.stringBuffer(e.host, limit);
    w.endObject();
    const svc = e.grpcService;
    const m = e.grpcMethod;
    if (svc !== null && m !== null) {
      w.name("grpc");
      w.beginObject();
      w.name("service");
      w.stringBuffer(svc, limit);
      w.name("method");
      w.stringBuffer(m, limit);
      w.endObject();
    }
  }
  w.name("rule");
  const rule = e.rule;
  if (rule !== null) {
    writeRule(w, rule.id, rule.name);
  } else {
    w.nul();
  }
  w.name("attack");
  w.nul();
  writePolicy(w, config);
  w.name("flow");
  w.beginObject();
  w.name("count");
  w.number(unchecked(e.counts[c]));
  w.name("firstSeen");
  writeTime(w, unchecked(e.first[c]));
  w.name("lastSeen");
  writeTime(w, last);
  w.name("statusClass");
  if (c > 0) {
    w.raw(0, 0);
    const out = w.out;
    out.byte(0x22);
    out.byte(<u8>(0x30 + c));
    out.ascii("xx\"");
  } else {
    w.nul();
  }
  w.name("requestBytes");
  w.number(unchecked(e.requestBytes[c]));
  w.name("responseBytes");
  w.number(unchecked(e.responseBytes[c]));
  w.endObject();
  w.name("evidence");
  w.beginObject();
  w.name("reason");
  w.stringAscii(rule !== null ? "allowed by a rule" : "observed");
  w.endObject();
  w.endObject();
}
