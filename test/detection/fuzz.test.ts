// A short fuzz run of the detection engine inside the suite (the long one is `npm run fuzz`):
// mutated corpus requests and random ones, chunked at random, with responses through DLP; the
// VM must not trap and its memory must not keep growing.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fuzz, startFuzzFilter } from './fuzz-requests.js';

const SEED = Number(process.env.MESHWARD_FUZZ_SEED ?? 20261128);

describe('detection fuzz', () => {
  it('survives 4,000 random and mutated requests without a trap, memory flat', async () => {
    const f = await startFuzzFilter();
    try {
      fuzz(f, SEED, 1000); // warm up: buffers reach their working size
      const warm = fuzz(f, SEED + 1, 3000);
      assert.equal(f.vm.failed, false);
      assert.equal(warm.cases, 3000);
      assert.ok(warm.memoryAfter <= warm.memoryBefore * 1.5 + (4 << 20), `memory ${warm.memoryBefore} -> ${warm.memoryAfter}`);
      assert.ok(f.metric('meshward.requests') >= 4000);
    } finally {
      await f.close();
    }
  });
});
