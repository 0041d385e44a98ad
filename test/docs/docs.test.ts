// The docs say true things that can be checked here: every example policy (the files and the YAML
// blocks of the docs) validates, every relative link of the README and docs/ leads to a file,
// and docs/cli.md has a section for every command `meshward --help` lists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadPolicyFiles, parsePolicies } from '../../control-plane/src/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin/meshward.js');
const DOCS = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f));
const PAGES = [join(ROOT, 'README.md'), ...DOCS];

describe('docs', () => {
  it('every example policy validates', () => {
    for (const dir of ['examples/policies', 'examples/up/policies']) {
      const files = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, dir, f));
      assert.ok(files.length > 0, dir);
      assert.equal(loadPolicyFiles(files).length, files.length);
    }
  });

  it('every SecurityPolicy shown in the docs validates', () => {
    let blocks = 0;
    for (const page of DOCS) {
      for (const m of readFileSync(page, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)) {
        if (!/^apiVersion: meshward\.io\//m.test(m[1])) continue;
        blocks++;
        const r = parsePolicies(m[1], page);
        assert.deepEqual(r.issues.map((i) => i.message), [], `${page}: ${m[1].slice(0, 120)}`);
      }
    }
    assert.ok(blocks >= 7, `only ${blocks} policies in the docs`);
  });

  it('every relative link of the README and docs/ leads to a file', () => {
    for (const page of PAGES) {
      for (const m of readFileSync(page, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (!target || /^[a-z]+:/.test(target)) continue;
        assert.ok(existsSync(join(dirname(page), target)), `${page}: ${m[1]} does not exist`);
      }
    }
  });

  it('docs/cli.md has a section for every command', () => {
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    const commands = [...help.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]).filter((c) => c !== 'version');
    const cli = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    const missing = commands.filter((c) => !cli.includes(`\n## meshward ${c}\n`));
    assert.deepEqual(missing, [], 'regenerate with node scripts/cli-doc.mjs');
  });
});
