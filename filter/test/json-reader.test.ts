// The JSON pull tokenizer on its own: field paths, errors, and the same tokens whether a document
// comes whole or in pieces of any size (the way JSON bodies will arrive). The driver in
// fixtures/assembly/ is compiled here with the project's asc, into a temporary directory.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { prng } from './helpers.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DRIVER = join(ROOT, 'filter/test/fixtures/assembly/json-reader-driver.ts');

interface Driver {
  memory: { buffer: ArrayBuffer };
  whole(p: number, len: number): string;
  pieces(p: number, len: number, chunk: number): string;
  alloc(n: number): number;
  release(p: number): void;
}

let dir: string;
let driver: Driver;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshward-json-reader-'));
  const out = join(dir, 'driver.wasm');
  const r = spawnSync(join(ROOT, 'node_modules/.bin/asc'), [DRIVER, '-o', out, '--runtime', 'incremental',
    '--enable', 'simd', '--bindings', 'esm', '--exportRuntime', '-O2'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `asc failed: ${r.stderr}`);
  driver = (await import(pathToFileURL(join(dir, 'driver.js')).href)) as Driver;
});

after(() => rmSync(dir, { recursive: true, force: true }));

function withBytes<T>(doc: string | Uint8Array, run: (p: number, len: number) => T): T {
  const bytes = typeof doc === 'string' ? new TextEncoder().encode(doc) : doc;
  const p = driver.alloc(bytes.length);
  new Uint8Array(driver.memory.buffer, p, bytes.length).set(bytes);
  try {
    return run(p, bytes.length);
  } finally {
    driver.release(p);
  }
}

const tokens = (doc: string | Uint8Array) => withBytes(doc, (p, n) => driver.whole(p, n)).trimEnd().split('\n');

function sameInPieces(doc: string | Uint8Array, chunks = [1, 2, 3, 7, 64]): void {
  withBytes(doc, (p, n) => {
    const whole = driver.whole(p, n);
    for (const c of chunks) assert.equal(driver.pieces(p, n, c), whole, `pieces of ${c} bytes`);
  });
}

// Token numbers of JsonToken.
const T = { BeginObject: 1, EndObject: 2, BeginArray: 3, EndArray: 4, Key: 5, String: 6, Number: 7, True: 8, False: 9, Null: 10, End: 11, Error: 13 };

