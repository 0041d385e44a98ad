// Replays recorded requests through the real filter (meshward.wasm in the host agent's
// proxy-wasm host, the same engine as in the sidecars) with a given configuration, and says which
// ones it would have stopped and why. Nothing is re-implemented here: the verdict is the
// filter's, read from whether the request reached the upstream and from the event it logged.
import { createVm } from '../../../host-agent/src/wasm-host/index.js';
import type { HeaderList, HostLogger, HttpStreamSink, PropertyMap, WasmPluginHandle, WasmVmHandle } from '../../../host-agent/src/wasm-host/index.js';

export interface ReplayRequest {
  method: string;
  path: string;
  host: string;
  grpc: boolean;
  srcIp: string;
  principal: string;
  namespace: string;
  workload: string;
}

export interface ReplayVerdict {
  blocked: boolean;
  /** The status the caller would have seen (0 when the request passed). */
  status: number;
  /** The event the filter logged for it, if any. */
  kind?: string;
  reason?: string;
  rule?: string;
}

const EVENT_PREFIX = 'meshward.event ';

export class FilterReplayer {
  private lastEvent: { kind?: string; evidence?: { reason?: string }; rule?: { id?: string } | null } | undefined;
  private nextId = 1;

  private constructor(private readonly vm: WasmVmHandle, private readonly plugin: WasmPluginHandle) {}

  /** `configuration`: compiled filter configuration JSON whose events go to the log. */
  static async create(wasm: Uint8Array, configuration: string): Promise<FilterReplayer> {
    let self: FilterReplayer | undefined;
    const logger: HostLogger = {
      log(_level, message) {
        if (self && message.startsWith(EVENT_PREFIX)) {
          try {
            const e = JSON.parse(message.slice(EVENT_PREFIX.length)) as NonNullable<FilterReplayer['lastEvent']>;
            // Flow records (written on the tick) are no verdict on the request being replayed.
            if (!e.kind?.startsWith('flow.')) self.lastEvent = e;
          } catch {
            // not an event line
          }
        }
      },
    };
    const vm = await createVm({ module: wasm, logger, logLevel: 'info' });
    const { plugin, result } = vm.startPlugin({ name: 'meshward-dry-run', configuration, failurePolicy: 'closed' });
    if (!plugin || !result.ok) {
      await vm.close();
      throw new Error(`the filter refused the candidate configuration: ${result.reason ?? 'no reason given'}`);
    }
    self = new FilterReplayer(vm, plugin);
    return self;
  }

  run(r: ReplayRequest): ReplayVerdict {
    this.lastEvent = undefined;
    let passed = false;
    let status = 0;
    const sink: HttpStreamSink = {
      requestHeaders: () => {
        passed = true;
      },
      requestData: () => {},
      requestTrailers: () => {},
      responseHeaders: (headers) => {
        status = Number(headers.find(([k]) => k === ':status')?.[1] ?? 0);
        const grpcStatus = headers.find(([k]) => k === 'grpc-status')?.[1];
        if (grpcStatus && grpcStatus !== '0') status = status || 200;
      },
      responseData: () => {},
      responseTrailers: () => {},
      reset: () => {},
    };
    const properties: PropertyMap = {};
    if (r.principal) properties['meshward_peer.principal'] = { type: 'string', value: r.principal };
    if (r.namespace) properties['downstream_peer.namespace'] = { type: 'string', value: r.namespace };
    if (r.workload) properties['downstream_peer.workload'] = { type: 'string', value: r.workload };
    const stream = this.plugin.createHttpStream({
      connection: { id: this.nextId++, sourceAddress: r.srcIp || '10.255.255.254', sourcePort: 40000, destinationAddress: '127.0.0.1', destinationPort: 8080 },
      protocol: r.grpc ? 'HTTP/2' : 'HTTP/1.1',
      properties,
    }, sink);
    const headers: HeaderList = [[':method', r.grpc ? 'POST' : r.method], [':path', r.path || '/'], [':authority', r.host || 'workload'], [':scheme', 'http']];
    if (r.grpc) headers.push(['content-type', 'application/grpc'], ['te', 'trailers']);
    stream.decodeHeaders(headers, true);
    if (passed) {
      stream.encodeHeaders([[':status', '200']], true);
    }
    stream.complete();
    // Set by the logger during the calls above (TypeScript cannot see that).
    const e = this.lastEvent as FilterReplayer['lastEvent'];
    const blocked = !passed;
    return {
      blocked,
      status: blocked ? status : 0,
      ...(e?.kind ? { kind: e.kind } : {}),
      ...(e?.evidence?.reason ? { reason: e.evidence.reason } : {}),
      ...(e?.rule?.id ? { rule: e.rule.id } : {}),
    };
  }

  async close(): Promise<void> {
    await this.plugin.close();
    await this.vm.close();
  }
}
