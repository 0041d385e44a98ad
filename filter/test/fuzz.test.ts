// Fuzz-ish: the filter must never trap (a trap takes the whole VM down). Random and malformed
// headers, paths, peers and configuration documents, from a fixed seed (reproducible), plus the
// checked-in corpus under filter/test/corpus/.
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { HeaderList } from '../../host-agent/src/wasm-host/api.js';
import { type Filter, type Peer, config, prng, request, rule, startFilter } from './helpers.js';

const CORPUS = new URL('../../../filter/test/corpus/', import.meta.url);
const SEED = Number(process.env.MESHWARD_FUZZ_SEED ?? 20261128);

const rules = [
  rule({ name: 'peers', from: [{ principal: '*frontend*' }, { namespace: 'shop', workload: 'cart' }, { ipBlock: '10.0.0.0/8' }, { ipBlock: 'fd00::/8' }] }),
  rule({ name: 'paths', http: [{ methods: ['GET', 'POST'], paths: ['/api/*/x/**', '/**/deep/*', '/static/**'], hosts: ['*.shop', 'orders'] }] }),
  rule({ name: 'grpc', grpc: [{ service: 'shop.v1.Orders', methods: ['Get'] }, { service: '*', methods: [] }] }),
];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

const ALPHABET = ['/', '/', '/', '.', '..', '%', '%2e', '%2F', '%5c', '\\', '?', '#', '*', '**', 'a', 'api', 'x', 'deep',
  '\u00e9', '\u{1F600}', '\ud800', '\u0000', '\r', '\n', ' ', '"', '%zz', '%0'];

function randomPath(rnd: () => number): string {
  const n = Math.floor(rnd() * 40);
  let p = rnd() < 0.9 ? '/' : '';
  for (let i = 0; i < n; i++) p += pick(rnd, ALPHABET);
  return p;
}

function randomString(rnd: () => number, max: number): string {
  const n = Math.floor(rnd() * max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rnd();
    s += r < 0.7 ? String.fromCharCode(0x20 + Math.floor(rnd() * 95)) : r < 0.9 ? String.fromCharCode(Math.floor(rnd() * 0x20)) : String.fromCodePoint(Math.floor(rnd() * 0x10ffff));
  }
  return s;
}

function randomHeaders(rnd: () => number): HeaderList {
  const h: HeaderList = [];
  const pseudo: Array<[string, () => string]> = [
    [':method', () => pick(rnd, ['GET', 'POST', 'DELETE', 'get', '', 'M'.repeat(200), randomString(rnd, 10)])],
    [':path', () => (rnd() < 0.8 ? randomPath(rnd) : randomString(rnd, 100))],
    [':authority', () => pick(rnd, ['orders.shop', 'a.b.shop:80', '[::1]:8', '[', ':', 'x:99999', '.', '', randomString(rnd, 30)])],
    [':scheme', () => 'http'],
  ];
  for (const [name, value] of pseudo) {
    if (rnd() < 0.9) h.push([name, value()]);
    if (rnd() < 0.05) h.push([name, value()]); // duplicated pseudo-header
  }
  if (rnd() < 0.4) h.push(['content-type', pick(rnd, ['application/grpc', 'application/grpc+proto', 'application/grpc-web', 'APPLICATION/GRPC', 'text/html', ''])]);
  if (rnd() < 0.2) h.push(['host', randomString(rnd, 20)]);
  const extra = Math.floor(rnd() * (rnd() < 0.05 ? 500 : 20));
  for (let i = 0; i < extra; i++) {
    h.push([`x-${Math.floor(rnd() * 1e6).toString(36)}`, randomString(rnd, rnd() < 0.02 ? 20_000 : 60)]);
  }
  return h;
}

function randomPeer(rnd: () => number): Peer {
  const peer: Peer = {
    sourceAddress: pick(rnd, ['10.1.2.3', '192.168.0.1', 'fd00::1', '::ffff:10.0.0.1', '::', '0.0.0.0', '1.2.3', '1::2::3', 'fe80::1%eth0', '', 'garbage']),
    sourcePort: Math.floor(rnd() * 70000),
  };
  if (rnd() < 0.6) peer.principal = pick(rnd, ['spiffe://cluster.local/ns/shop/sa/frontend', 'spiffe://', 'spiffe://td/ns//sa/', 'spiffe://td/ns/x', '', randomString(rnd, 80)]);
  if (rnd() < 0.5) peer.workload = randomString(rnd, 20);
  if (rnd() < 0.5) peer.namespace = pick(rnd, ['shop', '', randomString(rnd, 20)]);
  if (rnd() < 0.3) {
    const bytes = new Uint8Array(Math.floor(rnd() * 64)).map(() => Math.floor(rnd() * 256));
    peer.properties = { 'downstream_peer.workload': { type: 'bytes', value: bytes } };
  }
  return peer;
}

