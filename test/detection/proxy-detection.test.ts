// The detection engine behind `meshward proxy`: attacks answered with 403 and reported to the
// control plane, benign traffic through, and a request blocked in its body phase (its headers
// already went upstream) resets the upstream request rather than leaving it waiting for a body.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../support/proxy-harness.js';
import { waitUntil } from '../support/wait.js';
import { rawRequest } from '../../bench/raw-client.js';
import { loadCorpus } from './corpus-replay.js';

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: anyone
  waf: {action: block, paranoia: 1}
`;

describe('detection behind meshward proxy', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ policy: POLICY });
  });
  after(async () => {
    await h.close();
  });

  it('blocks an attack in the query and reports http.attack', async () => {
    const res = await fetch(`${h.url}/api/orders?id=${encodeURIComponent("1' OR '1'='1")}`);
    assert.equal(res.status, 403);
    const body = (await res.json()) as { event: string };
    await waitUntil(() => h.events.batches.some((b) => b.events.some((e) => e.id === body.event)), 'the attack event');
    const e = h.events.batches.flatMap((b) => b.events).find((x) => x.id === body.event)!;
    assert.equal(e.kind, 'http.attack');
    assert.equal((e.evidence as { location: string }).location, 'query.id');
  });

  it('passes benign requests with prose, names and rich text', async () => {
    const res = await fetch(`${h.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note: "O'Brien said: select the blue one -- or don't!", html: '<p>Hi <b>there</b></p>' }),
    });
    assert.equal(res.status, 200);
  });

  it('requests blocked in their body do not stall the proxy (upstream requests are reset)', async () => {
    // The corpus's attacks with bodies, eight at a time, then benign requests: before the
    // exchange reset the upstream request of a local reply, these stalled for seconds.
    const corpus = loadCorpus();
    const attacks = corpus.filter((e) => e.label === 'attack' && e.body !== undefined && !e.hostOnly).slice(0, 240);
    const benign = corpus.filter((e) => e.label === 'benign').slice(0, 40);
    const statuses = new Map<string, number>();
    for (const list of [attacks, benign]) {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < list.length) {
          const e = list[next++];
          statuses.set(e.id, await rawRequest(h.port, e, [], 4000));
        }
      }));
    }
    assert.deepEqual(benign.filter((e) => statuses.get(e.id) !== 200).map((e) => `${e.id}: ${statuses.get(e.id)}`), []);
    const answered = attacks.filter((e) => statuses.get(e.id) === 403 || statuses.get(e.id) === 400).length;
    assert.ok(answered >= attacks.length * 0.95, `${answered}/${attacks.length} attacks answered 403 (or 400 by the HTTP parser)`);
    assert.ok(attacks.every((e) => statuses.get(e.id) !== 0), 'every attack got an answer');
  });
});
