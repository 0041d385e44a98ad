// What the channel guard guards: TCP channels (an address, IPv4 or IPv6, or any address, and
// ports) and unix sockets of the node (container runtimes, the kubelet's pod-resources API).
// Names are the policy's `channels.allow[].channel` values. Parsed once, from defaults, the
// environment and `--channel NAME=...` values.
import { isIPv4, isIPv6 } from 'node:net';

export interface ChannelTarget {
  name: string;
  /** An IPv4 or IPv6 address (IPv6 in canonical form: see canonicalAddress); absent: any
   * address on these ports. */
  address?: string;
  ports: number[];
}

/** A unix socket on the node (its path as the host sees it). */
export interface RuntimeSocketTarget {
  name: string;
  path: string;
}

/** Ports of a channel when `--channel NAME=ADDR` gives none. */
export const DEFAULT_PORTS: Readonly<Record<string, readonly number[]>> = {
  istiod: [15010, 15012, 15017],
  'linkerd-destination': [8086],
  'linkerd-identity': [8080],
  'kubernetes-api': [443],
  etcd: [2379, 2380],
  kubelet: [10250],
};

/** The sockets of the usual runtimes and the kubelet's pod-resources API. */
export const DEFAULT_RUNTIME_SOCKETS: readonly RuntimeSocketTarget[] = [
  { name: 'container-runtime', path: '/run/containerd/containerd.sock' },
  { name: 'container-runtime', path: '/var/run/docker.sock' },
  { name: 'container-runtime', path: '/run/crio/crio.sock' },
  { name: 'container-runtime', path: '/var/run/cri-dockerd.sock' },
  { name: 'kubelet', path: '/var/lib/kubelet/pod-resources/kubelet.sock' },
];

/** Processes expected on a channel whatever the policy says (the mesh's own agents). */
export const EXPECTED_PROCESSES: Readonly<Record<string, readonly string[]>> = {
  istiod: ['pilot-agent', 'envoy'],
  'linkerd-destination': ['linkerd-proxy', 'linkerd2-proxy'],
  'linkerd-identity': ['linkerd-proxy', 'linkerd2-proxy'],
};

/** IPv4 as is; IPv6 in the canonical text form (RFC 5952: lower case, the longest run of zero
 * groups compressed), so addresses from configuration and from packets compare as strings. */
export function canonicalAddress(address: string): string {
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) throw new Error(`not an IP address: "${address}"`);
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** Channels known by their ports alone; the Kubernetes API's address (IPv4 or IPv6) comes from
 * KUBERNETES_SERVICE_HOST/PORT; Linkerd's need addresses (`--channel`). */
export function defaultChannels(env: NodeJS.ProcessEnv = process.env): ChannelTarget[] {
  const out: ChannelTarget[] = [
    { name: 'istiod', ports: [...DEFAULT_PORTS.istiod] },
    { name: 'etcd', ports: [...DEFAULT_PORTS.etcd] },
    { name: 'kubelet', ports: [...DEFAULT_PORTS.kubelet] },
  ];
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host && (isIPv4(host) || isIPv6(host))) {
    const port = Number(env.KUBERNETES_SERVICE_PORT ?? 443);
    out.push({ name: 'kubernetes-api', address: canonicalAddress(host), ports: [Number.isInteger(port) && port > 0 && port < 65536 ? port : 443] });
  }
  return out;
}

export type ChannelSpec = { kind: 'tcp'; target: ChannelTarget } | { kind: 'unix'; target: RuntimeSocketTarget };

/** `NAME=ADDR[:PORT]`, `NAME=[IPV6][:PORT]`, `NAME=IPV6` or `NAME=unix:/PATH`. Without a port,
 * the channel's default ports (DEFAULT_PORTS). Throws a message naming what is wrong. */
export function parseChannelSpec(value: string): ChannelSpec {
  const eq = value.indexOf('=');
  const name = eq > 0 ? value.slice(0, eq) : '';
  const rest = value.slice(eq + 1);
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`"${value}": expected NAME=ADDR[:PORT] or NAME=unix:PATH, NAME in lower case letters, digits and -`);
  if (rest.startsWith('unix:')) {
    const path = rest.slice(5);
    if (!path.startsWith('/') || path.includes('\u0000')) throw new Error(`"${value}": a unix channel needs an absolute path`);
    return { kind: 'unix', target: { name, path } };
  }
  let address: string;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) [, address, port] = bracket;
  else if (isIPv6(rest)) address = rest;
  else [address, port] = rest.split(':');
  if (!isIPv4(address) && !isIPv6(address)) throw new Error(`"${value}": "${address}" is not an IPv4 or IPv6 address (write IPv6 with a port as [ADDR]:PORT)`);
  let ports: number[];
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`"${value}": port must be 1-65535`);
    ports = [n];
  } else {
    const d = DEFAULT_PORTS[name];
    if (!d) throw new Error(`"${value}": no port, and "${name}" has no default port (known: ${Object.keys(DEFAULT_PORTS).join(', ')})`);
    ports = [...d];
  }
  return { kind: 'tcp', target: { name, address: canonicalAddress(address), ports } };
}
