// The dashboard in a real browser (Debian's Chromium through playwright-core) against a running
// `meshward up` after `meshward demo attack`: log in with the printed token, find the demo
// incident and open its chain, open the map and find the blocked edge, look at a workload, apply
// the learned policy from the policy page, watch the live events. Each page is saved as a
// screenshot under test-output/screenshots/; any error shown on a page, console error, page error
// or failed request fails the suite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from '../support/browser.js';
import { startUp, type UpProcess } from '../support/up-process.js';

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface IncidentLine {
  incident?: { id: string; title: string };
}

describe('dashboard in Chromium', { timeout: 600_000 }, () => {
  let up: UpProcess;
  let b: BrowserSession;
  let page: Page;
  let incidentId = '';

  /** No page shows an error and nothing went wrong in the console or the network. */
  const clean = async (where: string) => {
    const shown = await page.locator('[role=alert]').allInnerTexts();
    assert.deepEqual(shown, [], `${where}: the page shows an error`);
    assert.deepEqual(b.problems, [], `${where}: console errors or failed requests`);
  };

  /** One test of the walk through the dashboard; when it fails, the error says where the page was
   * and what it showed, and the page is saved as failure-<n>.png beside the other screenshots. */
  let steps = 0;
  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      const n = ++steps;
      try {
        await fn();
      } catch (err) {
        const shot = await b.screenshot(`failure-${n}`).catch(() => 'none');
        const text = (await page.locator('body').innerText().catch(() => '')).slice(0, 600);
        throw new Error(`${(err as Error).message}\n  at ${page.url()}\n  problems: ${JSON.stringify(b.problems)}\n  page: ${text}\n  screenshot: ${shot}`, { cause: err });
      }
    });

  before(async () => {
    // The browser is provided first: installing it (once per machine) must not count against the stack.
    b = await openBrowser();
    page = b.page;
    up = await startUp(['--no-agent']);
    const attack = await up.cli(['demo', 'attack', '--data', up.dataDir, '--json']);
    assert.equal(attack.code, 0, attack.stderr + attack.stdout);
    const line = attack.stdout.trim().split('\n').map((l) => JSON.parse(l) as IncidentLine).find((l) => l.incident);
    incidentId = line!.incident!.id;
  });
  after(async () => {
    await b?.close();
    await up?.stop();
  });

  step('asks for the token, refuses a wrong one, and logs in with the printed one', async () => {
    await page.goto(`${up.dashboard}/incidents`);
    await page.getByTestId('token').waitFor();
    await b.screenshot('login');
    await page.getByTestId('token').fill('not-the-token');
    await page.getByTestId('login').click();
    assert.match(await page.getByTestId('error').innerText(), /not accepted/);
    // The refused check is the one failed request the browser may report; nothing else.
    assert.ok(b.problems.length > 0 && b.problems.every((p) => /401/.test(p)), JSON.stringify(b.problems));
    b.problems.length = 0;
    await page.getByTestId('token').fill(up.token);
    await page.getByTestId('login').click();
    // Logged in, it goes on to the page asked for.
    await page.getByTestId('incidents').waitFor();
    await clean('login');
  });

  step('lists the demo incident and opens its chain as a timeline with tactics', async () => {
    const row = page.locator(`[data-testid=incident-row][data-id="${incidentId}"]`);
    await row.waitFor();
    await b.screenshot('incidents');
    await row.locator('a').click();
    await page.getByTestId('chain').waitFor();
    const tactics = await page.locator('[data-testid=chain-step]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tactic')));
    assert.ok(tactics.includes('reconnaissance') && tactics.includes('initial-access'), tactics.join());
    assert.match(await page.getByTestId('chain').innerText(), /sqli/);
    assert.equal(await page.locator('.killchain span.hit').count() >= 3, true);
    assert.match(page.url(), new RegExp(`/incidents/${incidentId}$`));
    await b.screenshot('incident');
    await clean('incident');
  });

  step('draws the map from observed flows, with the blocked edge storefront → orders; zooms and filters', async () => {
    await page.getByTestId('nav-map').click();
    const blocked = page.locator('[data-testid=edge][data-from="shop/storefront"][data-to="shop/orders"]');
    await blocked.waitFor();
    assert.equal(await blocked.getAttribute('data-verdict'), 'blocked');
    const attack = page.locator('[data-testid=edge][data-from="ip:127.0.0.66"][data-to="shop/orders"]');
    assert.equal(await attack.getAttribute('data-verdict'), 'attack');
    await blocked.locator('path.hit').click({ force: true });
    assert.match(await page.getByTestId('edge-panel').innerText(), /blocked[\s\S]*DELETE \/api\/orders\/1/);
    const before = Number(await page.getByTestId('map').getAttribute('data-scale'));
    await page.getByTestId('zoom-in').click();
    assert.ok(Number(await page.getByTestId('map').getAttribute('data-scale')) > before);
    await page.getByTestId('zoom-out').click();
    await page.getByTestId('map-namespace').selectOption('shop');
    assert.ok((await page.locator('[data-testid=node]').count()) >= 3);
    await b.screenshot('map');
    await clean('map');
  });

  step('shows a workload: modes per concern, learned baseline, recent events', async () => {
    await page.getByTestId('nav-workloads').click();
    await page.getByTestId('workloads').getByText('shop/storefront').click();
    await page.getByTestId('baseline').getByText('GET /api/products').waitFor();
    assert.match(await page.getByTestId('modes').innerText(), /network\s+discover/);
    await page.getByTestId('recent-events').locator('tr').first().waitFor();
    await b.screenshot('workload');
    await clean('workload');
  });

  step('applies the learned policy from the policy page after its dry-run', async () => {
    await page.getByTestId('nav-policies').click();
    await page.getByTestId('policy-link-shop-storefront').click();
    await page.getByTestId('proposal-yaml').waitFor();
    assert.match(await page.getByTestId('proposal-yaml').innerText(), /name: storefront-learned/);
    await page.getByTestId('dry-run-summary').waitFor();
    // Replayed in protect, the learned policy passes the customers' traffic and stops only what the
    // attacker's scanner sent (detected as attacks whatever the rules).
    const dry = await page.getByTestId('dry-run').innerText();
    assert.match(dry, /recorded flows/);
    assert.doesNotMatch(dry, /^127\.0\.0\.1$/m, dry);
    assert.match(await page.getByTestId('diff').innerText(), /\+ kind: SecurityPolicy/);
    await page.getByTestId('apply').click();
    await page.getByTestId('notice').waitFor();
    assert.match(await page.getByTestId('notice').innerText(), /Applied shop\/storefront-learned \(new\) in monitor mode/);
    // The control plane takes it in force once its policy folder watch sees the file, and the
    // workload leaves discover; the page shows that on its next refresh.
    await waitFor(async () => {
      const { policies } = await up.api<{ policies: Array<{ namespace: string; name: string; mode: string }> }>('/v1/policies');
      return policies.some((p) => p.name === 'storefront-learned' && p.mode === 'monitor');
    }, 'the learned policy in force');
    await page.getByTestId('switch-mode').scrollIntoViewIfNeeded();
    await page.reload();
    await page.locator('.toolbar .mode-monitor').waitFor();
    await b.screenshot('policy');
    await clean('policy');
  });

  step('streams live events: a new event appears without a reload and without polling', async () => {
    await page.getByTestId('nav-live-events').click();
    await page.locator('[data-testid=event-row]').first().waitFor();
    await page.locator('[data-testid=live-state][data-state=stream]').waitFor();
    const before = await page.locator('[data-testid=event-row]').count();
    const polls: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (/\/v1\/events\?/.test(r.url())) polls.push(r.url());
    };
    page.on('request', onRequest);
    const url = page.url();
    // New traffic (a violation of the policy just applied, so it is reported) appears without a reload.
    await fetch(`${up.storefront}/api/not-learned`);
    await page.locator('[data-testid=event-row]').nth(before).waitFor({ timeout: 10_000 });
    page.off('request', onRequest);
    assert.match(await page.getByTestId('events').innerText(), /\/api\/not-learned/);
    assert.deepEqual(polls, [], 'the event came by the stream, not by polling');
    assert.equal(page.url(), url);
    await b.screenshot('events');
    await clean('events');
  });

  step('the incidents page is live too', async () => {
    await page.getByTestId('nav-incidents').click();
    await page.locator('[data-testid=incidents-live][data-state=stream]').waitFor();
    await clean('incidents live');
  });
});
