// `meshward up` (`npm start`): the whole local stack on one machine with embedded defaults: the
// control plane with its SQLite store in ./.meshward/, the dashboard and API on one port, a demo
// shop of three services each behind `meshward proxy --xds`, and the host agent when run as root.
// It shows progress while it starts, then the dashboard URL, the token and commands to try.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, parseHostPort } from '../args.js';
import { startStack, type StepState } from '../up/stack.js';

export const UP_USAGE = `Usage: meshward up [options]

Starts Meshward on this machine with a demo application, and the dashboard:
  - the control plane (xDS, event store in SQLite, REST API and dashboard on one port)
  - a demo shop: storefront -> orders (PostgreSQL and Redis when they run locally) and payments,
    each behind meshward proxy taking its policy over xDS
  - the host agent, when run as root
Then run \`meshward demo attack\` for an incident to look at. Ctrl-C stops everything.

  --port N               the dashboard and API port (default 7070; 0: any free port)
  --host ADDR            the address they listen on (default 127.0.0.1)
  --storefront-port N    the demo storefront's sidecar (default 8080; 0: any free port)
  --data DIR             state: store, policies, API token (default ./.meshward)
  --no-agent             do not start the host agent even as root
  --no-postgres          keep the demo's orders in memory
  --no-redis             do not cache the demo's order list in Redis
  --traffic SECONDS      a customer visit to the shop every SECONDS (default 15; 0: once)
  The API token is $MESHWARD_API_TOKEN, else the one kept in DIR/api-token (made on first run).
`;

const MARK: Record<StepState, string> = { start: '…', ok: '✓', warn: '!', skip: '–' };

function port(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (got "${v}")`);
  return n;
}

async function portFree(host: string, p: number, flag: string): Promise<void> {
  if (p === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: Error & { code?: string }) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${host}:${p} is in use (another \`meshward up\`?): stop it, or choose another port with ${flag}`) : err),
    );
    probe.listen(p, host, () => probe.close(() => resolve()));
  });
}

/** The API token: from the environment, else kept in the data folder so that a restarted stack
 * keeps the dashboard logged in. */
function apiToken(dataDir: string): { token: string; from: string } {
  const env = process.env.MESHWARD_API_TOKEN;
  if (env) return { token: env, from: 'MESHWARD_API_TOKEN' };
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return { token: kept, from: file };
  }
  const token = `mw_${randomBytes(18).toString('base64url')}`;
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, from: file };
}

export async function upCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'storefront-port': { type: 'string' },
      data: { type: 'string' },
      'no-agent': { type: 'boolean' },
      'no-postgres': { type: 'boolean' },
      'no-redis': { type: 'boolean' },
      traffic: { type: 'string' },
    },
    strict: true,
  });
  const host = values.host ?? '127.0.0.1';
  parseHostPort('--host', `${host}:0`);
  const traffic = values.traffic === undefined ? 15 : Number(values.traffic);
  if (!Number.isFinite(traffic) || traffic < 0) throw new UsageError(`--traffic must be a number of seconds (got "${values.traffic}")`);
  const dataDir = resolve(values.data ?? '.meshward');
  mkdirSync(dataDir, { recursive: true });
  const { token, from } = apiToken(dataDir);
  const logFile = join(dataDir, 'meshward.log');
  const out = (s: string) => process.stdout.write(s);

  const httpPort = port('--port', values.port, 7070);
  const storefrontPort = port('--storefront-port', values['storefront-port'], 8080);
  // Checked before anything starts: a control plane that fails to listen half-way leaves its
  // other servers running.
  await portFree(host, httpPort, '--port');
  await portFree('127.0.0.1', storefrontPort, '--storefront-port');
  out(`Meshward: starting the local stack (state in ${dataDir}, log in ${logFile})\n`);
  const stack = await startStack({
    dataDir,
    http: { host, port: httpPort },
    storefrontPort,
    apiToken: token,
    agent: values['no-agent'] ? 'off' : 'auto',
    postgres: values['no-postgres'] ? false : undefined,
    redis: values['no-redis'] ? false : undefined,
    trafficIntervalMs: traffic * 1000,
    progress: (step, state, detail) => out(`  ${MARK[state]} ${step.padEnd(17)}${detail ?? ''}\n`),
    logger: {
      log(level, message, fields) {
        appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }) + '\n');
        if (message.startsWith('incident ') && fields) out(`  ${message}: ${String(fields.title ?? '')} (${String(fields.severity ?? '')}) ${String(fields.id ?? '')}\n`);
        else if (level === 'error') out(`  error: ${message}\n`);
      },
    },
  });
  const s = stack.file.services;
  out(`
Meshward is up.

  Dashboard   ${stack.dashboard}   (log in with the API token, or open ${stack.dashboard}/login#token=${token})
  API token   ${token}   (from ${from})
  Storefront  ${s.storefront}
${stack.notes.map((n) => `  Note: ${n}\n`).join('')}
Try:
  npx meshward demo attack${dataDir === resolve('.meshward') ? '' : ` --data ${dataDir}`}   # probing, an injection, a DELETE from the wrong caller, a data leak
  curl ${s.storefront}/api/orders
  curl -X DELETE ${s.orders}/api/orders/1         # blocked: only the admin console may delete
  MESHWARD_API_TOKEN=${token} npx meshward incidents --server ${stack.dashboard}
  MESHWARD_API_TOKEN=${token} npx meshward learn --workload shop/storefront --server ${stack.dashboard}

Ctrl-C stops everything.
`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  out('\nstopping...\n');
  await stack.close();
  out('stopped.\n');
  return 0;
}
