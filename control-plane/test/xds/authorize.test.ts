// The identity check behind PERMISSION_DENIED, without a socket (server-tls.test.ts drives it
// through real mTLS).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityAuthorizer, identityMapFromInventory, parseSpiffeId, type AuthorizeRequest, type NodeInfo } from '../../src/xds/index.js';

const node: NodeInfo = { id: 'n', cluster: '', metadata: {}, userAgent: '' };
const req = (key: string, uriSans: string[], authenticated = true): AuthorizeRequest => ({ peer: { address: '1.2.3.4:5', uriSans, authenticated }, node, key });
const rules = {
  workloads: identityMapFromInventory([
    { namespace: 'shop', name: 'orders', labels: {}, serviceAccount: 'orders' },
    { namespace: 'shop', name: 'orders-canary', labels: {}, serviceAccount: 'orders' },
    { namespace: 'shop', name: 'payments', labels: {} },
  ]),
  agents: new Set(['meshward-system/meshward-agent']),
  trustDomain: 'cluster.local',
};
const authorize = identityAuthorizer(rules);

describe('identityAuthorizer', () => {
  it('parses Kubernetes SPIFFE ids only', () => {
    assert.deepEqual(parseSpiffeId('spiffe://cluster.local/ns/shop/sa/orders'), { uri: 'spiffe://cluster.local/ns/shop/sa/orders', trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'orders' });
    assert.equal(parseSpiffeId('spiffe://cluster.local/other'), undefined);
    assert.equal(parseSpiffeId('https://x/ns/a/sa/b'), undefined);
  });

  it('a service account fetches the workloads that run as it', () => {
    assert.deepEqual(authorize(req('workload/shop/orders', ['spiffe://cluster.local/ns/shop/sa/orders'])), { allowed: true });
    assert.deepEqual(authorize(req('workload/shop/orders-canary', ['spiffe://cluster.local/ns/shop/sa/orders'])), { allowed: true });
    assert.deepEqual(authorize(req('workload/shop/payments', ['spiffe://cluster.local/ns/shop/sa/default'])), { allowed: true }, 'no service account: default');
  });

  it("not another workload's policy", () => {
    const v = authorize(req('workload/shop/payments', ['spiffe://cluster.local/ns/shop/sa/orders']));
    assert.equal(v.allowed, false);
    assert.match((v as { reason: string }).reason, /may not fetch the policy of workload shop\/payments/);
  });

  it('not from another trust domain, nor without a SPIFFE SAN, nor without a certificate', () => {
    assert.equal(authorize(req('workload/shop/orders', ['spiffe://evil.example/ns/shop/sa/orders'])).allowed, false);
    assert.match((authorize(req('workload/shop/orders', ['urn:x'])) as { reason: string }).reason, /no SPIFFE URI SAN/);
    assert.match((authorize(req('workload/shop/orders', [], false)) as { reason: string }).reason, /client certificate is required/);
    assert.deepEqual(identityAuthorizer({ ...rules, allowUnauthenticated: true })(req('workload/shop/orders', [], false)), { allowed: true });
  });

  it('host agents fetch agent configurations; workloads do not', () => {
    assert.deepEqual(authorize(req('agent/node-1', ['spiffe://cluster.local/ns/meshward-system/sa/meshward-agent'])), { allowed: true });
    assert.equal(authorize(req('agent/node-1', ['spiffe://cluster.local/ns/shop/sa/orders'])).allowed, false);
    assert.equal(authorize(req('workload/shop/orders', ['spiffe://cluster.local/ns/meshward-system/sa/meshward-agent'])).allowed, false);
  });

  it('follows rules given as a function (the inventory changes)', () => {
    let current = { workloads: new Map<string, Set<string>>() };
    const live = identityAuthorizer(() => current);
    assert.equal(live(req('workload/shop/orders', ['spiffe://cluster.local/ns/shop/sa/orders'])).allowed, false);
    current = { workloads: new Map([['shop/orders', new Set(['shop/orders'])]]) };
    assert.equal(live(req('workload/shop/orders', ['spiffe://cluster.local/ns/shop/sa/orders'])).allowed, true);
  });
});
