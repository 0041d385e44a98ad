#!/usr/bin/env node
// Installs the Debian packages a test suite needs when their program is missing: Chromium for the
// dashboard's browser tests, tshark for the pcap checks. npm's own browser downloads cannot work
// on these machines, so the suites use Debian's builds. Needs root (CI runs as root); otherwise it
// says what to run. Usage: node scripts/ensure-debian-packages.mjs chromium tshark
// Exit 0 when every program is there (installed now or before), 1 with the reason otherwise.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const KNOWN = {
  chromium: { bin: '/usr/bin/chromium', pkg: 'chromium' },
  tshark: { bin: '/usr/bin/tshark', pkg: 'tshark' },
};

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!KNOWN[w]) {
    console.error(`ensure-debian-packages: unknown program "${w}" (known: ${Object.keys(KNOWN).join(', ')})`);
    process.exit(2);
  }
}
const missing = wanted.filter((w) => !existsSync(KNOWN[w].bin));
if (missing.length === 0) process.exit(0);
const pkgs = missing.map((w) => KNOWN[w].pkg);
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  console.error(`ensure-debian-packages: ${missing.join(', ')} missing; run: sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => {
  const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`ensure-debian-packages: apt-get ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-2000)}`);
    process.exit(1);
  }
};
console.error(`ensure-debian-packages: installing ${pkgs.join(', ')} from Debian...`);
// A machine fresh from its image may have no package lists yet: an install then finds nothing.
run(['update']);
run(['install', '-y', '--no-install-recommends', ...pkgs]);
for (const w of missing) {
  if (!existsSync(KNOWN[w].bin)) {
    console.error(`ensure-debian-packages: ${KNOWN[w].pkg} installed but ${KNOWN[w].bin} is missing`);
    process.exit(1);
  }
}
