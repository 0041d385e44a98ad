// Entering a network namespace without CAP_SYS_ADMIN: the error names that capability (setns
// needs it) for the sock_diag dumps and for NFQUEUE alike. Run in a child whose bounding set
// lacks CAP_SYS_ADMIN (setpriv), since this suite runs as root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const NATIVE = fileURLToPath(new URL('../../src/native/native.js', import.meta.url));
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const CHILD = `
const m = await import(${JSON.stringify(NATIVE)});
const n = m.loadPrivilegedNative();
if (!n.ok) { console.log(JSON.stringify({ skip: n.reason })); process.exit(0); }
const out = [];
for (const f of [() => n.addon.inetSockets('/proc/1/ns/net', { family: 4 }), () => n.addon.unixSockets('/proc/1/ns/net'), () => new n.addon.NfQueue({ queue: 4242, netns: '/proc/1/ns/net' }, () => {})]) {
  try { f(); out.push('no error'); } catch (e) { out.push(e.code + ' ' + e.message); }
}
console.log(JSON.stringify({ out }));
`;

describe('native: entering a network namespace without CAP_SYS_ADMIN', () => {
  const skip = process.getuid?.() !== 0 ? 'needs root' : SETPRIV === undefined ? 'needs setpriv (util-linux)' : undefined;
  it('names CAP_SYS_ADMIN for the inet and unix dumps and for NFQUEUE', { skip }, () => {
    const r = spawnSync(SETPRIV!, ['--bounding-set=-sys_admin', process.execPath, '--input-type=module', '-e', CHILD], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { out?: string[]; skip?: string };
    assert.ok(result.out, `the addon did not load: ${result.skip}`);
    const [inet, unix, nfqueue] = result.out;
    assert.match(inet, /^NATIVE_PRIVILEGE sock_diag: setns.*needs CAP_SYS_ADMIN/);
    assert.match(unix, /^NATIVE_PRIVILEGE .*setns.*needs CAP_SYS_ADMIN/);
    assert.match(nfqueue, /^NATIVE_PRIVILEGE nfqueue: setns.*needs CAP_SYS_ADMIN/);
  });
});
