#!/usr/bin/env node
// `npm run fuzz:tcp`: 10^6 mutated inputs per TCP parser (identification, PostgreSQL, MySQL,
// Redis) through the compiled filter; fails on a trap (the input is saved under
// filter/test/corpus/tcp/crashes/) or when the VM's memory keeps growing after warm-up.
// Options: --inputs N (per target), --seed S, --target NAME (repeatable).
import { parseArgs } from 'node:util';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { inputs: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string', multiple: true } } });
const { fuzzWithDeadline, TARGETS, CORPUS_DIR } = await import(join(root, 'dist/filter/test/tcp/fuzz-engine.js'));
const inputs = Number(values.inputs ?? 1_000_000);
const seed = Number(values.seed ?? 20261128);
const targets = values.target ?? TARGETS;
const MEMORY_LIMIT = 64 * 1024 * 1024;
let failed = false;
for (const target of targets) {
  const r = await fuzzWithDeadline({ target, inputs, seed, crashDir: join(CORPUS_DIR, 'crashes') }, Math.max(600_000, inputs));
  const mb = (n) => (n / 1048576).toFixed(1);
  const rate = Math.round(r.inputs / (r.ms / 1000));
  const grew = r.memoryEnd > r.memoryWarm * 2 || r.memoryEnd > MEMORY_LIMIT;
  console.log(`${target}: ${r.inputs} inputs on ${r.connections} connections in ${(r.ms / 1000).toFixed(1)} s (${rate}/s), ` +
    `memory ${mb(r.memoryWarm)} MiB warm, ${mb(r.memoryEnd)} MiB at the end${r.trapped ? `, TRAP: ${r.failure}` : ''}${grew ? ', MEMORY GREW' : ''}`);
  if (r.trapped || grew || r.inputs < inputs) failed = true;
}
process.exit(failed ? 1 : 0);
