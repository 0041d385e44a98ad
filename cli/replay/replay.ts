// Offline replay: the TCP connections of a capture, reassembled in TypeScript (the host agent's
// reassembler), handed to meshward.wasm through the host agent's proxy-wasm host the way the
// agent's inspector hands live traffic to it: HTTP/1.x connections as one HTTP stream per request,
// anything else as a TCP stream through the network filter. Inspection is the filter's alone.
// The filter runs as the sidecar would (inline: protect blocks), so the verdicts are the ones a
// live proxy with the same configuration gives; what it blocks is read off the stream (a local
// reply instead of forwarding, a closed connection), and its events off its log.
import type { AgentEvent } from '../../host-agent/src/events/agent-event.js';
import { isFlowRecord, type MeshwardEvent } from '../../control-plane/src/events/event-types.js';
import { FilterHost, type Plugin } from '../../host-agent/src/capture/filter-host.js';
import { PassiveConnection, newInspectorStats, type InspectorStats } from '../../host-agent/src/capture/passive-inspector.js';
import { TcpReassembler, type ReassemblyStats } from '../../host-agent/src/capture/tcp-reassembly.js';
import type { HeaderList, HttpFilterStream, HttpStreamInfo, HttpStreamSink, NetworkStreamInfo, NetworkStreamSink, PropertyMap } from '../../host-agent/src/wasm-host/api.js';
import type { PeerIdentity } from '../../host-agent/src/index.js';
import { frameToSegment, type FrameStats } from './frames.js';
import { readCapture } from './pcap-reader.js';

export interface ReplayOptions {
  capture: Uint8Array;
  /** The workload's compiled filter configuration (JSON), as its sidecar has it. */
  filterConfig: string;
  wasm: Uint8Array | string;
  /** Peer identity by source address, as `meshward proxy --peers` gives it. */
  peers?: Map<string, PeerIdentity>;
  /** Only connections to these server ports (default all). */
  ports?: Set<number>;
}

export interface Verdict {
  /** Capture time of the connection's first segment, seconds since the epoch. */
  connection: { id: number; client: string; server: string };
  protocol: 'http' | 'tcp';
  /** `GET /path` for HTTP, '' for TCP. */
  request: string;
  /** allowed: forwarded untouched; blocked: the filter answered (status) or closed the stream. */
  verdict: 'allowed' | 'blocked';
  /** The status the filter answered with, when it answered. */
  status?: number;
  reason?: string;
}

export interface ReplayResult {
  verdicts: Verdict[];
  events: AgentEvent[];
  stats: { frames: FrameStats; reassembly: ReassemblyStats; inspector: InspectorStats };
}

const header = (h: HeaderList, name: string) => h.find(([n]) => n === name)?.[1] ?? '';

function peerProperties(peers: Map<string, PeerIdentity> | undefined, ip: string): PropertyMap | undefined {
  const p = peers?.get(ip);
  if (!p) return undefined;
  // The same properties `meshward proxy` sets for a plaintext peer (host-agent/src/proxy/exchange-factory.ts).
  const props: PropertyMap = {};
  if (p.workload) props['downstream_peer.workload'] = { type: 'string', value: p.workload };
  if (p.namespace) props['downstream_peer.namespace'] = { type: 'string', value: p.namespace };
  if (p.principal) props['meshward_peer.principal'] = { type: 'string', value: p.principal };
  return props;
}

/** The plugin as the inspector sees it, wrapped: streams get the peer's identity, and each
 * stream's outcome is recorded from what the filter did with it. */
