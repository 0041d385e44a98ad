#!/usr/bin/env node
// Compiles the AssemblyScript test modules into dist/fixtures/<name>.wasm: the host's own
// (host-agent/test/fixtures/assembly/*.ts, one host function area each) and the cross-room
// tests' (test/fixtures/assembly/*.ts). Each folder has its asconfig.json beside it.
import { readdirSync, mkdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'dist/fixtures');
mkdirSync(outDir, { recursive: true });
const asc = join(root, 'node_modules/.bin/asc');
let failed = false;
for (const folder of ['host-agent/test/fixtures', 'test/fixtures']) {
  const srcDir = join(root, folder, 'assembly');
  if (!existsSync(srcDir)) continue;
  const config = join(root, folder, 'asconfig.json');
  for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.startsWith('_'))) {
    const name = basename(file, '.ts');
    const r = spawnSync(asc, [join(srcDir, file), '--config', config, '--target', 'release',
      '-o', join(outDir, `${name}.wasm`)], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) { console.error(`build-fixtures: ${folder}/assembly/${file} failed`); failed = true; }
  }
}
process.exit(failed ? 1 : 0);
