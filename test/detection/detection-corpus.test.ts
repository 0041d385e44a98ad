// The labelled corpus (test/detection/corpus/, written for this project: see generate.mjs)
// through the compiled filter in the host at paranoia 1: at least 95 % of the attacks of every
// class blocked, at least 97 % of the benign requests of every kind passed, 99 % overall.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { loadCorpus, rates, replayCorpus, type Verdict } from './corpus-replay.js';

const corpus = loadCorpus();

describe('detection corpus', () => {
  it('is large enough and a third of the attacks are evasive', () => {
    const attacks = corpus.filter((e) => e.label === 'attack');
    const benign = corpus.filter((e) => e.label === 'benign');
    assert.ok(attacks.length >= 1500, `${attacks.length} attacks`);
    assert.ok(benign.length >= 1500, `${benign.length} benign requests`);
    assert.ok(attacks.filter((e) => e.evasive).length * 3 >= attacks.length, 'a third evasive');
    assert.equal(new Set(attacks.map((e) => e.class)).size, 19, 'every attack class');
  });

  let verdicts: Verdict[] = [];
  it('replays through the filter (paranoia 1)', async () => {
    verdicts = await replayCorpus(corpus);
    assert.equal(verdicts.length, corpus.length);
  });

  it('blocks at least 95 % of the attacks of each class', () => {
    const low = rates(verdicts).filter((r) => r.label === 'attack' && r.rate < 0.95);
    assert.deepEqual(low.map((r) => `${r.class} ${r.correct}/${r.total}`), []);
  });

  it('passes at least 97 % of the benign requests of each kind, 99 % overall', () => {
    const benign = rates(verdicts).filter((r) => r.label === 'benign');
    const low = benign.filter((r) => r.rate < 0.97);
    assert.deepEqual(low.map((r) => `${r.class} ${r.correct}/${r.total}`), []);
    const total = benign.reduce((n, r) => n + r.total, 0);
    const correct = benign.reduce((n, r) => n + r.correct, 0);
    assert.ok(correct / total >= 0.99, `${correct}/${total}`);
  });

  it('every blocked attack has its event: class, technique, tactic, location, match', () => {
    for (const v of verdicts) {
      if (!v.blocked) continue;
      const e = v.event!;
      assert.ok(e, v.entry.id);
      const attack = e.attack as Record<string, unknown>;
      assert.ok(typeof attack.class === 'string' && typeof attack.technique === 'string' && typeof attack.tactic === 'string', v.entry.id);
      const ev = e.evidence as Record<string, unknown>;
      assert.equal(typeof ev.location, 'string', v.entry.id);
    }
  });
});
