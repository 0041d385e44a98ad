#!/usr/bin/env node
// Compiles the AssemblyScript test modules (host-agent/test/fixtures/assembly/*.ts) that exercise
// the proxy-wasm host function by function, into dist/fixtures/<name>.wasm.
import { readdirSync, mkdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const srcDir = join(root, 'host-agent/test/fixtures/assembly');
const outDir = join(root, 'dist/fixtures');
mkdirSync(outDir, { recursive: true });
if (!existsSync(srcDir)) process.exit(0);
const asc = join(root, 'node_modules/.bin/asc');
const config = join(root, 'host-agent/test/fixtures/asconfig.json');
let failed = false;
for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.startsWith('_'))) {
  const name = basename(file, '.ts');
  const r = spawnSync(asc, [join(srcDir, file), '--config', config, '--target', 'release',
    '-o', join(outDir, `${name}.wasm`)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) { console.error(`build-fixtures: ${file} failed`); failed = true; }
}
process.exit(failed ? 1 : 0);
