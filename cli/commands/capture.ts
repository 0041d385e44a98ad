// `meshward capture`: a packet capture written as a pcap file that tshark opens and
// `meshward replay` reads. With --workload, through the host agents: the control plane asks the
// agents of the workload's nodes, they capture the pods and upload the file, and it is
// downloaded here. Without it, here, with the agent's capture machinery (the native AF_PACKET
// TPACKET_V3 ring and its BPF filter, optionally inside a pod's network namespace).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tcpFilter } from '../../host-agent/src/capture/bpf.js';
import { loadPrivilegedNative } from '../../host-agent/src/native/native.js';
import { ApiClient } from '../api-client.js';
import { UsageError } from '../args.js';
import { PcapWriter } from '../../host-agent/src/capture/pcap-writer.js';

export const CAPTURE_USAGE = `Usage: meshward capture --workload NS/NAME --output FILE.pcap [--duration S] [--filter EXPR] [--server URL]
       meshward capture --output FILE.pcap [--interface IF] [--port N ...] [options]

Through the host agents (--workload): the control plane asks the agent of each node running the
workload to capture its pods' TCP for --duration seconds (default 10, at most 300); the file of
the first node that answers is written to --output (\`meshward capture --id ID\` fetches another
node's with --node). --filter takes "tcp", "port N", "tcp port N" joined by "or".

  --workload NS/NAME  the workload whose pods are captured
  --pod NAME          only this pod (repeatable)
  --filter EXPR       pcap filter subset (default all TCP)
  --node NODE         with --id: the node whose file to fetch
  --id ID             fetch an earlier capture instead of starting one
  --server URL        the control plane (default $MESHWARD_SERVER, else http://127.0.0.1:7070);
                      the token comes from $MESHWARD_API_TOKEN

Here (no --workload): captures TCP on one interface with the host agent's capture ring (needs root: CAP_NET_RAW, and
CAP_SYS_ADMIN for --netns) and writes a pcap file (tshark, tcpdump, Wireshark, meshward replay).
Stops after --duration, at --count packets, or on Ctrl-C.

  --output FILE       where to write (pcap, nanosecond timestamps, Ethernet framing)
  --interface IF      the interface (default lo)
  --netns PATH        capture inside this network namespace (e.g. /proc/PID/ns/net of a pod)
  --port N            only TCP with this port at either end (repeatable; default all TCP)
  --duration SECONDS  stop after this long
  --count N           stop after N packets
`;

export async function captureCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      output: { type: 'string', short: 'w' },
      interface: { type: 'string', short: 'i' },
      netns: { type: 'string' },
      port: { type: 'string', multiple: true },
      duration: { type: 'string' },
      count: { type: 'string' },
      workload: { type: 'string' },
      pod: { type: 'string', multiple: true },
      filter: { type: 'string' },
      node: { type: 'string' },
      id: { type: 'string' },
      server: { type: 'string' },
    },
    strict: true,
  });
  if (!values.output) throw new UsageError('--output FILE is required');
  if (values.workload || values.id) return captureThroughAgents(values.output, values);
  const ports = (values.port ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port must be a port number (got "${p}")`);
    return n;
  });
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration must be a positive number of seconds (got "${values.duration}")`);
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError(`--count must be a positive integer (got "${values.count}")`);
  const native = loadPrivilegedNative();
  if (!native.ok) throw new Error(`cannot capture: ${native.reason}`);
  const ifname = values.interface ?? 'lo';
  const writer = new PcapWriter(values.output);
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const ring = new native.addon.PacketRing(
    { interface: ifname, netns: values.netns, filter: tcpFilter(ports), blockSize: 1 << 20, blockCount: 8, blockTimeoutMs: 100 },
    (blocks) => {
      for (const b of blocks) writer.writeRingBlock(b, ifname === 'lo');
      if (count !== undefined && writer.packets >= count) stop();
    },
  );
  process.stderr.write(`capturing TCP${ports.length ? ` port ${ports.join(', ')}` : ''} on ${ifname}${values.netns ? ` in ${values.netns}` : ''} into ${values.output} (Ctrl-C stops)\n`);
  const timer = duration === undefined ? undefined : setTimeout(stop, duration * 1000);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await stopped;
  if (timer) clearTimeout(timer);
  // The ring hands up a block when it fills or times out: give the last one its timeout.
  await new Promise((r) => setTimeout(r, 200));
  const stats = ring.stats();
  ring.close();
  writer.close();
  process.stderr.write(`${writer.packets} packets written to ${values.output}${stats.kernelDrops ? ` (${stats.kernelDrops} dropped by the kernel)` : ''}\n`);
  return 0;
}

interface CaptureRecordView {
  id: string;
  status: string;
  durationSeconds: number;
  parts: Array<{ node: string; status: string; message: string; packets: number; bytes: number; truncated: boolean }>;
}

async function captureThroughAgents(
  output: string,
  v: { workload?: string; pod?: string[]; filter?: string; duration?: string; node?: string; id?: string; server?: string },
): Promise<number> {
  const api = new ApiClient({ server: v.server });
  let id = v.id;
  let seconds = 10;
  if (!id) {
    const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(v.workload ?? '');
    if (!m) throw new UsageError(`--workload must be NAMESPACE/NAME (got "${v.workload}")`);
    seconds = v.duration === undefined ? 10 : Number(v.duration);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 300) throw new UsageError(`--duration must be whole seconds from 1 to 300 with --workload (got "${v.duration}")`);
    const started = await api.request<{ capture: CaptureRecordView }>('POST', '/v1/captures', {
      json: { namespace: m[1], workload: m[2], seconds, filter: v.filter ?? '', ...(v.pod ? { pods: v.pod } : {}) },
    });
    id = started.capture.id;
    process.stderr.write(`capture ${id}: the agents of ${m[1]}/${m[2]} capture for ${seconds} s\n`);
  }
  // The agents answer after the duration and the upload; the control plane expires a capture
  // nobody answered a minute after its duration, which ends this wait too.
  let record: CaptureRecordView;
  for (;;) {
    record = (await api.get<{ capture: CaptureRecordView }>(`/v1/captures/${encodeURIComponent(id)}`)).capture;
    if (record.status !== 'requested') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const p of record.parts) process.stderr.write(`  ${p.node}: ${p.status}, ${p.message}\n`);
  if (record.status !== 'done') {
    process.stderr.write(`capture ${id} ${record.status}: no file to fetch\n`);
    return 1;
  }
  const file = await api.download(`/v1/captures/${encodeURIComponent(id)}/pcap${v.node ? `?node=${encodeURIComponent(v.node)}` : ''}`);
  writeFileSync(output, file, { mode: 0o600 });
  process.stderr.write(`${file.length} bytes written to ${output}\n`);
  return 0;
}
