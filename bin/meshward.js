#!/usr/bin/env node
// The one entry point for every Meshward command. The TypeScript is compiled to dist/ by
// `npm run build` (which `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('meshward: not built yet; run `npm run build` (or `npm ci`) in the repository first');
  process.exit(1);
}
const { run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