function observedPlugin(plugin: Plugin, peers: Map<string, PeerIdentity> | undefined, record: (v: Verdict) => void): Plugin {
  const conn = (c: HttpStreamInfo['connection']) => ({ id: c.id, client: `${c.sourceAddress}:${c.sourcePort}`, server: `${c.destinationAddress}:${c.destinationPort}` });
  return {
    name: plugin.name,
    reconfigure: (c) => plugin.reconfigure(c),
    metrics: () => plugin.metrics(),
    stats: () => plugin.stats(),
    close: () => plugin.close(),
    createHttpStream(info: HttpStreamInfo, sink: HttpStreamSink): HttpFilterStream {
      const v: Verdict = { connection: conn(info.connection), protocol: 'http', request: '', verdict: 'allowed' };
      let upstreamStatus: string | undefined;
      let recorded = false;
      const done = () => {
        if (!recorded) record(v);
        recorded = true;
      };
      const block = (status: number | undefined, reason: string) => {
        if (v.verdict === 'blocked') return;
        v.verdict = 'blocked';
        if (status !== undefined) v.status = status;
        v.reason = reason;
      };
      const watching: HttpStreamSink = {
        ...sink,
        requestHeaders: (h, end) => sink.requestHeaders(h, end),
        responseHeaders(h, end) {
          // A response the upstream did not send (or not this status) is the filter's own answer.
          const status = header(h, ':status');
          if (upstreamStatus === undefined || status !== upstreamStatus) block(Number(status), upstreamStatus === undefined ? 'answered by the filter' : 'response replaced by the filter');
          sink.responseHeaders(h, end);
        },
        responseData: (d, end) => sink.responseData(d, end),
        requestData: (d, end) => sink.requestData(d, end),
        requestTrailers: (t) => sink.requestTrailers(t),
        responseTrailers: (t) => sink.responseTrailers(t),
        reset(reason) {
          block(undefined, `reset: ${reason}`);
          sink.reset(reason);
        },
      };
      const s = plugin.createHttpStream({ ...info, properties: { ...info.properties, ...peerProperties(peers, info.connection.sourceAddress) } }, watching);
      return {
        decodeHeaders(h, end) {
          v.request = `${header(h, ':method')} ${header(h, ':path')}`;
          s.decodeHeaders(h, end);
        },
        decodeData: (d, end) => s.decodeData(d, end),
        decodeTrailers: (t) => s.decodeTrailers(t),
        encodeHeaders(h, end) {
          upstreamStatus = header(h, ':status');
          s.encodeHeaders(h, end);
        },
        encodeData: (d, end) => s.encodeData(d, end),
        encodeTrailers: (t) => s.encodeTrailers(t),
        onReset(reason) {
          s.onReset(reason);
          done();
        },
        complete() {
          s.complete();
          done();
        },
      };
    },
    createNetworkStream(info: NetworkStreamInfo, sink: NetworkStreamSink) {
      const v: Verdict = { connection: conn(info.connection), protocol: 'tcp', request: '', verdict: 'allowed' };
      record(v);
      return plugin.createNetworkStream({ ...info, properties: { ...info.properties, ...peerProperties(peers, info.connection.sourceAddress) } }, {
        ...sink,
        upstreamWrite: (d, end) => sink.upstreamWrite(d, end),
        downstreamWrite: (d, end) => sink.downstreamWrite(d, end),
        close(side, reason) {
          if (v.verdict !== 'blocked') Object.assign(v, { verdict: 'blocked', reason: `closed ${side}: ${reason}` });
          sink.close(side, reason);
        },
      });
    },
  };
}

export async function replayCapture(o: ReplayOptions): Promise<ReplayResult> {
  const events: AgentEvent[] = [];
  const verdicts: Verdict[] = [];
  // Per-request events only: flow records (flow.*) count a whole tick's requests, no verdict.
  const host = new FilterHost({ wasm: o.wasm, onEvent: (e) => void (isFlowRecord(e as unknown as MeshwardEvent) || events.push(e)), log: () => {} });
  try {
    const plugin = observedPlugin(await host.plugin('replay', o.filterConfig, 'inline'), o.peers, (v) => verdicts.push(v));
    const inspector = newInspectorStats();
    const frames: FrameStats = { frames: 0, tcp: 0, other: 0, unsupportedLink: 0 };
    const reassembly = new TcpReassembler({
      open: (endpoints) => (o.ports && !o.ports.has(endpoints.server.port) ? undefined : new PassiveConnection(plugin, endpoints, inspector)),
      isServerPort: o.ports ? (p) => o.ports!.has(p) : undefined,
      idleMs: Number.MAX_SAFE_INTEGER,
    });
    for (const frame of readCapture(o.capture)) {
      const seg = frameToSegment(frame, frames);
      if (seg) reassembly.segment(seg);
    }
    reassembly.close();
    // Closing the plugin flushes the events it still holds.
    await plugin.close();
    // A TCP stream stays open when the filter refuses one statement in it (it answers that one
    // itself): the connection's blocking events say so.
    for (const v of verdicts) {
      if (v.protocol !== 'tcp' || v.verdict === 'blocked') continue;
      const blocked = events.find((e) => {
        const x = e as unknown as { action?: string; kind?: string; source?: { ip?: string; port?: number } };
        return x.action === 'block' && `${x.source?.ip}:${x.source?.port}` === v.connection.client;
      }) as unknown as { kind: string } | undefined;
      if (blocked) Object.assign(v, { verdict: 'blocked', reason: `${blocked.kind} (the connection stays open)` });
    }
    return { verdicts: verdicts.sort((a, b) => a.connection.id - b.connection.id), events, stats: { frames, reassembly: reassembly.stats, inspector } };
  } finally {
    await host.close();
  }
}
