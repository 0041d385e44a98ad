// The control-channel guard: who, in each pod, talks to the mesh's control plane (istiod
// 15010/15012/15017, Linkerd destination 8086 and identity 8080), the Kubernetes API, etcd
// (2379/2380), the kubelet (10250), and the node's runtime and kubelet sockets.
//
// TCP, IPv4 and IPv6 (channel-rules.ts): in every pod network namespace a netfilter rule queues
// the first packet (SYN) of such connections to the agent (NFQUEUE, bound inside that
// namespace); while it waits, the connecting socket is in SYN_SENT and its owner is found
// through sock_diag and the pod's file descriptors. Judged by channel-judge.ts: the workload's
// `channels` configuration, built-in expectations such as pilot-agent → istiod, and what
// discover learned; anything else is a `channel.violation` (monitor: alert) or refused
// (protect: the SYN is dropped and the socket destroyed, so connect() fails at once, before a
// byte reaches the channel). The queue fails open: if the agent is gone, connections pass.
//
// Unix sockets (runtime-socket-guard.ts): mounts that bring a node socket into a container are
// reported, masked in protect when no process may use them; connections are observed through
// unix sock_diag and their processes killed in protect.
import { workloadOf, type AgentContext } from '../agent-context.js';
import type { ContainerInfo } from '../attribution/containers.js';
import type { Monitor, MonitorStatus } from '../monitors/monitor.js';
import type { NativeNfQueue, RawQueuedPacket } from '../native/native.js';
import { ChannelJudge } from './channel-judge.js';
import { installScript, removeScript, runRules } from './channel-rules.js';
import { DEFAULT_RUNTIME_SOCKETS, type ChannelTarget, type RuntimeSocketTarget } from './channel-targets.js';
import { RuntimeSocketGuard, type RuntimeSocketGuardOptions } from './runtime-socket-guard.js';
import { socketHolders } from './socket-owner.js';
import { parseSyn, type SynFacts } from './syn-packet.js';

export interface ChannelGuardOptions {
  channels: ChannelTarget[];
  /** Node sockets to guard (default DEFAULT_RUNTIME_SOCKETS); [] turns the unix half off. */
  sockets?: readonly RuntimeSocketTarget[];
  /** Polling of the unix half (see RuntimeSocketGuardOptions). */
  runtime?: Omit<RuntimeSocketGuardOptions, 'sockets'>;
  /** NFQUEUE number inside each pod namespace (default 4242). */
  queue?: number;
}

const SYN_SENT = 2;

interface Guarded {
  netns: string;
  netnsInode: number;
  queue: NativeNfQueue;
  containers: Set<string>;
  anchor: ContainerInfo;
}

export class ChannelGuard implements Monitor {
  readonly name = 'channels';
  readonly runtime: RuntimeSocketGuard | undefined;
  private readonly judge: ChannelJudge;
  private readonly guarded = new Map<number, Guarded>();
  private readonly counters = { queued: 0, ownerUnknown: 0, ruleErrors: 0, unmatched: 0, unparsed: 0 };
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: ChannelGuardOptions,
  ) {
    this.judge = new ChannelJudge(ctx);
    const sockets = options.sockets ?? DEFAULT_RUNTIME_SOCKETS;
    if (sockets.length > 0) this.runtime = new RuntimeSocketGuard(ctx, this.judge, { ...options.runtime, sockets });
  }

  async start(): Promise<void> {
    this.ctx.containers.listen({ added: (c) => this.guard(c), removed: (c) => this.unguard(c) });
    this.runtime?.start();
  }

  async stop(): Promise<void> {
    this.runtime?.stop();
    await this.pending;
    for (const [inode, g] of [...this.guarded]) {
      this.guarded.delete(inode);
      g.queue.close();
      await runRules(g.netns, removeScript()).catch(() => undefined);
    }
  }

  /** Resolves when the rules of every pod seen so far are in place. */
  settled(): Promise<void> {
    return this.pending;
  }

  status(): MonitorStatus {
    return { name: this.name, enabled: true, counters: { namespaces: this.guarded.size, ...this.counters, ...this.judge.counters, ...this.runtime?.status() } };
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
    const g: Guarded = { netns, netnsInode: c.netnsInode, queue, containers: new Set([c.ref.id]), anchor: c };
    this.guarded.set(c.netnsInode, g);
    this.pending = this.pending
      .then(() => runRules(netns, installScript(this.options.channels, this.options.queue ?? 4242)))
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
    const syn = parseSyn(p.payload);
    if (!syn) {
      this.counters.unparsed++;
      return true;
    }
    const target = this.options.channels.find((t) => t.ports.includes(syn.dport) && (t.address === undefined || t.address === syn.dst));
    if (!target) {
      this.counters.unmatched++;
      return true;
    }
    const owner = this.owner(g, syn);
    if (!owner) this.counters.ownerUnknown++;
    const verdict = this.judge.judge(
      {
        channel: target.name,
        container: owner?.container ?? g.anchor,
        pid: owner?.pid ?? 0,
        exe: owner?.exe ?? '',
        protocol: 'tcp',
        source: { ip: syn.src, port: syn.sport, workload: workloadOf(owner?.container ?? g.anchor).name },
        destination: { ip: syn.dst, port: syn.dport },
      },
      () => {
        try {
          this.ctx.native.destroySocket(g.netns, syn);
        } catch {
          // the drop alone still refuses it (the client retries its SYN until it gives up)
        }
        return 'block';
      },
    );
    return verdict !== 'refuse';
  }

  /** The process owning the connecting socket (in SYN_SENT while its SYN waits here). */
  private owner(g: Guarded, syn: SynFacts): ReturnType<typeof socketHolders>[number] | undefined {
    const socket = this.ctx.native
      .inetSockets(g.netns, { family: syn.family, states: 1 << SYN_SENT })
      .find((s) => s.sport === syn.sport && s.dport === syn.dport && sameAddress(s.dst, syn.dst) && sameAddress(s.src, syn.src));
    if (!socket) return undefined;
    return socketHolders(this.ctx, g.containers, socket.inode, g.netnsInode, true)[0];
  }
}

/** inet_ntop's text and the canonical form agree but for IPv4-mapped IPv6 (::ffff:a.b.c.d). */
function sameAddress(kernel: string, canonical: string): boolean {
  return kernel === canonical || kernel.replace(/^::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) => `::ffff:${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`) === canonical;
}
