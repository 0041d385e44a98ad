#!/usr/bin/env node
// Writes docs/cli.md from the built CLI's own help texts (`npm run build` first), so the page says
// exactly what `meshward <command> --help` says. Usage: node scripts/cli-doc.mjs
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/meshward.js`;
const help = (args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' }).stdout;
const top = help(['--help']);
const commands = [...top.matchAll(/^ {2}([a-z-]+) {2,}(.+)$/gm)].map((m) => [m[1], m[2]]).filter(([c]) => c !== 'version');
let out = `# The \`meshward\` command

One entry point (\`npx meshward\` in the repository, \`bin/meshward.js\`), one sub-command per task.
Commands that talk to a control plane find it from \`--server URL\` or \`MESHWARD_SERVER\` (default
http://127.0.0.1:7070) and take the API token from \`MESHWARD_API_TOKEN\`; \`--json\` prints JSON
lines. This page is generated from the commands' own help (\`node scripts/cli-doc.mjs\`).

| command | what it does |
|---|---|
${commands.map(([c, s]) => `| [\`${c}\`](#meshward-${c}) | ${s.replace(/\|/g, '\\|')} |`).join('\n')}
`;
for (const [c] of commands) out += `\n## meshward ${c}\n\n\`\`\`text\n${help([c, '--help']).trimEnd()}\n\`\`\`\n`;
writeFileSync(`${root}docs/cli.md`, out);
console.log(`docs/cli.md: ${commands.length} commands`);
