#!/usr/bin/env node
// Builds native/ (the host agent's N-API addon) with node-gyp: configure once, then make, which
// rebuilds only what changed. Part of `npm run build`, so `npm ci` (prepare) builds it.
// node-gyp is the one npm ships (npm exports its path as npm_config_node_gyp when it runs a
// script); outside npm, the copy beside the running node's npm. Off Linux there is nothing to
// build: the agent reports its monitors disabled.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

if (process.platform !== 'linux') {
  console.log(`build-native: skipped on ${process.platform} (the addon is Linux-only)`);
  process.exit(0);
}
const dir = new URL('../native', import.meta.url).pathname;
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].filter(Boolean);
const gyp = candidates.find((p) => existsSync(p));
if (!gyp) {
  console.error('build-native: node-gyp not found (run through npm, which ships it)');
  process.exit(1);
}
const run = (args) => {
  const r = spawnSync(process.execPath, [gyp, ...args, '--loglevel=warn'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`build-native: node-gyp ${args[0]} failed (needs g++, make, python3 and Node's headers)`);
    process.exit(r.status ?? 1);
  }
};
if (!existsSync(join(dir, 'build/Makefile'))) run(['configure']);
run(['build']);
