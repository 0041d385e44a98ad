// The compiled host-agent configuration, schema 1: the contract between the compiler and
// host-agent/ (its process, file, port and channel monitors and its traffic inspection). One
// document per workload, carried beside the filter's in meshward.v1.AgentConfig
// (WorkloadConfig.agent_configuration). The agent rejects a whole document if any field is
// wrong (host-agent/src/agent-config.ts), so keep the two in step.
import type { Mode } from './filter-config.js';

export interface AgentPolicyConfig {
  schema: 1;
  /** `sha256:` + hex SHA-256 of the canonical JSON without `version`. */
  version: string;
  workload: { namespace: string; name: string };
  processes: ProcessesConfig;
  files: FilesConfig;
  ports: PortsConfig;
  channels: ChannelsConfig;
  traffic: TrafficConfig;
}

/** Absolute path patterns: `*` within one segment, `**` any number of segments. */
export type PathPattern = string;

export interface ProcessesConfig {
  mode: Mode;
  allow: PathPattern[];
  /** In protect: refuse the exec before it runs, or kill after. */
  enforcement: 'refuse' | 'kill';
}

export interface FileRule {
  paths: PathPattern[];
  processes: PathPattern[];
}

export interface FilesConfig {
  mode: Mode;
  writers: FileRule[];
  readers: FileRule[];
  /** Watched for writes, beside the built-in binaries, libraries, /etc and cron. */
  watch: PathPattern[];
  /** Watched for reads, beside the built-in shadow, token and cloud credentials. */
  secrets: PathPattern[];
}

export interface PortRule {
  port: number;
  protocol: 'tcp' | 'udp';
  /** Empty: any process. */
  processes: PathPattern[];
}

export interface PortsConfig {
  mode: Mode;
  allow: PortRule[];
}

export interface ChannelRule {
  channel: string;
  /** Empty: any process of the workload. */
  processes: PathPattern[];
}

export interface ChannelsConfig {
  mode: Mode;
  allow: ChannelRule[];
}

export interface TrafficConfig {
  inspection: 'off' | 'passive' | 'inline';
  /** Empty: every TCP port. */
  ports: number[];
}
