// The dashboard's built files (Vite's output) served from the HTTP port, beside the API it uses.
// Paths outside /v1 that name no file get index.html, so the single-page app's own routes
// (/incidents/abc) load on a reload. Files are read once and kept: the build does not change
// while the control plane runs. Hashed assets are cached for a year, index.html never.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

export interface StaticFile {
  body: Buffer;
  type: string;
  cache: string;
}

export interface StaticUi {
  /** The file for a GET path, or undefined when this path is not the dashboard's. */
  get(path: string): StaticFile | undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Files of the dashboard at most (a Vite build has a handful). */
const MAX_FILES = 500;

export function staticUi(dir: string): StaticUi {
  const files = new Map<string, StaticFile>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (files.size < MAX_FILES) {
        const path = '/' + relative(dir, p).split(sep).join('/');
        const immutable = path.startsWith('/assets/');
        files.set(path, { body: readFileSync(p), type: TYPES[extname(p)] ?? 'application/octet-stream', cache: immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
      }
    }
  };
  walk(dir);
  const index = files.get('/index.html');
  if (!index) throw new Error(`the dashboard folder ${dir} has no index.html (run \`npm run build:ui\`)`);
  return {
    get(path) {
      if (path === '/v1' || path.startsWith('/v1/')) return undefined;
      const file = files.get(path);
      if (file) return file;
      // A missing asset is a 404, not the page: a stale tab must not parse HTML as a script.
      if (path.startsWith('/assets/') || extname(path) !== '') return undefined;
      return index;
    },
  };
}
