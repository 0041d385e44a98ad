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

interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  proxy: { summary: 'guard an upstream with the filter, as an inbound sidecar', usage: PROXY_USAGE, run: proxyCommand },
  policy: { summary: 'validate or compile SecurityPolicy files', usage: POLICY_USAGE, run: policyCommand },
  'control-plane': { summary: 'serve compiled policy over xDS (ECDS, ADS), with health and metrics', usage: CONTROL_PLANE_USAGE, run: controlPlaneCommand },
  istio: { summary: 'render the Istio resources that put Meshward into sidecars', usage: ISTIO_USAGE, run: istioCommand },
  demo: { summary: 'start a demo app behind meshward proxy (what `npm start` runs)', usage: DEMO_USAGE, run: demoCommand },
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
