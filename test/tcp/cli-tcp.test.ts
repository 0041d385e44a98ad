// `meshward proxy --tcp` from the command line: the flags are documented, misuse is a usage
// error naming the flag, and the binary proxies a real Redis with the filter in front.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

describe('meshward proxy --tcp (CLI)', { timeout: 60_000 }, () => {
  it('--help documents --tcp and --egress; misuse names the flag', () => {
    const help = spawnSync(process.execPath, [BIN, 'proxy', '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /--tcp/);
    assert.match(help.stdout, /--egress/);
    const bad = spawnSync(process.execPath, [BIN, 'proxy', '--tcp', '--upstream', 'http://127.0.0.1:1'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--upstream must be tcp:\/\/HOST:PORT with --tcp/);
    const egress = spawnSync(process.execPath, [BIN, 'proxy', '--egress', '--upstream', 'tcp://127.0.0.1:1'], { encoding: 'utf8' });
    assert.equal(egress.status, 2);
    assert.match(egress.stderr, /--egress needs --tcp/);
  });

  it('runs in front of Redis and answers a denied command with -ERR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-cli-tcp-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: cache, namespace: shop}
spec:
  selector: {matchLabels: {app: cache}}
  mode: protect
  ingress:
    - name: readers
      redis: [{commands: [PING, GET]}]
`);
    const child = spawn(process.execPath, [BIN, 'proxy', '--tcp', '--listen', '127.0.0.1:0', '--upstream', 'tcp://127.0.0.1:6379',
      '--policy', policy, '--workload', 'shop/cache', '--labels', 'app=cache'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no "proxy listening" line within 20 s: ${out}`)), 20_000);
        const read = (d: Buffer) => {
          out += d.toString();
          const m = /"msg":"proxy listening","address":"127\.0\.0\.1:(\d+)"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited ${code}: ${out}`));
        });
      });
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Error(`no reply within 10 s: ${JSON.stringify(got)}`));
        }, 10_000);
        let got = '';
        s.on('data', (d) => {
          got += d.toString('latin1');
          if (got.split('\r\n').length >= 3) {
            clearTimeout(timer);
            s.destroy();
            resolve(got);
          }
        });
        s.on('error', reject);
        s.write('PING\r\nFLUSHALL\r\n');
      });
      const [pong, denied] = reply.split('\r\n');
      assert.equal(pong, '+PONG');
      assert.match(denied, /^-ERR meshward: /);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
