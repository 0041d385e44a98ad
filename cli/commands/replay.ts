// `meshward replay FILE.pcap`: the HTTP and TCP streams of a capture through the filter offline,
// with a workload's policy, printing what the filter decided and the events it emitted.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compilePolicyFiles } from '../../control-plane/src/index.js';
import { UsageError, oneOf, parseLabels, parseWorkload } from '../args.js';
import { FILTER_WASM } from '../paths.js';
import { table } from '../table.js';
import { replayCapture } from '../replay/replay.js';
import { loadPeers } from './proxy.js';

export const REPLAY_USAGE = `Usage: meshward replay FILE.pcap [--policy FILE --workload NS/NAME] [options]

Reassembles the TCP connections of a capture (pcap or pcapng: meshward capture, tcpdump, tshark)
and runs them through meshward.wasm offline, as the workload's sidecar would: HTTP/1.x requests
through the HTTP filter, other streams through the network filter. Prints each request's
verdict and every event, as a table or JSON lines.

  --policy FILE          SecurityPolicy YAML (repeatable); without it the workload is in discover
  --workload NS/NAME     the workload the traffic went to (default default/replay)
  --labels k=v,...       its labels, for policy selectors
  --mode MODE            override the policies' mode: discover | monitor | protect
  --peers FILE           {ip, principal, namespace, workload} by source address, as meshward proxy
  --port N               only connections to this server port (repeatable; default all)
  --json                 JSON lines: {"type":"verdict",...} and {"type":"event","event":{...}}
  --wasm FILE            the filter module (default filter/build/meshward.wasm)
`;

export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      policy: { type: 'string', multiple: true },
      workload: { type: 'string' },
      labels: { type: 'string' },
      mode: { type: 'string' },
      peers: { type: 'string' },
      port: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      wasm: { type: 'string' },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('give one capture file');
  const workload = values.workload ? parseWorkload('--workload', values.workload) : { namespace: 'default', name: 'replay' };
  const mode = values.mode === undefined ? undefined : oneOf('--mode', values.mode, ['discover', 'monitor', 'protect'] as const, 'monitor');
  const ports = values.port?.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port must be a port number (got "${p}")`);
    return n;
  });
  let capture: Buffer;
  try {
    capture = readFileSync(positionals[0]);
  } catch (err) {
    throw new UsageError(`cannot read ${positionals[0]}: ${(err as Error).message}`);
  }
  const compiled = compilePolicyFiles(values.policy ?? [], { ...workload, labels: parseLabels('--labels', values.labels) }, { mode, events: { cluster: '' } });
  const r = await replayCapture({
    capture,
    filterConfig: compiled.json,
    wasm: values.wasm ?? FILTER_WASM,
    peers: values.peers ? loadPeers(values.peers) : undefined,
    ports: ports ? new Set(ports) : undefined,
  });
  const out = (s: string) => process.stdout.write(s);
  if (values.json) {
    for (const v of r.verdicts) out(JSON.stringify({ type: 'verdict', ...v }) + '\n');
    for (const e of r.events) out(JSON.stringify({ type: 'event', event: e }) + '\n');
    return 0;
  }
  out(`${positionals[0]}: ${r.stats.frames.frames} frames, ${r.stats.reassembly.opened} connections (${r.stats.inspector.httpConnections} HTTP, ${r.stats.inspector.tcpConnections} TCP), ${r.stats.inspector.requests} requests; policy ${compiled.version}, mode ${compiled.config.mode}\n\n`);
  type Row = { cells: string[] };
  const cols = (headers: string[]) => headers.map((header, i) => ({ header, value: (r: Row) => r.cells[i] }));
  out(table<Row>(r.verdicts.map((v) => ({ cells: [v.connection.client, v.connection.server, v.protocol === 'http' ? v.request : 'tcp stream', v.status ? `${v.verdict} ${v.status}` : v.verdict, v.reason ?? ''] })), cols(['CLIENT', 'SERVER', 'REQUEST', 'VERDICT', 'WHY'])));
  out('\nEvents\n');
  const part = (e: Record<string, unknown>, k: string) => e[k] as Record<string, unknown> | undefined;
  out(table<Row>(r.events.map((e) => {
    const x = e as unknown as Record<string, unknown>;
    const http = part(x, 'http');
    const rule = part(x, 'rule');
    const attack = part(x, 'attack');
    return { cells: [String(x.kind ?? ''), String(x.severity ?? ''), String(x.action ?? ''), String(part(x, 'source')?.ip ?? ''), http ? `${String(http.method ?? '')} ${String(http.path ?? '')}` : String(x.protocol ?? ''), String(rule?.id ?? rule?.name ?? attack?.class ?? '')] };
  }), cols(['KIND', 'SEVERITY', 'ACTION', 'FROM', 'WHAT', 'RULE'])));
  return 0;
}
