// The control-channel guard: who, in each pod, opens connections to the mesh's control plane
// (istiod 15010/15012/15017, Linkerd destination and identity), the Kubernetes API, etcd
// (2379/2380), the kubelet (10250). In every pod network namespace a netfilter rule queues the
// first packet (SYN) of such connections to the agent (NFQUEUE, bound inside that namespace);
// while it waits, the connecting socket is in SYN_SENT and its owner is found through sock_diag
// and the pod's file descriptors. Only the expected processes may connect (the workload's
// `channels` configuration, built-in expectations such as pilot-agent → istiod, and what
// discover learned); anything else is a `channel.violation` (monitor: alert) or refused
// (protect: the SYN is dropped and the socket destroyed, so connect() fails at once).
// The queue fails open: if the agent is gone, connections pass.
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { eventWorkload, workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import { makeEvent } from '../events/agent-event.js';
import type { Monitor, MonitorStatus } from '../monitors/monitor.js';
import type { NativeNfQueue, RawQueuedPacket } from '../native/native.js';
import { workloadKey } from '../workloads.js';

export interface ChannelTarget {
  name: string;
  /** IPv4 address; absent: any address on these ports. */
  address?: string;
  ports: number[];
}

/** Channels known by their ports alone; the Kubernetes API and Linkerd's need addresses
 * (`--channel NAME=ADDR:PORT`), which default from KUBERNETES_SERVICE_HOST/PORT. */
export function defaultChannels(env: NodeJS.ProcessEnv = process.env): ChannelTarget[] {
  const out: ChannelTarget[] = [
    { name: 'istiod', ports: [15010, 15012, 15017] },
    { name: 'etcd', ports: [2379, 2380] },
    { name: 'kubelet', ports: [10250] },
  ];
  if (env.KUBERNETES_SERVICE_HOST && /^\d+\.\d+\.\d+\.\d+$/.test(env.KUBERNETES_SERVICE_HOST)) {
    out.push({ name: 'kubernetes-api', address: env.KUBERNETES_SERVICE_HOST, ports: [Number(env.KUBERNETES_SERVICE_PORT ?? 443)] });
  }
  return out;
}

/** Processes expected on a channel whatever the policy says (the mesh's own agents). */
const EXPECTED: Record<string, string[]> = {
  istiod: ['pilot-agent', 'envoy'],
  'linkerd-destination': ['linkerd-proxy'],
  'linkerd-identity': ['linkerd-proxy'],
};

export interface ChannelGuardOptions {
  channels: ChannelTarget[];
  /** NFQUEUE number inside each pod namespace (default 4242). */
  queue?: number;
}

const CHAIN = 'MESHWARD-CHANNELS';
const SYN_SENT = 2;

interface Guarded {
  netns: string;
  queue: NativeNfQueue;
  containers: Set<string>;
  anchor: ContainerInfo;
}

export class ChannelGuard implements Monitor {
  readonly name = 'channels';
  private readonly guarded = new Map<number, Guarded>();
  private readonly counters = { queued: 0, allowed: 0, violations: 0, refused: 0, learned: 0, ownerUnknown: 0, ruleErrors: 0, unmatched: 0 };
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: ChannelGuardOptions,
  ) {}

  async start(): Promise<void> {
    this.ctx.containers.listen({ added: (c) => this.guard(c), removed: (c) => this.unguard(c) });
  }

  async stop(): Promise<void> {
    await this.pending;
    for (const [inode, g] of [...this.guarded]) {
      this.guarded.delete(inode);
      g.queue.close();
      await rules(g.netns, removeScript()).catch(() => undefined);
    }
  }

  /** Resolves when the rules of every pod seen so far are in place. */
  settled(): Promise<void> {
    return this.pending;
  }

  status(): MonitorStatus {
    return { name: this.name, enabled: true, counters: { namespaces: this.guarded.size, ...this.counters } };
  }

  private guard(c: ContainerInfo): void {
    // A container nobody could name (not in the inventory, the runtime or the kubelet) is left
    // alone: rules in a namespace the agent cannot attribute would judge it by a default.
    if (c.attribution?.source === 'none') return;
    const held = this.guarded.get(c.netnsInode);
    if (held) return void held.containers.add(c.ref.id);
    if (c.netnsInode === 0) return;
    const netns = `${this.ctx.procRoot}/${c.anchorPid}/ns/net`;
    let queue: NativeNfQueue;
    try {
      queue = new this.ctx.native.NfQueue({ queue: this.options.queue ?? 4242, netns }, (batch) => this.onPackets(c.netnsInode, batch));
    } catch (err) {
      this.counters.ruleErrors++;
      this.ctx.log('error', 'channels: cannot bind the queue in a pod namespace', { container: c.ref.id, error: (err as Error).message });
      return;
    }
    const g: Guarded = { netns, queue, containers: new Set([c.ref.id]), anchor: c };
    this.guarded.set(c.netnsInode, g);
    this.pending = this.pending
      .then(() => rules(netns, installScript(this.options.channels, this.options.queue ?? 4242)))
      .catch((err: Error) => {
        this.counters.ruleErrors++;
        this.ctx.log('error', 'channels: cannot install the rules in a pod namespace; its control connections are not guarded', { container: c.ref.id, error: err.message });
      });
  }

  private unguard(c: ContainerInfo): void {
    const g = this.guarded.get(c.netnsInode);
    if (!g) return;
    g.containers.delete(c.ref.id);
    if (g.containers.size > 0) return;
    this.guarded.delete(c.netnsInode);
    g.queue.close();
  }

  private onPackets(inode: number, batch: RawQueuedPacket[]): void {
    const g = this.guarded.get(inode);
    for (const p of batch) {
      this.counters.queued++;
      let accept = true;
      try {
        accept = g ? this.decide(g, p) : true;
      } catch (err) {
        this.ctx.log('error', 'channels: decision failed; allowed', { error: (err as Error).message });
      }
      g?.queue.verdict(p.id, accept);
    }
  }

  private decide(g: Guarded, p: RawQueuedPacket): boolean {
    const b = p.payload;
    if (b.length < 20 || b[0] >> 4 !== 4) return true;
    const ihl = (b[0] & 0x0f) * 4;
    const src = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    const dst = `${b[16]}.${b[17]}.${b[18]}.${b[19]}`;
    const sport = b.readUInt16BE(ihl);
    const dport = b.readUInt16BE(ihl + 2);
    const target = this.options.channels.find((t) => t.ports.includes(dport) && (t.address === undefined || t.address === dst));
    if (!target) {
      this.counters.unmatched++;
      return true;
    }
    const owner = this.owner(g, src, sport, dst, dport);
    const c = (owner?.container && this.ctx.containers.get(owner.container)) || g.anchor;
    if (!owner) this.counters.ownerUnknown++;
    const exe = owner?.exe ?? '';
    const policy = this.ctx.store.policyFor(workloadOf(c));
    const mode = policy.doc.channels.mode;
    const wk = workloadKey(workloadOf(c));
    const listed = policy.channels.some((r) => r.channel === target.name && (r.processes.size === 0 || r.processes.matches(exe)));
    const expected = (EXPECTED[target.name] ?? []).includes(basename(exe));
    const item = `${target.name}\u0000${exe}`;
    if (listed || expected || this.ctx.baseline.has(wk, 'channel', item)) {
      this.counters.allowed++;
      return true;
    }
    const base = {
      workload: eventWorkload(c),
      mode,
      source: { ip: src, port: sport, workload: workloadOf(c).name },
      destination: { ip: dst, port: dport },
      protocol: 'tcp',
      channel: { name: target.name },
      process: { pid: owner?.pid ?? 0, exe },
      container: { id: c.ref.id, runtime: c.ref.runtime },
    };
    if (mode === 'discover') {
      if (this.ctx.baseline.learn(wk, 'channel', item)) {
        this.counters.learned++;
        this.ctx.sink.emit(makeEvent({ ...base, kind: 'channel.connect', severity: 'info', action: 'allow', evidence: { reason: 'new control-channel user (learned)', learned: true } }));
      }
      return true;
    }
    this.counters.violations++;
    const refuse = mode === 'protect';
    if (refuse) {
      this.counters.refused++;
      try {
        this.ctx.native.destroySocket(g.netns, { family: 4, src, sport, dst, dport });
      } catch {
        // the drop alone still refuses it (the client retries its SYN until it gives up)
      }
    }
    this.ctx.sink.emit(
      makeEvent({
        ...base,
        kind: 'channel.violation',
        severity: 'high',
        action: refuse ? 'block' : 'alert',
        rule: { id: `${wk}/channels`, name: `unexpected ${target.name} client` },
        attack: { class: 'control-plane-access', tactic: target.name === 'kubernetes-api' || target.name === 'kubelet' ? 'discovery' : 'lateral-movement', technique: target.name === 'kubernetes-api' ? 'T1613' : 'T1552.007' },
        evidence: { reason: 'connection to a control channel by a process not allowed to use it', channel: target.name },
      }),
    );
    return !refuse;
  }

  /** The process owning the connecting socket (in SYN_SENT while its SYN waits here). */
  private owner(g: Guarded, src: string, sport: number, dst: string, dport: number): { pid: number; exe: string; container?: string } | undefined {
    const socket = this.ctx.native.inetSockets(g.netns, { family: 4, states: 1 << SYN_SENT }).find((s) => s.sport === sport && s.dport === dport && s.dst === dst && s.src === src);
    if (!socket) return undefined;
    const target = `socket:[${socket.inode}]`;
    for (const id of g.containers) {
      const c = this.ctx.containers.get(id);
      if (!c) continue;
      for (const pid of c.pids) {
        let fds: string[];
        try {
          fds = readdirSync(`${this.ctx.procRoot}/${pid}/fd`);
        } catch {
          continue;
        }
        for (const fd of fds) {
          try {
            if (readlinkSync(`${this.ctx.procRoot}/${pid}/fd/${fd}`) !== target) continue;
          } catch {
            continue;
          }
          const entry = this.ctx.processes.get(pid);
          return { pid, exe: entry ? this.ctx.containers.containerPath(c, entry.exe) : '', container: id };
        }
      }
    }
    return undefined;
  }
}

