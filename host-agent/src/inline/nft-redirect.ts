// The nftables rules that steer a pod's inbound TCP through the agent: a table of its own in the
// pod's network namespace (entered with nsenter), redirecting what arrives on its interfaces
// (not loopback) to the agent's listener in that namespace. Replaced whole on each change,
// deleted on stop; a table left behind by a crash is replaced at the next start.
import { execFile } from 'node:child_process';

export const INLINE_TABLE = 'meshward_inline';

export class NftError extends Error {
  readonly code = 'NFT_FAILED';
}

function nft(netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nsenter', [`--net=${netns}`, '--', 'nft', '-f', '-'], { timeout: 10_000 }, (err, _out, stderr) => {
      if (err) reject(new NftError(`nft in ${netns}: ${stderr.trim() || err.message} (is the nftables package installed?)`));
      else resolve();
    });
    child.stdin?.end(script);
  });
}

export function redirectRules(listenPort: number, ports: readonly number[]): string {
  const match = ports.length > 0 ? `tcp dport { ${ports.join(', ')} }` : `meta l4proto tcp tcp dport != ${listenPort}`;
  return `table inet ${INLINE_TABLE} {
  chain prerouting {
    type nat hook prerouting priority dstnat - 10; policy accept;
    iifname != "lo" ${match} redirect to :${listenPort}
  }
}
`;
}

/** Installs (or replaces) the redirect in `netns`. */
export async function applyRedirect(netns: string, listenPort: number, ports: readonly number[]): Promise<void> {
  // "add table" then "delete table" makes the delete succeed whether or not it existed.
  await nft(netns, `add table inet ${INLINE_TABLE}\ndelete table inet ${INLINE_TABLE}\n${redirectRules(listenPort, ports)}`);
}

export async function removeRedirect(netns: string): Promise<void> {
  await nft(netns, `add table inet ${INLINE_TABLE}\ndelete table inet ${INLINE_TABLE}\n`);
}
