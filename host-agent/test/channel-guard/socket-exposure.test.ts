// Finding a node socket's file and filesystem as the host sees it, through symbolic links, on a
// real directory tree (no root needed: the agent's own mount table and a unix socket in /tmp).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deviceName, exposures, hostSocket, resolveIn } from '../../src/channel-guard/socket-exposure.js';

describe('socket exposure', () => {
  let dir: string;
  let server: Server;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-expose-'));
    mkdirSync(join(dir, 'run/containerd'), { recursive: true });
    mkdirSync(join(dir, 'var'));
    symlinkSync('../run', join(dir, 'var/run')); // relative, as /var/run → ../run
    symlinkSync(join(dir, 'run'), join(dir, 'abs-run')); // absolute
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'run/containerd/containerd.sock'), resolve));
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves relative and absolute links as the given root sees them; gives up on loops', () => {
    const real = join(dir, 'run/containerd/containerd.sock');
    assert.equal(resolveIn('', join(dir, 'var/run/containerd/containerd.sock')), real);
    assert.equal(resolveIn('', join(dir, 'abs-run/containerd/../containerd/containerd.sock')), real);
    assert.equal(resolveIn('', join(dir, 'loop-a/x')), undefined, 'a loop of links is not followed forever');
    assert.equal(resolveIn('', join(dir, 'missing/x')), undefined);
    assert.equal(resolveIn(dir, '/run/containerd'), '/run/containerd', 'inside another root');
  });

  it('finds the socket, its filesystem and its path inside it; not a file that is no socket', () => {
    const view = { root: '', mountinfo: '/proc/self/mountinfo' };
    const path = join(dir, 'var/run/containerd/containerd.sock');
    const s = hostSocket(view, { name: 'container-runtime', path });
    assert.ok(s, 'found');
    const st = statSync(join(dir, 'run/containerd/containerd.sock'));
    assert.equal(s.ino, st.ino);
    assert.equal(s.device, deviceName(st.dev));
    assert.ok(s.fsPath.endsWith('/run/containerd/containerd.sock'), s.fsPath);
    assert.equal(hostSocket(view, { name: 'container-runtime', path: join(dir, 'run') }), undefined, 'a directory');
    assert.equal(hostSocket(view, { name: 'container-runtime', path: join(dir, 'none.sock') }), undefined);
    // This process reaches it by its own path: an exposure at that path, through a mount above it.
    const found = exposures('/proc', process.pid, [s]);
    assert.ok(found.some((e) => e.containerPath === join(dir, 'run/containerd/containerd.sock') && !e.fileMount), JSON.stringify(found));
  });
});
