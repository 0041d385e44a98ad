// `meshward up` as a real process for end-to-end and browser tests: its own data folder, any free
// ports, no periodic traffic; ready when it prints "Meshward is up.", stopped with SIGINT (as
// Ctrl-C would) and its folder removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/meshward.js', import.meta.url));

export interface UpProcess {
  child: ChildProcess;
  dataDir: string;
  dashboard: string;
  token: string;
  storefront: string;
  /** Everything it printed so far. */
  output(): string;
  /** Runs `meshward ARGS` against this stack and returns its exit code and output. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  /** SIGINT, then its exit code; removes the data folder. */
  stop(): Promise<number | null>;
}

export async function startUp(extra: string[] = [], env: Record<string, string> = {}): Promise<UpProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meshward-up-'));
  const child = spawn(process.execPath, [BIN, 'up', '--data', dataDir, '--port', '0', '--storefront-port', '0', '--traffic', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MESHWARD_API_TOKEN: '', ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`meshward up exited (${code}) before it was up:\n${out}`));
      child.once('exit', onExit);
      const onData = () => {
        if (!out.includes('Ctrl-C stops everything.')) return;
        child.off('exit', onExit);
        child.stdout!.off('data', onData);
        resolve();
      };
      child.stdout!.on('data', onData);
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const dashboard = /Dashboard\s+(http:\/\/\S+)/.exec(out)![1];
  const token = /API token\s+(\S+)/.exec(out)![1];
  const storefront = /Storefront\s+(http:\/\/\S+)/.exec(out)![1];
  const up: UpProcess = {
    child,
    dataDir,
    dashboard,
    token,
    storefront,
    output: () => out,
    cli: (args) =>
      new Promise((resolve) => {
        const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MESHWARD_API_TOKEN: token, MESHWARD_SERVER: dashboard } });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      }),
    async api<T>(path: string, init: { method?: string; body?: unknown } = {}) {
      const res = await fetch(dashboard + path, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
    async stop() {
      let code: number | null = child.exitCode;
      if (code === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        [code] = (await exited) as [number | null];
      }
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  return up;
}
