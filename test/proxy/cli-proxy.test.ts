// The `meshward` binary itself: help, usage errors, and a broken policy failing start-up with
// the file, line and reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

function meshward(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('meshward CLI', { timeout: 60_000 }, () => {
  it('--help lists the commands', () => {
    const r = meshward(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /proxy/);
    assert.match(r.stdout, /policy/);
  });

  it('proxy --help prints the flags of the issue', () => {
    const r = meshward(['proxy', '--help']);
    assert.equal(r.status, 0);
    for (const flag of ['--listen', '--upstream', '--policy', '--workload', '--labels', '--mode', '--fail', '--events-url', '--tls-cert', '--tls-key', '--client-ca']) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });

  it('a usage error exits 2 and names the flag', () => {
    const r = meshward(['proxy', '--upstream', 'http://127.0.0.1:1', '--mode', 'strict']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--mode must be one of discover, monitor, protect \(got "strict"\)/);
  });

  it('a broken policy file fails start-up with file, line and reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-cli-'));
    try {
      const file = join(dir, 'orders.yaml');
      writeFileSync(file, `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [FETCH], paths: ["/api"]}]
`);
      const r = meshward(['proxy', '--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:1', '--policy', file, '--workload', 'shop/orders']);
      assert.equal(r.status, 1);
      assert.ok(r.stderr.includes(`${file}:9:`), r.stderr);
      assert.match(r.stderr, /spec\.ingress\[0\]\.http\[0\]\.methods\[0\]/);
      assert.match(r.stderr, /FETCH/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
