// `meshward demo` (the single-proxy demo; `npm start` runs `meshward up` now): it must come up, guard the orders service as it says, print
// the events it blocks, and stop cleanly on Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

describe('meshward demo', { timeout: 30_000 }, () => {
  it('starts, blocks what the sample policy forbids, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const base = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`demo exited ${code}: ${out}`)));
        child.stdout.on('data', () => {
          const m = /meshward proxy\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && out.includes('Events (Ctrl-C to stop)')) resolve(m[1]);
        });
      });
      const read = await fetch(`${base}/api/orders`);
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as unknown[]).length, 2);
      const del = await fetch(`${base}/api/orders/1`, { method: 'DELETE' });
      assert.equal(del.status, 403);
      const { event } = (await del.json()) as { event: string };
      while (!out.includes(event)) await once(child.stdout, 'data');
      assert.match(out, new RegExp(`BLOCK http\\.policy\\s+DELETE /api/orders/1 .*${event}`));
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, out);
  });
});
