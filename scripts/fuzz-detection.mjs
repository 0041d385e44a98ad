#!/usr/bin/env node
// `npm run fuzz`: drives FUZZ_CASES (default 1,000,000) random and mutated requests through the
// compiled filter in the host with the detection engine and DLP on, and reports the VM's memory
// before, at every 10,000 cases, and after. Exits non-zero on a trap. MESHWARD_FUZZ_SEED sets
// the seed.
import { fuzz, startFuzzFilter } from '../dist/test/detection/fuzz-requests.js';

const cases = Number(process.env.FUZZ_CASES ?? 1_000_000);
const seed = Number(process.env.MESHWARD_FUZZ_SEED ?? 20261128);
const f = await startFuzzFilter();
const start = Date.now();
let warmMemory = 0;
try {
  const stats = fuzz(f, seed, cases, (done, s) => {
    if (done === 10000) warmMemory = f.vm ? s.memoryPeak : 0;
    if (done % 100000 === 0) {
      process.stderr.write(`fuzz: ${done} cases, ${s.blocked} blocked, memory peak ${s.memoryPeak} bytes, ${Math.round((Date.now() - start) / 1000)} s\n`);
    }
  });
  const line = {
    bench: 'fuzz.detection', cases: stats.cases, seed, traps: 0, blocked: stats.blocked,
    memory_before_bytes: stats.memoryBefore, memory_after_10k_bytes: warmMemory, memory_after_bytes: stats.memoryAfter,
    memory_peak_bytes: stats.memoryPeak, seconds: Math.round((Date.now() - start) / 1000),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ bench: 'fuzz.detection', seed, traps: 1, error: String(err) }) + '\n');
  process.exitCode = 1;
} finally {
  await f.close();
}
