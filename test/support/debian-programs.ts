// Programs from Debian that suites need (Chromium, tshark), installed by the project's own script
// when missing (scripts/ensure-debian-packages.mjs; CI runs as root).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Throws with the script's reason when a program cannot be provided. */
export function ensureDebianPrograms(...programs: string[]): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/ensure-debian-packages.mjs'), ...programs], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status !== 0) throw new Error(`cannot provide ${programs.join(', ')}: ${r.stderr}`);
}
