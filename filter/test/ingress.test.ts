// Every matcher of an ingress rule, through the compiled filter in protect mode: a request that
// matches a rule is forwarded, any other gets the local 403.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { HeaderList } from '../../host-agent/src/wasm-host/api.js';
import type { GrpcMatch, HttpMatch, IngressRule, PeerMatch } from '../../control-plane/src/compile/filter-config.js';
import { type Filter, type Peer, call, config, get, grpc, request, rule, startFilter } from './helpers.js';

/** A filter with one rule; `allowed(headers, peer)` tells whether a request gets through. */
async function withRules(rules: IngressRule[], run: (allowed: (h: HeaderList, p?: Peer) => boolean, f: Filter) => void | Promise<void>) {
  const f = await startFilter(config({ ingress: rules }));
  try {
    await run((h, p = {}) => {
      const o = request(f, h, p);
      assert.ok(o.forwarded || o.status === 403 || o.status === 200, `unexpected outcome ${JSON.stringify(o)}`);
      return o.forwarded;
    }, f);
    assert.equal(f.vm.failed, false);
  } finally {
    await f.close();
  }
}

const from = (...peers: PeerMatch[]) => [rule({ name: 'r', from: peers })];
const http = (...m: Partial<HttpMatch>[]) => [rule({ name: 'r', http: m.map((x) => ({ methods: [], paths: [], hosts: [], ...x })) })];
const grpcRule = (...m: GrpcMatch[]) => [rule({ name: 'r', grpc: m })];

const SHOP_FRONTEND = 'spiffe://cluster.local/ns/shop/sa/frontend';

