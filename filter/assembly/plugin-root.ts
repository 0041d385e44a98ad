// The root (plugin) context: the filter's factory. It parses the plugin configuration once into
// an immutable FilterConfig and keeps the last good one: a rejected update (on_configure
// answers false, the reason is logged with its field path) leaves the previous configuration in
// force on this root, and a host that keeps its previous root (Envoy on ECDS) keeps it too. It
// owns the event batcher, the flow table and the tick; each stream (abi/exports.ts) takes its config.
import {
  BufferType, LogLevel, MapType, done, getBufferBytes, getHeaderValue, getProperty,
  propertyPath, setTickPeriod, valueSize,
} from "./abi/host";
import { copyBytes, utf8 } from "./bytes";
import { ConfigParser } from "./config/config-parser";
import { FilterConfig, modeName } from "./config/filter-config";
import { Batcher } from "./events/batcher";
import { nowMillis } from "./events/clock";
import { seedEventIds } from "./events/event-id";
import { reportFlows } from "./events/flow-record";
import { FlowTable } from "./events/flow-table";
import { debug, enabled, info, refreshLogLevel, warn } from "./log";
import { Metric, count, defineMetrics } from "./metrics";

const P_POD_NAME = propertyPath("node.metadata.NAME");
const H_STATUS = utf8(":status");

const parser = new ConfigParser();
/** Version of the configuration last applied by any root of this VM (for log lines). */
let lastApplied: string | null = null;

export class PluginRoot {
  /** The configuration in force (the last one accepted), or null before the first. */
  config: FilterConfig | null = null;
  readonly batcher: Batcher;
  /** Allowed flows counted since the last tick (events/flow-table.ts). */
  readonly flows: FlowTable = new FlowTable();
  /** node.metadata.NAME, read at configure time. */
  pod: ArrayBuffer | null = null;
  private closing: bool = false;

  constructor(readonly contextId: u32) {
    this.batcher = new Batcher(contextId);
  }

  onStart(_vmConfigurationSize: usize): bool {
    defineMetrics();
    refreshLogLevel();
    seedEventIds();
    return true;
  }

  validateConfiguration(size: usize): bool {
    return this.parse(<u32>size) !== null;
  }

  onConfigure(size: u32): bool {
    defineMetrics();
    refreshLogLevel();
    const config = this.parse(size);
    if (config === null) {
      count(Metric.ConfigRejected);
      const reason = parser.error;
      const previous = this.config;
      const kept = previous !== null ? String.UTF8.decode(previous.version) : lastApplied;
      warn("configuration rejected: " + (reason !== null ? reason : "invalid") +
        (kept !== null ? " (version " + kept + " stays in force)" : ""));
      return false;
    }
    if (enabled(LogLevel.Debug)) {
      for (let i = 0; i < parser.unknownFields.length; i++) {
        debug("configuration: ignoring unknown field " + parser.unknownFields[i]);
      }
    }
    this.config = config;
    lastApplied = String.UTF8.decode(config.version);
    this.batcher.configure(config);
    this.flows.configure(config);
    this.pod = this.readPod();
    // The tick sends batches and writes flow records (to the log too, without a cluster).
    setTickPeriod(config.events.logOnly && !config.reporting.flows ? 0 : config.events.flushIntervalMs);
    count(Metric.ConfigApplied);
    info("configuration applied: version " + String.UTF8.decode(config.version) + ", mode " +
      modeName(config.mode) + ", " + config.ingress.length.toString() + " ingress rules");
    return true;
  }

  private parse(size: u32): FilterConfig | null {
    if (size == 0) {
      parser.error = "the configuration is empty";
      return null;
    }
    const buf = getBufferBytes(BufferType.PluginConfiguration, 0, size);
    if (buf === null) {
      parser.error = "the configuration could not be read from the host";
      return null;
    }
    return parser.parse(changetype<usize>(buf), valueSize, enabled(LogLevel.Debug));
  }

  private readPod(): ArrayBuffer | null {
    const buf = getProperty(P_POD_NAME);
    if (buf === null) return null;
    return copyBytes(changetype<usize>(buf), valueSize);
  }

  onTick(): void {
    refreshLogLevel();
    this.reportFlows();
    this.batcher.onTick(nowMillis());
    if (this.closing && this.batcher.idle) {
      this.closing = false;
      done();
    }
  }

  onHttpCallResponse(token: u32, headers: u32, _bodySize: u32, _trailers: u32): void {
    let status: u32 = 0;
    if (headers > 0) {
      const value = getHeaderValue(MapType.HttpCallResponseHeaders, H_STATUS);
      if (value !== null) status = parseStatus(changetype<usize>(value), valueSize);
    }
    this.batcher.onResponse(token, status);
    if (this.closing && this.batcher.idle) {
      this.closing = false;
      done();
    }
  }

  /** The plugin is being removed: try to send what waits; false until that is finished. */
  onDone(): bool {
    this.reportFlows();
    if (this.batcher.close()) return true;
    this.closing = true; // proxy_done() follows when the last call is answered (or times out)
    return false;
  }

  private reportFlows(): void {
    const config = this.config;
    if (config !== null) reportFlows(this.flows, config, this.pod, this.batcher, this.contextId);
  }

  onDelete(): void {
    this.batcher.abandon();
  }
}

function parseStatus(p: usize, len: usize): u32 {
  if (len == 0 || len > 3) return 0;
  let v: u32 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c < 0x30 || c > 0x39) return 0;
    v = v * 10 + (<u32>c - 0x30);
  }
  return v;
}
