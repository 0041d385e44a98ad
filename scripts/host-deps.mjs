#!/usr/bin/env node
// Installs what the host agent's tests (and the agent itself) need from the system, when this is
// a Debian-like machine run as root and something is missing: nft (inline redirects), iptables
// (the channel guard's NFQUEUE rules, through nft's xtables compatibility) and nsenter; and, for
// the test against a real container runtime, docker.io and busybox-static (MESHWARD_NO_DOCKER=1
// leaves those out: that test then skips and says why). `npm test` runs it first (pretest).
// Elsewhere it says what is missing and the agent's tests skip with the reason; nothing is
// installed without root.
import { execFileSync, spawnSync } from 'node:child_process';

const need = { nft: 'nftables', iptables: 'iptables', nsenter: 'util-linux' };
if (process.env.MESHWARD_NO_DOCKER !== '1') Object.assign(need, { dockerd: 'docker.io', busybox: 'busybox-static' });
const missing = Object.entries(need).filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
if (missing.length === 0 || process.platform !== 'linux') process.exit(0);
const pkgs = [...new Set(missing.map(([, p]) => p))];
if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) {
  console.log(`host-deps: missing ${missing.map(([b]) => b).join(', ')} (packages ${pkgs.join(' ')}); the host agent's tests that need them will fail or skip`);
  process.exit(0);
}
console.log(`host-deps: installing ${pkgs.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch (err) {
  console.error(`host-deps: apt-get failed (${err.message}); the host agent's tests that need ${pkgs.join(', ')} will fail`);
}
