// The TCP fields of the compiled configuration as the filter reads them: accepted, and refused
// with the field path, the rule and the value found (the configuration in force stays); and
// what they mean for HTTP requests (a database-only rule admits no HTTP request).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FRONTEND, config, get, request, rule, startFilter } from './helpers.js';

async function rejected(doc: object): Promise<string> {
  try {
    const f = await startFilter(JSON.stringify(doc));
    await f.close();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('TCP configuration', () => {
  it('accepts rules with ports, protocols, postgres, mysql, redis; egress; tcp', async () => {
    const f = await startFilter({
      ...config({
        ingress: [rule({
          name: 'db',
          ports: [5432, 3306, 6379],
          protocols: ['postgres', 'mysql', 'redis', 'grpc'],
          postgres: [{ statements: ['SELECT', 'UNION'], tables: ['orders', 'shop.items', 'audit_*'] }, { statements: ['*'], tables: [] }],
          mysql: [{ statements: ['INSERT'], tables: [] }],
          redis: [{ commands: ['get', '@read', '*'], keys: ['session:*'] }],
        })],
      }),
      egress: [{ id: 'shop/orders/pay', name: 'pay', to: [{ fqdn: '*.stripe.com', ports: [443] }, { fqdn: '*', ports: [] }] }],
      tcp: { threats: 'alert', maxStatementBytes: 1024, maxIdentifyBytes: 256 },
    });
    await f.close();
  });

  it('skips unknown fields of the TCP sections and names them in a debug line, as in the others', async () => {
    const f = await startFilter(
      JSON.stringify({
        ...config({ ingress: [rule({ name: 'db', postgres: [{ statements: ['SELECT'], tables: [], rowLimit: 5 } as never], redis: [{ commands: ['get'], keys: [], ttl: 1 } as never] })] }),
        egress: [{ id: 'shop/orders/pay', name: 'pay', to: [{ fqdn: 'api.stripe.com', ports: [443], tls: true }], audit: true }],
        tcp: { threats: 'alert', maxStatementBytes: 1024, maxIdentifyBytes: 256, keepalive: 30 },
      }),
      { logLevel: 'debug' },
    );
    try {
      const debug = f.logs.filter((l) => l.level === 'debug').map((l) => l.message).join('\n');
      for (const field of ['ingress[0].postgres[0].rowLimit', 'ingress[0].redis[0].ttl', 'egress[0].audit', 'egress[0].to[0].tls', 'tcp.keepalive']) {
        assert.match(debug, new RegExp(`ignoring unknown field ${field.replace(/[[\].]/g, '\\$&')}`));
      }
    } finally {
      await f.close();
    }
  });

  const CASES: Array<[string, object, RegExp]> = [
    ['a port out of range', { ingress: [rule({ name: 'a', ports: [0] })] }, /ingress\[0\]\.ports\[0\]: must be a port number \(1-65535\), found 0/],
    ['an unknown protocol', { ingress: [rule({ name: 'a', protocols: ['gopher'] })] }, /ingress\[0\]\.protocols\[0\]: is not a protocol this filter identifies, found "gopher"/],
    ['an unknown statement kind', { ingress: [rule({ name: 'a', postgres: [{ statements: ['SELEKT'], tables: [] }] })] }, /ingress\[0\]\.postgres\[0\]\.statements\[0\]: is not a statement kind .* found "SELEKT"/],
    ['a statement entry without tables', { ingress: [rule({ name: 'a', mysql: [{ statements: ['SELECT'] } as never] })] }, /ingress\[0\]\.mysql\[0\]\.tables: is required/],
    ['an unknown command category', { ingress: [rule({ name: 'a', redis: [{ commands: ['@nope'], keys: [] }] })] }, /ingress\[0\]\.redis\[0\]\.commands\[0\]: is not a command category/],
    ['a bad egress host', { egress: [{ id: 'x', name: 'x', to: [{ fqdn: 'a b', ports: [] }] }] }, /egress\[0\]\.to\[0\]\.fqdn: must be a host name/],
    ['a bad threat action', { tcp: { threats: 'drop' } }, /tcp\.threats: must be one of "block", "alert", "off", found "drop"/],
    ['a statement limit too small', { tcp: { maxStatementBytes: 8 } }, /tcp\.maxStatementBytes: must be an integer from 64 to 16777216, found 8/],
  ];
  for (const [what, extra, message] of CASES) {
    it(`refuses ${what}`, async () => {
      assert.match(await rejected({ ...config(), ...extra }), message);
    });
  }

  it('a rule with only database entries admits no HTTP request; ports limit an HTTP rule', async () => {
    const f = await startFilter(config({
      ingress: [
        rule({ name: 'db', postgres: [{ statements: ['*'], tables: [] }] }),
        rule({ name: 'other-port', ports: [9999] }),
      ],
    }));
    try {
      assert.equal(request(f, get('/api/orders'), FRONTEND).status, 403);
    } finally {
      await f.close();
    }
    const g = await startFilter(config({ ingress: [rule({ name: 'this-port', ports: [8080] })] }));
    try {
      assert.equal(request(g, get('/api/orders'), FRONTEND).status, 200, 'the stream goes to port 8080');
    } finally {
      await g.close();
    }
  });
});
