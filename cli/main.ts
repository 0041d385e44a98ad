// `meshward`: one entry point, one sub-command per task. Each command module exports its usage
// text and a function returning the process exit code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './args.js';
import { REPO_ROOT } from './paths.js';
import { PROXY_USAGE, proxyCommand } from './commands/proxy.js';
import { POLICY_USAGE, policyCommand } from './commands/policy.js';
import { DEMO_USAGE, demoCommand } from './commands/demo.js';
import { CONTROL_PLANE_USAGE, controlPlaneCommand } from './commands/control-plane.js';
import { ISTIO_USAGE, istioCommand } from './commands/istio.js';
import { AGENT_USAGE, agentCommand } from './commands/agent.js';
import { EVENTS_USAGE, eventsCommand } from './commands/events.js';
import { STATUS_USAGE, statusCommand } from './commands/status.js';
import { LEARN_USAGE, learnCommand } from './commands/learn.js';
import { INCIDENTS_USAGE, incidentsCommand } from './commands/incidents.js';
import { UP_USAGE, upCommand } from './commands/up.js';
import { REPLAY_USAGE, replayCommand } from './commands/replay.js';
import { CAPTURE_USAGE, captureCommand } from './commands/capture.js';

interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  up: { summary: 'start everything on this machine: control plane, dashboard, demo app, agent (npm start)', usage: UP_USAGE, run: upCommand },
  proxy: { summary: 'guard an upstream with the filter, as an inbound sidecar', usage: PROXY_USAGE, run: proxyCommand },
  policy: { summary: 'validate or compile SecurityPolicy files', usage: POLICY_USAGE, run: policyCommand },
  'control-plane': { summary: 'serve compiled policy over xDS (ECDS, ADS), with health and metrics', usage: CONTROL_PLANE_USAGE, run: controlPlaneCommand },
  agent: { summary: 'the host agent: processes, files, ports, non-mesh traffic and control channels of this node', usage: AGENT_USAGE, run: agentCommand },
  istio: { summary: 'render the Istio resources that put Meshward into sidecars', usage: ISTIO_USAGE, run: istioCommand },
  demo: { summary: '`demo attack`: a scripted attack on the stack of `meshward up`; `demo`: one proxied app', usage: DEMO_USAGE, run: demoCommand },
  replay: { summary: 'run the HTTP and TCP streams of a pcap through the filter offline; print verdicts and events', usage: REPLAY_USAGE, run: replayCommand },
  capture: { summary: 'a pcap file of a workload\'s traffic through its host agents, or captured here (root)', usage: CAPTURE_USAGE, run: captureCommand },
  events: { summary: 'list stored events (from the control plane)', usage: EVENTS_USAGE, run: eventsCommand },
  incidents: { summary: 'attack chains correlated from events, with tactics', usage: INCIDENTS_USAGE, run: incidentsCommand },
  learn: { summary: 'the policy learned from a workload\'s traffic; apply it; promote its mode', usage: LEARN_USAGE, run: learnCommand },
  status: { summary: 'show the control plane\'s state: xDS, policy, ingest, store', usage: STATUS_USAGE, run: statusCommand },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Meshward ${version()}: run-time security for containers in a service mesh.

Usage: meshward <command> [options]

Commands:
${lines.join('\n')}
  ${'version'.padEnd(width)}  print the version

Run \`meshward <command> --help\` for a command's options.
`;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 1 : 0;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`meshward: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`meshward ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    process.stderr.write(`meshward ${name}: ${e.message}\n`);
    return 1;
  }
}
