// Where the built artefacts sit, found from this file (dist/cli/paths.js) so commands work from
// any working directory.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FILTER_WASM = join(REPO_ROOT, 'filter/build/meshward.wasm');
export const EXAMPLES = join(REPO_ROOT, 'examples');
/** The dashboard, built by Vite from control-plane/ui/ (`npm run build:ui`). */
export const UI_DIR = join(REPO_ROOT, 'dist/ui');
