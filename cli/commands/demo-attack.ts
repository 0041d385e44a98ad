// `meshward demo attack`: runs the scripted attack (cli/demo/attack.ts) against the stack of
// `meshward up`, found through its stack.json, prints each step and its answer, then the incident.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../api-client.js';
import { runAttack, waitForIncident } from '../demo/attack.js';
import { readStackFile } from '../up/stack-file.js';

export async function demoAttackCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string' } }, strict: true });
  const stack = readStackFile(resolve(values.data ?? '.meshward'));
  const api = new ApiClient({ server: stack.api, token: stack.token });
  const started = Date.now();
  const print = (s: string) => process.stdout.write(s);
  if (!values.json) print('Meshward demo attack\n');
  await runAttack(stack.services, ({ step, result }) => {
    if (values.json) return print(JSON.stringify({ stage: step.stage, method: step.method, url: step.target + step.path, from: step.from, status: result.status }) + '\n');
    // A response the filter stopped after its headers left (a leak) ends in the block answer.
    const blocked = result.status === 403 || result.body.includes('"error":"blocked"');
    const verdict = blocked ? 'blocked' : result.status === 0 ? `cut off (${result.body})` : `answered ${result.status}`;
    print(`  ${step.stage.padEnd(15)} ${`${step.method} ${step.path}`.padEnd(40)} from ${step.from.padEnd(10)} ${verdict}   ${step.what}\n`);
  });
  const incident = await waitForIncident(api, { sinceMs: started - 1000, timeoutMs: Number(values.timeout ?? 20_000) });
  if (!incident) {
    process.stderr.write('meshward demo attack: no incident appeared in time; see `meshward events` and the stack\'s log\n');
    return 1;
  }
  if (values.json) print(JSON.stringify({ incident }) + '\n');
  else print(`
Incident ${incident.id}: ${incident.title}
  severity ${incident.severity}, ${incident.eventCount} events, tactics: ${incident.tactics.join(' → ')}
  ${stack.dashboard}/incidents/${encodeURIComponent(incident.id)}
`);
  return 0;
}
