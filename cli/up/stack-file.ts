// `<data>/stack.json`: what a running `meshward up` started and where, so that `meshward demo
// attack` (and a person) can find the services, the API and its token. Written when the stack is
// up, removed when it stops; readable only by its owner, since it holds the API token.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Source addresses of the demo's callers (their identities in examples/up/peers.yaml). */
export const STOREFRONT_ADDRESS = '127.0.0.3';
export const ADMIN_ADDRESS = '127.0.0.4';
/** The scripted attacker: an address no policy knows. */
export const ATTACKER_ADDRESS = '127.0.0.66';

export interface StackFile {
  pid: number;
  dashboard: string;
  api: string;
  xds: string;
  token: string;
  services: { storefront: string; orders: string; payments: string };
  agent: { running: true; pid?: number } | { running: false; reason: string };
}

export const STACK_FILE = 'stack.json';

export function writeStackFile(dataDir: string, f: StackFile): string {
  const path = join(dataDir, STACK_FILE);
  writeFileSync(path, JSON.stringify(f, null, 2) + '\n', { mode: 0o600 });
  return path;
}

export function readStackFile(dataDir: string): StackFile {
  const path = join(dataDir, STACK_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`no running stack found (${path} is missing): start one with \`meshward up\` (or \`npm start\`), or give --data DIR of the one running`);
  }
  const f = JSON.parse(text) as StackFile;
  try {
    process.kill(f.pid, 0);
  } catch {
    throw new Error(`the stack recorded in ${path} (pid ${f.pid}) is not running any more: start it with \`meshward up\``);
  }
  return f;
}
