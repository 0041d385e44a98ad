// `meshward up` (what `npm start` runs) end to end as a real process: the stack comes up with its
// demo shop, `meshward demo attack` runs its scripted attack against it, and the incident that
// joins the attacker's steps is there through the REST API, with its events; Ctrl-C stops it all.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startUp, type UpProcess } from '../support/up-process.js';

interface Incident {
  id: string;
  title: string;
  severity: string;
  workloads: string[];
  peers: string[];
  tactics: string[];
  steps: Array<{ kind: string; tactic: string; workload: string }>;
}

describe('meshward up + meshward demo attack', { timeout: 120_000 }, () => {
  let up: UpProcess;

  before(async () => {
    up = await startUp();
  });
  after(async () => {
    await up?.stop();
  });

  it('comes up with the control plane ready, the demo shop answering through its sidecar, and says what it started', async () => {
    assert.equal((await fetch(`${up.dashboard}/readyz`)).status, 200);
    const shop = await fetch(`${up.storefront}/api/orders`);
    assert.equal(shop.status, 200);
    assert.ok(Array.isArray(await shop.json()));
    assert.match(up.output(), /✓ control plane/);
    assert.match(up.output(), /✓ demo services\s+storefront http/);
    // As root the agent starts (or says why it could not); otherwise it says root is needed.
    assert.match(up.output(), /[✓!–] host agent/);
    const { workloads } = await up.api<{ workloads: Array<{ name: string; mode: string }> }>('/v1/workloads');
    assert.deepEqual(Object.fromEntries(workloads.map((w) => [w.name, w.mode])), { storefront: 'discover', orders: 'protect', payments: 'discover' });
    assert.equal((await fetch(`${up.dashboard}/v1/incidents`)).status, 401, 'the API needs the printed token');
  });

  it('serves the built dashboard on the same port, for its own routes too', async () => {
    for (const path of ['/', '/login', '/incidents/any']) {
      const page = await fetch(up.dashboard + path);
      assert.equal(page.status, 200, path);
      assert.match(await page.clone().text(), /<div id="root"><\/div>/);
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())![1];
      assert.equal((await fetch(up.dashboard + script)).status, 200);
    }
    assert.doesNotMatch(up.output(), /the dashboard is not built/);
  });

  it('`meshward demo attack` ends in one incident joining the attacker\'s probe, injection and leak', async () => {
    const r = await up.cli(['demo', 'attack', '--data', up.dataDir, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { stage?: string; status?: number; incident?: Incident });
    const steps = lines.filter((l) => l.stage);
    assert.deepEqual(steps.filter((s) => s.stage === 'initial-access' || s.stage === 'policy').map((s) => s.status), [403, 403]);
    const printed = lines.find((l) => l.incident)!.incident!;

    const { incident, events } = await up.api<{ incident: Incident; events: Array<{ event: { kind: string; action: string; source: { ip: string } } }> }>(`/v1/incidents/${encodeURIComponent(printed.id)}`);
    assert.ok(incident.peers.includes('ip:127.0.0.66'), JSON.stringify(incident.peers));
    assert.ok(incident.workloads.includes('shop/orders'));
    assert.ok(incident.tactics.includes('reconnaissance') && incident.tactics.includes('initial-access'), incident.tactics.join());
    assert.ok(incident.steps.some((s) => s.kind === 'dlp.leak' && s.workload === 'shop/orders'));
    assert.ok(['high', 'critical'].includes(incident.severity));
    const kinds = new Set(events.map((e) => e.event.kind));
    assert.ok(kinds.has('http.attack') && kinds.has('dlp.leak'), [...kinds].join());
    assert.ok(events.filter((e) => e.event.kind === 'http.attack' && e.event.source.ip === '127.0.0.66').some((e) => e.event.action === 'block'));

    // The DELETE from the wrong caller is on the record as a blocked flow storefront → orders.
    const { flows } = await up.api<{ flows: Array<{ workload: string; srcWorkload: string; method: string; actions: string[] }> }>('/v1/flows?since=1h');
    assert.ok(flows.some((f) => f.workload === 'orders' && f.srcWorkload === 'storefront' && f.method === 'DELETE' && f.actions.includes('block')));
  });

  it('the incident is listed by `meshward incidents`', async () => {
    const r = await up.cli(['incidents', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.split('\n').some((l) => l.includes('ip:127.0.0.66')));
  });

  it('Ctrl-C stops everything and removes the stack file', async () => {
    const stackFile = join(up.dataDir, 'stack.json');
    assert.ok(existsSync(stackFile));
    const code = await up.stop();
    assert.equal(code, 0, up.output());
    assert.match(up.output(), /stopped\./);
  });
});