describe('json reader', () => {
  it('reports every token with the field path of its value', () => {
    assert.deepEqual(tokens('{"a":[1,{"b":"x\\u00e9\\ud83d\\ude00"}],"c":{}}'), [
      `${T.BeginObject}@`, `${T.Key}=a@a`, `${T.BeginArray}@a`, `${T.Number}=1@a[0]`, `${T.BeginObject}@a[1]`,
      `${T.Key}=b@a[1].b`, `${T.String}=x\u00e9\u{1F600}@a[1].b`, `${T.EndObject}@a[1]`, `${T.EndArray}@a`,
      `${T.Key}=c@c`, `${T.BeginObject}@c`, `${T.EndObject}@c`, `${T.EndObject}@`, `${T.End}@`,
    ]);
  });

  it('names the problem, the byte offset and the path', () => {
    const cases: Array<[string, string]> = [
      ['{"a":1,}', 'expected a field name at byte 7@a'],
      ['[1 2]', "expected ',' or ']' at byte 3@[0]"],
      ['{"a" 1}', "expected ':' at byte 5@a"],
      ['{"a":tru}', 'invalid literal at byte 5@a'],
      ['{"a":"\\x"}', 'invalid escape at byte 6@a'],
      ['{"a":"\\u12g4"}', 'invalid \\u escape at byte 6@a'],
      ['{"a":"x\ny"}', 'control character in string at byte 7@a'],
      ['{"a":01}', "expected ',' or '}' at byte 6@a"],
      ['{"a":-}', 'invalid number at byte 6@a'],
      ['{"a":1.}', 'invalid number at byte 7@a'],
      ['{"a":"abc', 'unterminated string at byte 9@a'],
      ['{} x', 'unexpected data after the document at byte 3@'],
      ['', 'unexpected end of input at byte 0@'],
      [`{"d":${'['.repeat(70)}`, 'nesting deeper than 64 at byte 68@d[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]'],
    ];
    for (const [doc, expected] of cases) {
      const last = tokens(doc).at(-1)!;
      assert.equal(last, `${T.Error}!invalid JSON: ${expected}`, doc);
    }
  });

  it('reads numbers, literals and escapes', () => {
    assert.deepEqual(tokens('[0,-0.5,1e9,2E-3,123456789012345678901234567890,true,false,null,"\\"\\\\\\/\\b\\f\\r\\t"]').slice(1, -2), [
      `${T.Number}=0@[0]`, `${T.Number}=-0.5@[1]`, `${T.Number}=1e9@[2]`, `${T.Number}=2E-3@[3]`,
      `${T.Number}=123456789012345678901234567890@[4]`, `${T.True}@[5]`, `${T.False}@[6]`, `${T.Null}@[7]`,
      `${T.String}="\\/\b\f\r\t@[8]`, // (a \n would split these lines)
    ]);
  });

  it('gives the same tokens fed in pieces of any size', () => {
    const docs = [
      '{"schema":1,"version":"sha256:ab\\u00e9\\ud83d\\ude00","a":[1,-2.5e+3,true,false,null,{"k":"v\\n"}],"b":{}, "c":[] }',
      '  [ 12345678901234567890123, "x\\"y", {"deep":[[[["z"]]]]}, 0, -0.0, 1E9 ]  ',
      '{"bad": tru}', '{"a":1,}', '[1 2]', '"just a string"', '123', '{"unterminated":"abc', '{"a":12', 'nul', '-',
    ];
    for (const d of docs) sameInPieces(d);
  });

  it('keeps the paths of escaped keys when their store is compacted past 4 KiB', () => {
    // Escaped keys are decoded into the reader's key store, which keeps only the keys of open
    // objects once it passes 4 KiB: 400 members pass it twice, under an escaped key (in the store)
    // and a plain one (in the piece) that must survive it. Pieces of 8 KiB pass it within a piece.
    const raw = (i: number) => `k\\"${i}\\u00e9${'x'.repeat(24)}`;
    const key = (i: number) => `k"${i}\u00e9${'x'.repeat(24)}`;
    const long = `\\"${'y'.repeat(200)}`; // decoded 201 bytes, 128 in the path
    const members = Array.from({ length: 400 }, (_, i) => `"${raw(i)}":${i}`).join(',');
    const doc = `{"plain":{"\\u00e9s\\"c":{${members},"${long}":"v","in\\u00e9":[{"z\\/":true}]}},"after\\u00e9":"\\u00e9nd"}`;
    const at = 'plain.\u00e9s"c';
    const longKey = `"${'y'.repeat(200)}`;
    const expected = [
      `${T.BeginObject}@`, `${T.Key}=plain@plain`, `${T.BeginObject}@plain`, `${T.Key}=\u00e9s"c@${at}`, `${T.BeginObject}@${at}`,
      ...Array.from({ length: 400 }, (_, i) => [`${T.Key}=${key(i)}@${at}.${key(i)}`, `${T.Number}=${i}@${at}.${key(i)}`]).flat(),
      `${T.Key}=${longKey}@${at}.${longKey.slice(0, 128)}`, `${T.String}=v@${at}.${longKey.slice(0, 128)}`,
      `${T.Key}=in\u00e9@${at}.in\u00e9`, `${T.BeginArray}@${at}.in\u00e9`, `${T.BeginObject}@${at}.in\u00e9[0]`,
      `${T.Key}=z/@${at}.in\u00e9[0].z/`, `${T.True}@${at}.in\u00e9[0].z/`, `${T.EndObject}@${at}.in\u00e9[0]`, `${T.EndArray}@${at}.in\u00e9`,
      `${T.EndObject}@${at}`, `${T.EndObject}@plain`, `${T.Key}=after\u00e9@after\u00e9`, `${T.String}=\u00e9nd@after\u00e9`, `${T.EndObject}@`, `${T.End}@`,
    ];
    assert.deepEqual(tokens(doc), expected);
    sameInPieces(doc, [1, 7, 64, 8192]);
  });

  it('survives random documents and random bytes, whole and in pieces', () => {
    const rnd = prng(7);
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 4 || r < 0.3) return pick([0, -1.5, 1e21, 'x', 'caf\u00e9 "q" \\ \n', '\u{1F600}', true, false, null]);
      if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}\u00e9`, value(depth + 1)]));
    };
    const pick = <X>(xs: X[]) => xs[Math.floor(rnd() * xs.length)];
    for (let i = 0; i < 200; i++) {
      const doc = JSON.stringify(value(0));
      assert.equal(tokens(doc).at(-1), `${T.End}@`, doc);
      sameInPieces(doc, [1 + Math.floor(rnd() * 9)]);
    }
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(Math.floor(rnd() * 64)).map(() => pick([0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x3a, 0x2c, 0x31, 0x2d, 0x65, 0x2e, 0x74, 0x75, 0x20, 0xff, 0x00]));
      sameInPieces(bytes, [1 + Math.floor(rnd() * 5)]);
    }
  });
});