async function noTrap(f: Filter, what: string): Promise<void> {
  assert.equal(f.vm.failed, false, `the VM failed after ${what}`);
  assert.equal(f.plugin.stats().vmFailed, false, `the VM failed after ${what}`);
}

describe('fuzz: requests', () => {
  for (const mode of ['protect', 'monitor', 'discover'] as const) {
    it(`survives random and malformed requests in ${mode} mode`, async () => {
      const rnd = prng(SEED + mode.length);
      const c = config({ mode, ingress: rules });
      c.limits.maxEventFieldBytes = 1 + Math.floor(rnd() * 200);
      const f = await startFilter(c);
      try {
        const N = 400;
        for (let i = 0; i < N; i++) {
          const o = request(f, randomHeaders(rnd), randomPeer(rnd));
          assert.ok(o.forwarded || o.status === 403 || o.status === 200, `request ${i}: ${JSON.stringify(o)}`);
          if (mode !== 'protect') assert.equal(o.forwarded, true);
        }
        await noTrap(f, 'random requests');
        assert.equal(f.metric('meshward.requests'), N);
        assert.equal(f.metric('meshward.allowed') + f.metric('meshward.blocked'), N);
        for (const e of f.loggedEvents()) assert.equal(typeof e.id, 'string');
      } finally {
        await f.close();
      }
    });
  }

  it('survives the path corpus and oversized paths', async () => {
    const f = await startFilter(config({ mode: 'discover', ingress: rules }));
    try {
      const paths = readFileSync(new URL('paths.txt', CORPUS), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string);
      paths.push('/' + 'x'.repeat(100_000), '/' + 'a/'.repeat(20_000), '/' + '../'.repeat(5000), '/' + '%2e%2e/'.repeat(5000), '/**/'.repeat(2000));
      for (const p of paths) {
        for (const ct of [undefined, 'application/grpc']) {
          const h: HeaderList = [[':method', 'GET'], [':path', p], [':authority', 'orders.shop']];
          if (ct) h.push(['content-type', ct]);
          assert.equal(request(f, h).forwarded, true);
        }
      }
      await noTrap(f, 'the path corpus');
      assert.equal(f.loggedEvents().length, paths.length * 2);
    } finally {
      await f.close();
    }
  });

  it('survives requests without any header', async () => {
    const f = await startFilter(config({ mode: 'protect', ingress: rules }));
    try {
      assert.equal(request(f, [], { sourceAddress: '192.168.1.1' }).status, 403);
      await noTrap(f, 'an empty header map');
    } finally {
      await f.close();
    }
  });
});

describe('fuzz: configuration', () => {
  it('survives the configuration corpus', async () => {
    const f = await startFilter(config());
    try {
      const accepted: string[] = [];
      for (const name of readdirSync(CORPUS.pathname + 'config').sort()) {
        const doc = readFileSync(new URL(`config/${name}`, CORPUS));
        const r = f.plugin.reconfigure(doc);
        if (r.ok) accepted.push(name);
        await noTrap(f, name);
      }
      assert.deepEqual(accepted, ['edge-cidrs.json', 'lone-surrogates.json', 'many-rules.json', 'nul-in-strings.json', 'unicode-keys.json', 'valid-minimal.json']);
    } finally {
      await f.close();
    }
  });

  it('survives random mutations of a valid document', async () => {
    const rnd = prng(SEED);
    const valid = JSON.stringify(config({ ingress: rules }));
    const f = await startFilter(valid);
    try {
      const N = 300;
      let accepted = 0;
      for (let i = 0; i < N; i++) {
        let doc = valid;
        const edits = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < edits; k++) {
          const at = Math.floor(rnd() * doc.length);
          const op = rnd();
          if (op < 0.3) doc = doc.slice(0, at) + doc.slice(at + 1 + Math.floor(rnd() * 5));
          else if (op < 0.6) doc = doc.slice(0, at) + pick(rnd, ['{', '}', '[', ']', ',', ':', '"', '\\', '1', '-', 'e', 'null', '"x":1,', '\u0000', '\u00e9']) + doc.slice(at);
          else if (op < 0.8) doc = doc.slice(0, at);
          else doc = doc.replace(/\d+/, pick(rnd, ['-1', '0', '1e400', '99999999999999999999', '1.5']));
        }
        const r = f.plugin.reconfigure(doc);
        if (r.ok) accepted++;
        await noTrap(f, `mutation ${i}: ${doc.slice(0, 200)}`);
      }
      // The last good configuration still enforces.
      assert.ok(accepted < N);
    } finally {
      await f.close();
    }
  });
});