describe('ingress: who', () => {
  it('principal: exact', () => withRules(from({ principal: SHOP_FRONTEND }), (allowed) => {
    assert.equal(allowed(get('/'), { principal: SHOP_FRONTEND }), true);
    assert.equal(allowed(get('/'), { principal: SHOP_FRONTEND + 'x' }), false);
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/ns/shop/sa/front' }), false);
    assert.equal(allowed(get('/'), {}), false, 'no mTLS, no principal');
  }));

  it('principal: prefix, suffix, contains', () => withRules(from(
    { principal: 'spiffe://cluster.local/ns/payments/*' },
    { principal: '*/sa/batch' },
    { principal: '*legacy*' },
  ), (allowed) => {
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/ns/payments/sa/api' }), true);
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/ns/paymentsx/sa/api' }), false);
    assert.equal(allowed(get('/'), { principal: 'spiffe://other.td/ns/jobs/sa/batch' }), true);
    assert.equal(allowed(get('/'), { principal: 'spiffe://other.td/ns/jobs/sa/batcher' }), false);
    assert.equal(allowed(get('/'), { principal: 'spiffe://td/ns/a/sa/legacy-app' }), true);
    assert.equal(allowed(get('/'), { principal: 'spiffe://td/ns/a/sa/modern' }), false);
  }));

  it('principal: * is any authenticated peer', () => withRules(from({ principal: '*' }), (allowed) => {
    assert.equal(allowed(get('/'), { principal: 'spiffe://anything/ns/x/sa/y' }), true);
    assert.equal(allowed(get('/'), {}), false, 'plain-text peer');
    assert.equal(allowed(get('/'), { localPrincipal: 'spiffe://cluster.local/ns/shop/sa/orders' }), false, 'TLS without a client certificate');
  }));

  it('namespace: from the SPIFFE principal', () => withRules(from({ namespace: 'shop' }), (allowed) => {
    assert.equal(allowed(get('/'), { principal: SHOP_FRONTEND }), true);
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/ns/shopping/sa/frontend' }), false);
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/ns/shop' }), false, 'no /sa/ part');
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/sa/x/ns/shop/sa/y' }), false, 'ns must follow the trust domain');
    // The authenticated principal wins over peer metadata.
    assert.equal(allowed(get('/'), { principal: 'spiffe://cluster.local/ns/attacker/sa/x', namespace: 'shop' }), false);
  }));

  it('namespace: from downstream_peer.namespace without a SPIFFE principal', () => withRules(from({ namespace: 'shop' }), (allowed) => {
    assert.equal(allowed(get('/'), { namespace: 'shop' }), true);
    assert.equal(allowed(get('/'), { namespace: 'shop2' }), false);
    assert.equal(allowed(get('/'), { principal: 'not-a-spiffe-id', namespace: 'shop' }), true);
    assert.equal(allowed(get('/'), {}), false);
  }));

  it('workload: from downstream_peer.workload', () => withRules(from({ workload: 'frontend' }), (allowed) => {
    assert.equal(allowed(get('/'), { workload: 'frontend' }), true);
    assert.equal(allowed(get('/'), { workload: 'frontend-v2' }), false);
    assert.equal(allowed(get('/'), {}), false);
  }));

  it('ipBlock: IPv4', () => withRules(from({ ipBlock: '10.1.0.0/16' }, { ipBlock: '192.168.7.9' }), (allowed) => {
    assert.equal(allowed(get('/'), { sourceAddress: '10.1.255.3' }), true);
    assert.equal(allowed(get('/'), { sourceAddress: '10.2.0.1' }), false);
    assert.equal(allowed(get('/'), { sourceAddress: '192.168.7.9' }), true);
    assert.equal(allowed(get('/'), { sourceAddress: '192.168.7.10' }), false);
    assert.equal(allowed(get('/'), { sourceAddress: '::ffff:10.1.2.3' }), true, 'IPv4-mapped IPv6');
    assert.equal(allowed(get('/'), { sourceAddress: 'fd00::1' }), false);
  }));

  it('ipBlock: IPv6, with odd prefixes and an embedded IPv4 tail', () => withRules(from(
    { ipBlock: 'fd00:1234::/33' },
    { ipBlock: '::1/128' },
    { ipBlock: '64:ff9b::10.0.0.0/120' },
  ), (allowed) => {
    assert.equal(allowed(get('/'), { sourceAddress: 'fd00:1234:7fff::5' }), true);
    assert.equal(allowed(get('/'), { sourceAddress: 'fd00:1234:8000::5' }), false, 'bit 33 differs');
    assert.equal(allowed(get('/'), { sourceAddress: '::1' }), true);
    assert.equal(allowed(get('/'), { sourceAddress: '::2' }), false);
    assert.equal(allowed(get('/'), { sourceAddress: '64:ff9b::a00:7' }), true);
    assert.equal(allowed(get('/'), { sourceAddress: '64:ff9b::b00:7' }), false);
    assert.equal(allowed(get('/'), { sourceAddress: '10.0.0.1' }), false);
  }));

  it('ipBlock: 0.0.0.0/0 and ::/0 keep their families apart', () => withRules(from({ ipBlock: '0.0.0.0/0' }), (allowed) => {
    assert.equal(allowed(get('/'), { sourceAddress: '1.2.3.4' }), true);
    assert.equal(allowed(get('/'), { sourceAddress: '2001:db8::1' }), false);
  }));

  it('a from entry is an AND of its fields, entries are alternatives', () => withRules(from(
    { namespace: 'shop', workload: 'frontend' },
    { ipBlock: '10.9.0.0/16' },
  ), (allowed) => {
    assert.equal(allowed(get('/'), { principal: SHOP_FRONTEND, workload: 'frontend' }), true);
    assert.equal(allowed(get('/'), { principal: SHOP_FRONTEND, workload: 'cart' }), false);
    assert.equal(allowed(get('/'), { workload: 'cart', sourceAddress: '10.9.1.1' }), true);
  }));

  it('an empty from entry and an empty from list admit anyone', async () => {
    await withRules(from({}), (allowed) => assert.equal(allowed(get('/'), {}), true));
    await withRules([rule({ name: 'r' })], (allowed) => assert.equal(allowed(get('/'), {}), true));
  });
});

