import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startLocalSources, type SourceState } from '../../src/sources/local-sources.js';

const policy = (mode: string) => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: ${mode}
`;

/** A queue of what the handlers received, awaited one by one. */
function recorder() {
  const items: Array<SourceState | Error> = [];
  let wake: (() => void) | undefined;
  return {
    handlers: {
      update: (s: SourceState) => {
        items.push(s);
        wake?.();
      },
      error: (e: Error) => {
        items.push(e);
        wake?.();
      },
    },
    /** The next item; the timer also keeps the event loop alive while the (unref'd) watcher waits. */
    async next(timeoutMs = 10_000): Promise<SourceState | Error> {
      while (items.length === 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`nothing from the sources within ${timeoutMs} ms`)), timeoutMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      return items.shift()!;
    },
  };
}

describe('local sources', { timeout: 20_000 }, () => {
  it('loads policies and inventory, reloads on change, keeps the last good state on a broken edit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-src-'));
    const policies = join(dir, 'policies');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(policies);
    writeFileSync(join(policies, 'orders.yaml'), policy('monitor'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, 'workloads: [{namespace: shop, name: orders}]\n');
    const rec = recorder();
    const sources = startLocalSources({ policies: [policies], inventory }, rec.handlers);
    try {
      const first = (await rec.next()) as SourceState;
      assert.equal(first.policies[0].spec.mode, 'monitor');
      assert.equal(first.inventory[0].name, 'orders');

      writeFileSync(join(policies, 'orders.yaml'), policy('protect'));
      const second = (await rec.next()) as SourceState;
      assert.equal(second.policies[0].spec.mode, 'protect');

      writeFileSync(join(policies, 'orders.yaml'), policy('strict'));
      const err = await rec.next();
      assert.ok(err instanceof Error);
      assert.match(err.message, /orders\.yaml:6:\d+/);
      assert.equal(sources.current().policies[0].spec.mode, 'protect', 'the last good state stays');

      // Sources change together: while the policy folder is broken, nothing new is taken.
      writeFileSync(inventory, 'workloads: [{namespace: shop, name: orders}, {namespace: shop, name: payments}]\n');
      assert.ok((await rec.next()) instanceof Error);
      writeFileSync(join(policies, 'orders.yaml'), policy('discover'));
      const third = (await rec.next()) as SourceState;
      assert.equal(third.inventory.length, 2);
      assert.equal(third.policies[0].spec.mode, 'discover');
    } finally {
      sources.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a broken file: there is no good state to keep', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-src-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), 'kind: [\n');
      assert.throws(() => startLocalSources({ policies: [dir], watch: false }, { update() {}, error() {} }), /p\.yaml:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
