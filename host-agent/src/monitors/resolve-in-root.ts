// A path inside a container's root, resolved as the container would: symlinks, absolute ones
// included, stay under the root (realpath from the host would follow /lib64/ld-linux-x86-64.so.2
// → /usr/lib/... to the host's own file, not the container's).
import { lstatSync, readlinkSync } from 'node:fs';

const MAX_LINKS = 40; // as the kernel's path walk

/** The host path of `path` inside `root`, every symlink resolved within the root. Throws when a
 * component is missing or links loop. */
export function resolveInRoot(root: string, path: string): string {
  const pending = path.split('/').filter((p) => p !== '');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop(); // never above the root
      continue;
    }
    const host = `${root}/${[...done, part].join('/')}`;
    if (!lstatSync(host).isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many symbolic links resolving ${path} in ${root}`);
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== ''));
  }
  return `${root}/${done.join('/')}`;
}
