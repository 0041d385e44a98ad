// `meshward status`: what the control plane is doing: policy distribution, xDS streams, ingest
// and the store, from /v1/status.
import { parseArgs } from 'node:util';
import { ApiClient, SERVER_HELP } from '../api-client.js';

export const STATUS_USAGE = `Usage: meshward status [--server URL] [--json]

Shows the control plane's state: xDS streams and pushes, policy publishes, event ingest and the
store.
${SERVER_HELP}
`;

interface Status {
  xds?: { streamsActive?: number; pushes?: number; acks?: number; nacks?: number };
  distributor?: { publishes?: number; failures?: number; lastError?: string };
  sources?: { updates?: number; errors?: number; lastError?: string };
  ingest?: Record<string, number | Record<string, number>>;
  store?: { backend?: string; events?: number; eventBytes?: number; incidents?: number };
  [k: string]: unknown;
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { server: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const client = new ApiClient({ server: values.server });
  const s = await client.get<Status>('/v1/status');
  if (values.json) {
    process.stdout.write(JSON.stringify(s) + '\n');
    return 0;
  }
  const i = s.ingest ?? {};
  const lines = [
    `control plane  ${client.server}`,
    `xDS            ${s.xds?.streamsActive ?? 0} streams, ${s.xds?.pushes ?? 0} pushes, ${s.xds?.acks ?? 0} ACKs, ${s.xds?.nacks ?? 0} NACKs`,
    `policy         ${s.distributor?.publishes ?? 0} publishes, ${s.distributor?.failures ?? 0} failed${s.sources?.lastError ? `; last source error: ${s.sources.lastError}` : ''}`,
    `ingest         ${i.eventsStored ?? 0} stored, ${i.eventsRejected ?? 0} rejected, ${i.eventsRefused ?? 0} refused (retried by senders), ${i.eventsDroppedBySenders ?? 0} dropped by senders, queue ${i.queueDepth ?? 0}/${i.queueLimit ?? 0}`,
    `store          ${s.store?.backend ?? '?'}: ${s.store?.events ?? 0} events (${Math.round((s.store?.eventBytes ?? 0) / 1024)} KiB), ${s.store?.incidents ?? 0} incidents`,
  ];
  for (const key of ['correlate', 'learn', 'respond'] as const) {
    const part = s[key] as Record<string, unknown> | undefined;
    if (part) lines.push(`${key.padEnd(15)}${Object.entries(part).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
