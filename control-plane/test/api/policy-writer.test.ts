// Policy apply: into the policies folder (one file per policy, edits in place, multi-policy files
// refused), and as SecurityPolicy custom resources against an API server stand-in (create, then
// replace with the resourceVersion it read).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { KubernetesPolicyWriter, LocalPolicyWriter } from '../../src/api/policy-writer.js';

const policy = (name: string, mode = 'monitor') => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {workloads: [${name}]}
  mode: ${mode}
`;

describe('policy writer', () => {
  it('local: writes a file per policy, edits the file that holds it, refuses a shared file, removes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshward-writer-'));
    try {
      writeFileSync(join(dir, 'mine.yaml'), policy('orders'));
      writeFileSync(join(dir, 'both.yaml'), `${policy('cart')}---\n${policy('pay')}`);
      const w = LocalPolicyWriter.forPaths([join(dir, 'nope.yaml'), dir])!;
      assert.deepEqual(await w.apply(policy('orders', 'protect')), [{ namespace: 'shop', name: 'orders', file: join(dir, 'mine.yaml'), created: false }]);
      assert.match(readFileSync(join(dir, 'mine.yaml'), 'utf8'), /mode: protect/);
      assert.deepEqual((await w.apply(policy('search')))[0].file, join(dir, 'shop.search.yaml'));
      await assert.rejects(w.apply(policy('cart')), { code: 'CONFLICT' });
      await assert.rejects(w.apply('kind: SecurityPolicy\n'), { code: 'POLICY_INVALID' });
      assert.equal(await w.remove('shop', 'search'), true);
      assert.equal(await w.remove('shop', 'search'), false);
      assert.deepEqual(readdirSync(dir).sort(), ['both.yaml', 'mine.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kubernetes: creates the custom resource, then replaces it with its resourceVersion', async () => {
    const objects = new Map<string, Record<string, unknown>>();
    const calls: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        calls.push(`${req.method} ${req.url}`);
        const m = /^\/apis\/meshward\.io\/v1alpha1\/namespaces\/([^/]+)\/securitypolicies(?:\/([^/?]+))?/.exec(req.url ?? '');
        if (!m) return res.writeHead(404).end();
        const key = `${m[1]}/${m[2] ?? ''}`;
        const send = (code: number, obj: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
        if (req.method === 'GET') return objects.has(key) ? send(200, objects.get(key)) : send(404, { kind: 'Status', code: 404 });
        const obj = JSON.parse(body) as { metadata: { name: string; resourceVersion?: string } };
        if (req.method === 'PUT' && obj.metadata.resourceVersion !== '1') return send(409, { kind: 'Status', code: 409 });
        const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(Number(obj.metadata.resourceVersion ?? 0) + 1) } };
        objects.set(`${m[1]}/${obj.metadata.name}`, stored);
        send(req.method === 'POST' ? 201 : 200, stored);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      const w = new KubernetesPolicyWriter(kc);
      assert.deepEqual(await w.apply(policy('orders')), [{ namespace: 'shop', name: 'orders', created: true }]);
      assert.deepEqual(await w.apply(policy('orders', 'protect')), [{ namespace: 'shop', name: 'orders', created: false }]);
      assert.equal((objects.get('shop/orders') as { spec: { mode: string } }).spec.mode, 'protect');
      assert.deepEqual(calls.map((c) => c.split('?')[0]), [
        'GET /apis/meshward.io/v1alpha1/namespaces/shop/securitypolicies/orders',
        'POST /apis/meshward.io/v1alpha1/namespaces/shop/securitypolicies',
        'GET /apis/meshward.io/v1alpha1/namespaces/shop/securitypolicies/orders',
        'PUT /apis/meshward.io/v1alpha1/namespaces/shop/securitypolicies/orders',
      ]);
    } finally {
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    }
  });
});
