// The netfilter rules of the TCP channel guard inside one pod namespace: SYNs to a channel's
// address and port go to NFQUEUE (bypass: they pass when nobody listens on the queue). IPv4
// through iptables, IPv6 through ip6tables, both iptables-nft: the NFQUEUE target goes through
// nft's xtables compatibility. One `inet` table would be neater, but nft's own `queue`
// expression is missing from kernels built without nft_queue (this one: "add rule inet ...
// queue num" fails with ENOENT), while the xtables target works everywhere.
import { execFile } from 'node:child_process';
import { isIPv6 } from 'node:net';
import type { ChannelTarget } from './channel-targets.js';

const CHAIN = 'MESHWARD-CHANNELS';

/** Rules for both families: a target without an address is guarded on IPv4 and IPv6. */
export function installScript(channels: readonly ChannelTarget[], queue: number): string {
  const lines: string[] = [];
  for (const [tool, family] of [['iptables', 4], ['ip6tables', 6]] as const) {
    const mine = channels.filter((t) => t.address === undefined || isIPv6(t.address) === (family === 6));
    lines.push(
      `${tool} -w -t mangle -N ${CHAIN} 2>/dev/null || true`,
      `${tool} -w -t mangle -F ${CHAIN}`,
      `${tool} -w -t mangle -C OUTPUT -p tcp --syn -j ${CHAIN} 2>/dev/null || ${tool} -w -t mangle -A OUTPUT -p tcp --syn -j ${CHAIN}`,
    );
    for (const t of mine) {
      for (const port of t.ports) {
        const dst = t.address ? ` -d ${t.address}/${family === 6 ? 128 : 32}` : '';
        lines.push(`${tool} -w -t mangle -A ${CHAIN} -p tcp${dst} --dport ${port} -j NFQUEUE --queue-num ${queue} --queue-bypass`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export function removeScript(): string {
  const lines: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    lines.push(`${tool} -w -t mangle -D OUTPUT -p tcp --syn -j ${CHAIN} 2>/dev/null`, `${tool} -w -t mangle -F ${CHAIN} 2>/dev/null`, `${tool} -w -t mangle -X ${CHAIN} 2>/dev/null`);
  }
  return [...lines, 'true'].join('; ') + '\n';
}

/** Runs a rules script inside a network namespace. */
export function runRules(netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nsenter', [`--net=${netns}`, '--', 'sh', '-e'], { timeout: 15_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`iptables in ${netns}: ${stderr.trim() || err.message} (is the iptables package installed?)`)) : resolve(),
    );
    child.stdin?.end(script);
  });
}
