// `meshward capture`: a packet capture with the host agent's capture machinery (the native
// AF_PACKET TPACKET_V3 ring and its BPF filter for TCP ports, optionally inside a pod's network
// namespace), written as a pcap file that tshark opens and `meshward replay` reads.
import { parseArgs } from 'node:util';
import { tcpFilter } from '../../host-agent/src/capture/bpf.js';
import { loadPrivilegedNative } from '../../host-agent/src/native/native.js';
import { UsageError } from '../args.js';
import { PcapWriter } from '../replay/pcap-writer.js';

export const CAPTURE_USAGE = `Usage: meshward capture --output FILE.pcap [--interface IF] [--port N ...] [options]

Captures TCP on one interface with the host agent's capture ring (needs root: CAP_NET_RAW, and
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
    },
    strict: true,
  });
  if (!values.output) throw new UsageError('--output FILE is required');
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
