// The capture rings of one pod: one on each interface of its network namespace (lo aside), each
// opened from inside that namespace and keeping TCP only. Passive inspection (monitor-traffic.ts)
// and captures on request (capture-service.ts) open them the same way and differ in what they do
// with a block.
import type { NativeAddon, NativePacketRing, PacketRingOptions } from '../native/native.js';
import { tcpFilter } from './bpf.js';
import { interfacesOf } from './netns-info.js';

export interface PodRingOptions extends Omit<PacketRingOptions, 'interface' | 'netns' | 'filter'> {
  /** Only segments from or to one of these ports (none: all TCP). */
  ports: readonly number[];
}

/** Opens a ring on each interface of the network namespace process `pid` is in, handing their
 * blocks to `onBlocks`. An interface whose ring cannot be opened (its filter included) goes to
 * `onError`, and the others are opened still. */
export function openPodRings(
  native: Pick<NativeAddon, 'PacketRing'>,
  procRoot: string,
  pid: number,
  options: PodRingOptions,
  onBlocks: (blocks: Buffer[]) => void,
  onError: (ifname: string, err: Error) => void,
): NativePacketRing[] {
  const { ports, ...ring } = options;
  const netns = `${procRoot}/${pid}/ns/net`;
  const rings: NativePacketRing[] = [];
  for (const ifname of interfacesOf(procRoot, pid)) {
    try {
      rings.push(new native.PacketRing({ ...ring, interface: ifname, netns, filter: tcpFilter(ports) }, onBlocks));
    } catch (err) {
      onError(ifname, err as Error);
    }
  }
  return rings;
}
