// One judgement for every control-channel use, whatever the transport (a TCP SYN, a unix socket
// connection): allowed when the workload's `channels.allow` lists the channel (and the process),
// when the process is one the channel expects (the mesh's own agents), or when discover learned
// it; otherwise discover learns it, monitor alerts, protect refuses it through `refuse`, which
// the transport supplies and which says what it achieved (the event's action).
import { basename } from 'node:path';
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import { makeEvent, type EventAction, type EventPeer } from '../events/agent-event.js';
import { workloadKey } from '../workloads.js';
import { EXPECTED_PROCESSES } from './channel-targets.js';

export interface ChannelUse {
  channel: string;
  container: ContainerInfo;
  pid: number;
  /** The executable as the container sees it; '' when the owner was not found. */
  exe: string;
  protocol: 'tcp' | 'unix';
  source?: EventPeer;
  destination?: EventPeer;
  /** Unix channels: the socket's path on the node and in the container. */
  socket?: { path: string; containerPath?: string };
}

export type Verdict = 'allow' | 'alert' | 'refuse';

export const JUDGE_COUNTERS = ['allowed', 'learned', 'violations', 'refused', 'refuseFailed'] as const;
export type JudgeCounters = Record<(typeof JUDGE_COUNTERS)[number], number>;

export class ChannelJudge {
  readonly counters: JudgeCounters = { allowed: 0, learned: 0, violations: 0, refused: 0, refuseFailed: 0 };

  constructor(private readonly ctx: AgentContext) {}

  /** Whether this workload may use `channel` at all through some process (listed, expected or
   * learned): when none may, a channel reachable by path can be masked for the container. */
  anyAllowed(c: ContainerInfo, channel: string): boolean {
    const policy = this.ctx.store.policyFor(workloadOf(c));
    if (policy.channels.some((r) => r.channel === channel)) return true;
    if ((EXPECTED_PROCESSES[channel] ?? []).length > 0) return true;
    return this.ctx.baseline.some(workloadKey(workloadOf(c)), 'channel', (item) => item.startsWith(`${channel}\u0000`));
  }

  mode(c: ContainerInfo): 'discover' | 'monitor' | 'protect' {
    return this.ctx.store.policyFor(workloadOf(c)).doc.channels.mode;
  }

  /** Judges one use; in protect, `refuse` is called and returns the action it achieved. */
  judge(use: ChannelUse, refuse: () => EventAction): Verdict {
    const c = use.container;
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const mode = policy.doc.channels.mode;
    const wk = workloadKey(workloadOf(c));
    const listed = policy.channels.some((r) => r.channel === use.channel && (r.processes.size === 0 || r.processes.matches(use.exe)));
    const expected = (EXPECTED_PROCESSES[use.channel] ?? []).includes(basename(use.exe));
    const item = `${use.channel}\u0000${use.exe}`;
    if (listed || expected || this.ctx.baseline.has(wk, 'channel', item)) {
      this.counters.allowed++;
      return 'allow';
    }
    const base = {
      workload: eventWorkload(c),
      mode,
      ...(use.source ? { source: use.source } : {}),
      ...(use.destination ? { destination: use.destination } : {}),
      protocol: use.protocol,
      channel: {
        name: use.channel,
        ...(use.socket ? { socket: use.socket.path } : {}),
        ...(use.socket?.containerPath !== undefined ? { containerPath: use.socket.containerPath } : {}),
      },
      process: { pid: use.pid, exe: use.exe },
      container: { id: c.ref.id, runtime: c.ref.runtime },
    };
    if (mode === 'discover') {
      if (this.ctx.baseline.learn(wk, 'channel', item)) {
        this.counters.learned++;
        this.ctx.sink.emit(makeEvent({ ...base, kind: 'channel.connect', severity: 'info', action: 'allow', evidence: { reason: 'new control-channel user (learned)', learned: true } }));
      }
      return 'allow';
    }
    this.counters.violations++;
    let action: EventAction = 'alert';
    if (mode === 'protect') {
      action = refuse();
      if (action === 'alert') this.counters.refuseFailed++;
      else this.counters.refused++;
    }
    this.ctx.sink.emit(
      makeEvent({
        ...base,
        kind: 'channel.violation',
        severity: 'high',
        action,
        rule: { id: `${wk}/channels`, name: `unexpected ${use.channel} client` },
        attack: attackOf(use.channel),
        evidence: { reason: 'connection to a control channel by a process not allowed to use it', channel: use.channel, ...(use.socket ? { socket: use.socket.path } : {}) },
      }),
    );
    return action === 'alert' ? 'alert' : 'refuse';
  }
}

/** ATT&CK: the Kubernetes API is discovery (T1613), the kubelet a container API (T1552.007), the
 * runtime a way out of the container (T1611); the mesh's control planes hand out credentials
 * and configuration. */
export function attackOf(channel: string): { class: string; tactic: string; technique: string } {
  if (channel === 'container-runtime') return { class: 'control-plane-access', tactic: 'privilege-escalation', technique: 'T1611' };
  if (channel === 'kubernetes-api') return { class: 'control-plane-access', tactic: 'discovery', technique: 'T1613' };
  if (channel === 'kubelet') return { class: 'control-plane-access', tactic: 'discovery', technique: 'T1552.007' };
  return { class: 'control-plane-access', tactic: 'lateral-movement', technique: 'T1552.007' };
}
