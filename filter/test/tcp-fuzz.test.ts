// A short run of the TCP fuzzer (tcp/fuzz-engine.ts; `npm run fuzz:tcp` runs 10^6 inputs per
// target): mutated corpus inputs in random pieces through every parser, no trap, and the VM's
// memory stops growing once warm. MESHWARD_FUZZ_SEED changes the seed.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TARGETS, fuzzWithDeadline } from './tcp/fuzz-engine.js';

const SEED = Number(process.env.MESHWARD_FUZZ_SEED ?? 20261128);

describe('TCP parsers under fuzzing', { timeout: 120_000 }, () => {
  for (const target of TARGETS) {
    it(`${target}: 20000 mutated inputs, no trap, bounded memory`, async () => {
      const r = await fuzzWithDeadline({ target, inputs: 20_000, seed: SEED }, 60_000);
      assert.equal(r.trapped, false, r.failure);
      assert.equal(r.inputs, 20_000);
      assert.ok(r.memoryEnd <= Math.max(r.memoryWarm * 2, 16 * 1048576), `memory grew from ${r.memoryWarm} to ${r.memoryEnd}`);
    });
  }
});
