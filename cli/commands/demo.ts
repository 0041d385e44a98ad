// `meshward demo` (`npm start`): an orders service behind `meshward proxy` in protect mode, with
// the sample policy in examples/demo/, printing each event as it happens and how to try it.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseHostPort } from '../args.js';
import { createLogger } from '../logger.js';
import { EXAMPLES, FILTER_WASM } from '../paths.js';
import { startOrdersApp } from '../demo/orders-app.js';
import { startMeshwardProxy } from './proxy.js';
import { demoAttackCommand } from './demo-attack.js';

export const DEMO_USAGE = `Usage:
  meshward demo attack [--data DIR] [--json]
      a scripted attack on the stack \`meshward up\` runs (probing, an SQL injection, a DELETE
      from the wrong caller, a data leak); waits for the incident and prints where to see it.
      --data DIR is that stack's state folder (default ./.meshward)
  meshward demo [--listen HOST:PORT] [--admin HOST:PORT]
      just an orders service behind meshward proxy (protect mode, examples/demo/policy.yaml),
      printing the events the filter emits, without a control plane. Ctrl-C stops it.
      --listen HOST:PORT   the proxy (default 127.0.0.1:8080)
      --admin HOST:PORT    the proxy's admin endpoint (default 127.0.0.1:8081)
`;

interface DemoEvent {
  action?: string;
  kind?: string;
  http?: { method?: string; path?: string };
  source?: { ip?: string; principal?: string };
  rule?: { name?: string } | null;
  id?: string;
}

function describe(line: string): string {
  try {
    const e = JSON.parse(line) as DemoEvent;
    const who = e.source?.principal || e.source?.ip || 'unknown';
    const what = `${e.http?.method ?? ''} ${e.http?.path ?? ''}`.trim();
    const rule = e.rule?.name ? `rule ${e.rule.name}` : 'no rule matched';
    return `  event ${String(e.action ?? '').toUpperCase().padEnd(5)} ${e.kind ?? ''}  ${what}  from ${who}  (${rule})  ${e.id ?? ''}`;
  } catch {
    return `  event ${line}`;
  }
}

export async function demoCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'attack') return demoAttackCommand(argv.slice(1));
  const { values } = parseArgs({ args: argv, options: { listen: { type: 'string' }, admin: { type: 'string' } }, strict: true });
  const listen = parseHostPort('--listen', values.listen ?? '127.0.0.1:8080');
  const adminAt = parseHostPort('--admin', values.admin ?? '127.0.0.1:8081');
  const logger = createLogger('warn', (line) => process.stdout.write(describe(line) + '\n'));

  process.stdout.write('Meshward demo: starting the orders service and meshward proxy...\n');
  const app = await startOrdersApp();
  const running = await startMeshwardProxy({
    listen,
    upstream: app.url,
    policies: [join(EXAMPLES, 'demo/policy.yaml')],
    workload: { namespace: 'shop', name: 'orders' },
    labels: { app: 'orders' },
    fail: 'closed',
    peersFile: join(EXAMPLES, 'demo/peers.yaml'),
    upstreamProtocol: 'auto',
    admin: adminAt,
    noFilter: false,
    wasm: FILTER_WASM,
    logger,
  });
  const p = running.proxy.address;
  const base = `http://${p.address}:${p.port}`;
  const admin = running.admin ? `http://${running.admin.address.address}:${running.admin.address.port}` : '';
  process.stdout.write(`
  orders service   ${app.url}
  meshward proxy   ${base}   (workload shop/orders, protect mode)
  admin            ${admin}/stats
  policy           ${join(EXAMPLES, 'demo/policy.yaml')} (edit it: the proxy reloads it)

Try:
  curl ${base}/api/orders                                 # allowed: public-reads
  curl -X DELETE ${base}/api/orders/1                     # blocked: 403 with the event id
  curl --interface 127.0.0.2 -X DELETE ${base}/api/orders/1   # allowed: the admin identity
  curl ${admin}/stats                                     # counters of the filter and proxy

Events (Ctrl-C to stop):
`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.stdout.write('\nstopping...\n');
  await running.close();
  await app.close();
  return 0;
}