describe('ingress: what', () => {
  it('methods', () => withRules(http({ methods: ['GET', 'HEAD'] }), (allowed) => {
    assert.equal(allowed(call('GET', '/')), true);
    assert.equal(allowed(call('HEAD', '/')), true);
    assert.equal(allowed(call('POST', '/')), false);
    assert.equal(allowed(call('get', '/')), false, 'methods are case-sensitive');
    assert.equal(allowed([[':path', '/'], [':authority', 'orders.shop']]), false, 'no method at all');
  }));

  it('paths: literal segments, * for one segment, ** for any', () => withRules(http({ paths: ['/api/orders', '/api/orders/*/items', '/static/**', '/a/**/z'] }), (allowed) => {
    assert.equal(allowed(get('/api/orders')), true);
    assert.equal(allowed(get('/api/orders/')), false, 'a trailing slash is another segment');
    assert.equal(allowed(get('/api/orders/42/items')), true);
    assert.equal(allowed(get('/api/orders//items')), false, '* needs a non-empty segment (and // merges)');
    assert.equal(allowed(get('/api/orders/42/43/items')), false);
    assert.equal(allowed(get('/static')), true, '** also matches no segment');
    assert.equal(allowed(get('/static/')), true);
    assert.equal(allowed(get('/static/css/site.css')), true);
    assert.equal(allowed(get('/staticx')), false);
    assert.equal(allowed(get('/a/z')), true);
    assert.equal(allowed(get('/a/b/c/d/z')), true);
    assert.equal(allowed(get('/a/b/c/d/zz')), false);
  }));

  it('paths: the query and fragment are not part of the path', () => withRules(http({ paths: ['/search'] }), (allowed) => {
    assert.equal(allowed(get('/search?q=/admin')), true);
    assert.equal(allowed(get('/search#frag')), true);
    assert.equal(allowed(get('/search/?q=1')), false);
  }));

  it('paths: * inside a segment is literal', () => withRules(http({ paths: ['/v*'] }), (allowed) => {
    assert.equal(allowed(get('/v*')), true);
    assert.equal(allowed(get('/v1')), false);
  }));

  it('paths: dot segments, encoded dots and slashes, backslashes and repeated slashes are normalized first', () => withRules(http({ paths: ['/public/**', '/files/*'] }), (allowed) => {
    assert.equal(allowed(get('/public/css/../img/a.png')), true);
    assert.equal(allowed(get('/public/../admin')), false);
    assert.equal(allowed(get('/public/%2e%2e/admin')), false);
    assert.equal(allowed(get('/public/%2E%2E%2Fadmin')), false);
    assert.equal(allowed(get('/public\\..\\admin')), false);
    assert.equal(allowed(get('/public/./x')), true);
    assert.equal(allowed(get('//public//x')), true);
    assert.equal(allowed(get('/%70ublic/x')), true, 'encoded unreserved characters are decoded');
    assert.equal(allowed(get('/files/a%2Fb')), false, 'an encoded slash separates segments');
    assert.equal(allowed(get('/files/a%20b')), true, 'other encodings stay as they are');
    assert.equal(allowed(get('/files/%252e%252e')), true, 'no double decoding');
  }));

  it('hosts: exact, *.subdomain, port and case ignored', () => withRules(http({ hosts: ['orders.shop', '*.example.com'] }), (allowed) => {
    assert.equal(allowed(get('/', 'orders.shop')), true);
    assert.equal(allowed(get('/', 'ORDERS.Shop:8080')), true);
    assert.equal(allowed(get('/', 'orders.shop.')), true, 'a trailing dot');
    assert.equal(allowed(get('/', 'orders.shopx')), false);
    assert.equal(allowed(get('/', 'api.example.com')), true);
    assert.equal(allowed(get('/', 'a.b.example.com:443')), true);
    assert.equal(allowed(get('/', 'example.com')), false, '*. needs a subdomain');
    assert.equal(allowed(get('/', 'badexample.com')), false);
    assert.equal(allowed([[':method', 'GET'], [':path', '/'], ['host', 'orders.shop']]), true, 'HTTP/1 Host header');
  }));

  it('hosts: IPv6 literal authority keeps its brackets, drops its port', () => withRules(http({ hosts: ['[fd00::1]'] }), (allowed) => {
    assert.equal(allowed(get('/', '[fd00::1]:8080')), true);
    assert.equal(allowed(get('/', '[fd00::2]:8080')), false);
  }));

  it('an HTTP entry is an AND of its lists, entries are alternatives', () => withRules(http(
    { methods: ['GET'], paths: ['/api/**'], hosts: ['orders.shop'] },
    { methods: ['POST'], paths: ['/api/orders'] },
  ), (allowed) => {
    assert.equal(allowed(call('GET', '/api/x', 'orders.shop')), true);
    assert.equal(allowed(call('GET', '/api/x', 'other.shop')), false);
    assert.equal(allowed(call('GET', '/other', 'orders.shop')), false);
    assert.equal(allowed(call('POST', '/api/orders', 'anything')), true);
    assert.equal(allowed(call('POST', '/api/orders/1', 'anything')), false);
  }));

  it('gRPC: service and methods from /pkg.Service/Method', () => withRules(grpcRule(
    { service: 'shop.v1.Orders', methods: ['Get', 'List'] },
    { service: 'shop.v1.Catalog', methods: [] },
    { service: '*', methods: ['Check'] },
  ), (allowed) => {
    assert.equal(allowed(grpc('/shop.v1.Orders/Get')), true);
    assert.equal(allowed(grpc('/shop.v1.Orders/Delete')), false);
    assert.equal(allowed(grpc('/shop.v1.Catalog/Anything')), true);
    assert.equal(allowed(grpc('/grpc.health.v1.Health/Check')), true);
    assert.equal(allowed(grpc('/shop.v1.Orders/Get/extra')), false, 'not a gRPC path');
    assert.equal(allowed(grpc('/shop.v1.Orders/')), false);
    assert.equal(allowed(grpc('//Get')), false);
    assert.equal(allowed(call('POST', '/shop.v1.Orders/Get')), false, 'a gRPC-only rule does not match plain HTTP');
    assert.equal(allowed(call('POST', '/shop.v1.Orders/Get', 'orders.shop', [['content-type', 'application/grpc+proto']])), true);
    assert.equal(allowed(call('POST', '/shop.v1.Orders/Get', 'orders.shop', [['content-type', 'Application/GRPC']])), true);
  }));

  it('gRPC: * for methods means any', () => withRules(grpcRule({ service: 'shop.v1.Orders', methods: ['*'] }), (allowed) => {
    assert.equal(allowed(grpc('/shop.v1.Orders/Anything')), true);
    assert.equal(allowed(grpc('/shop.v1.Other/Anything')), false);
  }));

  it('an HTTP-only rule does not match gRPC; a rule with both matches either', async () => {
    await withRules(http({ paths: ['/**'] }), (allowed) => {
      assert.equal(allowed(get('/x')), true);
      assert.equal(allowed(grpc('/shop.v1.Orders/Get')), false);
    });
    await withRules([rule({
      name: 'both',
      http: [{ methods: ['GET'], paths: ['/health'], hosts: [] }],
      grpc: [{ service: 'shop.v1.Orders', methods: ['Get'] }],
    })], (allowed) => {
      assert.equal(allowed(get('/health')), true);
      assert.equal(allowed(grpc('/shop.v1.Orders/Get')), true);
      assert.equal(allowed(grpc('/shop.v1.Orders/Put')), false);
      assert.equal(allowed(get('/other')), false);
    });
  });

  it('who and what must both match', () => withRules([rule({
    name: 'r',
    from: [{ workload: 'frontend' }],
    http: [{ methods: ['GET'], paths: [], hosts: [] }],
  })], (allowed) => {
    assert.equal(allowed(get('/'), { workload: 'frontend' }), true);
    assert.equal(allowed(call('POST', '/'), { workload: 'frontend' }), false);
    assert.equal(allowed(get('/'), { workload: 'cart' }), false);
  }));
});

describe('ingress: order', () => {
  let f: Filter;
  before(async () => {
    f = await startFilter(config({
      mode: 'discover',
      ingress: [
        rule({ name: 'reads', http: [{ methods: ['GET'], paths: [], hosts: [] }] }),
        rule({ name: 'api', http: [{ methods: [], paths: ['/api/**'], hosts: [] }] }),
        rule({ name: 'everything' }),
      ],
    }));
  });
  after(() => f.close());

  it('the first matching rule wins and is named in the event', () => {
    request(f, get('/api/orders'));
    request(f, call('DELETE', '/api/orders/1'));
    request(f, call('DELETE', '/other'));
    const rules = f.loggedEvents().map((e) => (e.rule as { name: string } | null)?.name);
    assert.deepEqual(rules, ['reads', 'api', 'everything']);
  });
});
