// The schema of the workload sections (`processes`, `files`, `ports`, `channels`, `traffic`):
// what the host agent enforces on the workload itself rather than on its requests. Kept beside
// types.ts (which holds the request-side sections); SecurityPolicySpec names them.
import type { PolicyMode } from './types.js';

/** Absolute path patterns: `*` matches within one segment, `**` any number of segments. */
export type ProcessPattern = string;

export const PROCESS_ENFORCEMENTS = ['refuse', 'kill'] as const;
export type ProcessEnforcement = (typeof PROCESS_ENFORCEMENTS)[number];

export interface ProcessesSpec {
  /** Absent: the policy's mode. */
  mode?: PolicyMode;
  /** Executables the workload may run. Absent: only what discover mode learned. */
  allow?: ProcessPattern[];
  /** protect: refuse the exec before it runs (default), or kill the process after it started. */
  enforcement?: ProcessEnforcement;
}

/** Who may touch which files: every path pattern with every process pattern. */
export interface FileRuleSpec {
  paths: ProcessPattern[];
  processes: ProcessPattern[];
}

export interface FilesSpec {
  mode?: PolicyMode;
  /** Allowed writers of watched paths (binaries, libraries, /etc, cron). */
  writers?: FileRuleSpec[];
  /** Allowed readers of secrets (shadow, service-account token, cloud credentials). */
  readers?: FileRuleSpec[];
  /** More paths whose writes are watched. */
  watch?: ProcessPattern[];
  /** More paths whose reads are watched. */
  secrets?: ProcessPattern[];
}

export const PORT_PROTOCOLS = ['tcp', 'udp'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

export interface PortRuleSpec {
  port: number;
  /** Absent: tcp. */
  protocol?: PortProtocol;
  /** Absent: any process. */
  processes?: ProcessPattern[];
}

export interface PortsSpec {
  mode?: PolicyMode;
  /** Listening sockets the workload may open. */
  allow?: PortRuleSpec[];
}

/** The control channels the agent guards (addresses and ports: the agent's --channel flags). */
export const CHANNELS = [
  'kubernetes-api', 'istiod', 'linkerd-destination', 'linkerd-identity', 'etcd', 'kubelet', 'container-runtime',
] as const;
export type ChannelName = (typeof CHANNELS)[number];

export interface ChannelRuleSpec {
  channel: ChannelName;
  /** Absent: any process of the workload. */
  processes?: ProcessPattern[];
}

export interface ChannelsSpec {
  mode?: PolicyMode;
  allow?: ChannelRuleSpec[];
}

export const INSPECTIONS = ['off', 'passive', 'inline'] as const;
export type Inspection = (typeof INSPECTIONS)[number];

export interface TrafficSpec {
  /** How the agent runs the filter on this workload's traffic outside a sidecar: passive
   * (a copy, alerts only), inline (through the agent's proxy, can block), off (default). */
  inspection: Inspection;
  /** Inbound ports inspected; absent: all TCP ports. */
  ports?: number[];
}
