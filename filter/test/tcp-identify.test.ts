// Protocol identification on first flights written from the specifications (tcp/flights.ts),
// through the compiled filter: in discover mode every connection is reported (tcp.flow) with
// the protocol and a confidence; flights that fit nothing stay `unknown`; a flight split over
// several packets is held until it can be told (and identified the same).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { type Filter, type Json, config, startFilter } from './helpers.js';
import { FLIGHTS, clientHello } from './tcp/flights.js';
import { connect } from './tcp/helpers.js';

describe('TCP protocol identification', () => {
  let f: Filter;
  before(async () => {
    f = await startFilter(config({ mode: 'discover' }));
  });
  after(async () => {
    await f.close();
  });

  function identify(bytes: Buffer, fromServer: boolean, split = 0): Json {
    const before = f.loggedEvents().length;
    const tap = connect(f);
    const parts = split > 0 ? [bytes.subarray(0, split), bytes.subarray(split)] : [bytes];
    for (const part of parts) {
      if (fromServer) tap.server(part);
      else tap.client(part);
    }
    const events = f.loggedEvents().slice(before);
    tap.close();
    assert.equal(f.vm.failed, false);
    const flow = events.find((e) => e.kind === 'tcp.flow');
    assert.ok(flow, `no tcp.flow event; logs: ${f.logs.slice(-3).map((l) => l.message).join('\n')}`);
    // Everything reached the other side untouched.
    const passed = fromServer ? Buffer.concat(tap.toDownstream) : Buffer.concat(tap.toUpstream);
    assert.deepEqual(passed, bytes);
    return flow;
  }

  for (const [name, flight] of Object.entries(FLIGHTS)) {
    it(`${name} → ${flight.proto}`, () => {
      const e = identify(flight.bytes, flight.fromServer);
      assert.equal(e.protocol, flight.proto, JSON.stringify(e));
      const tcp = e.tcp as Json;
      if (flight.proto === 'unknown') assert.equal(tcp.confidence, 0);
      else assert.ok((tcp.confidence as number) >= 50, `confidence ${tcp.confidence}`);
    });
  }

  it('the same flights split after their first bytes are held and identified the same', () => {
    for (const [name, flight] of Object.entries(FLIGHTS)) {
      if (flight.proto === 'unknown' || flight.bytes.length < 4) continue;
      const e = identify(flight.bytes, flight.fromServer, 3);
      assert.equal(e.protocol, flight.proto, `${name} split at 3`);
    }
  });

  it('TLS: server name, ALPN and the highest version offered', () => {
    const e = identify(clientHello({ sni: 'API.Stripe.com', alpn: ['h2', 'http/1.1'], versions: [0x0304, 0x0303] }), false);
    assert.deepEqual(e.tcp, { direction: 'inbound', confidence: 98, sni: 'api.stripe.com', alpn: 'h2,http/1.1', tlsVersion: 'TLSv1.3' });
  });

  it('TLS 1.0 and SSH-1 first flights are reported as downgrade attacks', () => {
    let before = f.loggedEvents().length;
    identify(clientHello({ sni: 'old.example', legacy: 0x0301 }), false);
    let attack = f.loggedEvents().slice(before).find((e) => e.kind === 'tcp.attack');
    assert.ok(attack);
    assert.equal((attack.evidence as Json).shape, 'tls-downgrade');
    assert.equal((attack.tcp as Json).tlsVersion, 'TLSv1.0');
    before = f.loggedEvents().length;
    identify(Buffer.from('SSH-1.5-OldServer\r\n'), true);
    attack = f.loggedEvents().slice(before).find((e) => e.kind === 'tcp.attack');
    assert.equal((attack?.evidence as Json).shape, 'ssh-v1');
    before = f.loggedEvents().length;
    identify(Buffer.from('SSH-1.99-Compat\r\n'), true);
    assert.equal(f.loggedEvents().slice(before).filter((e) => e.kind === 'tcp.attack').length, 0, 'SSH-1.99 speaks 2.0');
  });

  it('a first flight that stays ambiguous is decided at the identification limit, as unknown', async () => {
    const g = await startFilter(config({ mode: 'discover', tcp: { threats: 'block', maxStatementBytes: 65536, maxIdentifyBytes: 64 } }));
    const tap = connect(g);
    try {
      // An HTTP request line that never ends: a prefix of HTTP until the limit.
      tap.client(Buffer.from('GET /' + 'a'.repeat(40)));
      assert.equal(tap.toUpstream.length, 0, 'held while it may still be HTTP');
      tap.client(Buffer.from('b'.repeat(40)));
      assert.equal(Buffer.concat(tap.toUpstream).length, 85, 'released at the limit');
      const e = g.loggedEvents().find((x) => x.kind === 'tcp.flow');
      assert.equal(e?.protocol, 'unknown');
      assert.equal(g.metric('meshward.tcp.identify_overflow'), 1);
    } finally {
      tap.close();
      await g.close();
    }
  });
});
