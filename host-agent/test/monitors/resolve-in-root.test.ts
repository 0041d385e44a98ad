import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveInRoot } from '../../src/monitors/resolve-in-root.js';

describe('monitors: paths resolved inside a container root', () => {
  const root = mkdtempSync(join(tmpdir(), 'mw-root-'));
  mkdirSync(join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), '');
  mkdirSync(join(root, 'lib64'));
  // As in Debian images: an absolute link, which from the host would name the host's file.
  symlinkSync('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'lib64/ld-linux-x86-64.so.2'));
  symlinkSync('usr/lib', join(root, 'lib'));
  symlinkSync('../../../../usr/lib', join(root, 'usr/lib/x86_64-linux-gnu/up'));
  symlinkSync('/loop-b', join(root, 'loop-a'));
  symlinkSync('/loop-a', join(root, 'loop-b'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps absolute and relative links, and "..", inside the root', () => {
    assert.equal(resolveInRoot(root, '/lib64/ld-linux-x86-64.so.2'), `${root}/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`);
    assert.equal(resolveInRoot(root, '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), `${root}/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`);
    assert.equal(resolveInRoot(root, '/usr/lib/x86_64-linux-gnu/up'), `${root}/usr/lib`);
  });

  it('throws for a missing component and for a link loop', () => {
    assert.throws(() => resolveInRoot(root, '/lib64/ld-musl-x86_64.so.1'), /ENOENT/);
    assert.throws(() => resolveInRoot(root, '/loop-a/x'), /too many symbolic links/);
  });
});
