// `meshward agent --channel`: a value the guard cannot use is a usage error naming the flag and
// what is wrong, before anything starts (no root needed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

function agent(channel: string) {
  return spawnSync(process.execPath, [BIN, 'agent', '--policy', '/nonexistent/p.yaml', '--inventory', '/nonexistent/i.yaml', '--channel', channel], { encoding: 'utf8', timeout: 20_000 });
}

describe('meshward agent --channel', { timeout: 60_000 }, () => {
  it('refuses an address that is none, a port out of range, a relative unix path', () => {
    for (const [value, message] of [
      ['kubernetes-api=api.local:443', /--channel: "kubernetes-api=api.local:443": "api.local" is not an IPv4 or IPv6 address/],
      ['kubernetes-api=[fd00::1]:0', /--channel: .*port must be 1-65535/],
      ['container-runtime=unix:run/containerd.sock', /--channel: .*absolute path/],
      ['payments=10.0.0.1', /--channel: .*"payments" has no default port/],
    ] as const) {
      const r = agent(value);
      assert.equal(r.status, 2, `${value}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