function installScript(channels: ChannelTarget[], queue: number): string {
  const lines = [
    `iptables -w -t mangle -N ${CHAIN} 2>/dev/null || true`,
    `iptables -w -t mangle -F ${CHAIN}`,
    `iptables -w -t mangle -C OUTPUT -p tcp --syn -j ${CHAIN} 2>/dev/null || iptables -w -t mangle -A OUTPUT -p tcp --syn -j ${CHAIN}`,
  ];
  for (const t of channels) {
    for (const port of t.ports) {
      const dst = t.address ? ` -d ${t.address}/32` : '';
      lines.push(`iptables -w -t mangle -A ${CHAIN} -p tcp${dst} --dport ${port} -j NFQUEUE --queue-num ${queue} --queue-bypass`);
    }
  }
  return lines.join('\n') + '\n';
}

function removeScript(): string {
  return [`iptables -w -t mangle -D OUTPUT -p tcp --syn -j ${CHAIN} 2>/dev/null`, `iptables -w -t mangle -F ${CHAIN} 2>/dev/null`, `iptables -w -t mangle -X ${CHAIN} 2>/dev/null`, 'true'].join('; ') + '\n';
}

/** Runs an iptables script inside a namespace (iptables-nft: the NFQUEUE target goes through
 * nft's xtables compatibility, which kernels without nft's own queue expression still have). */
function rules(netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nsenter', [`--net=${netns}`, '--', 'sh', '-e'], { timeout: 15_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`iptables in ${netns}: ${stderr.trim() || err.message} (is the iptables package installed?)`)) : resolve(),
    );
    child.stdin?.end(script);
  });
}
