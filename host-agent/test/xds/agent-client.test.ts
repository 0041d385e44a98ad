// The host agent's client for meshward.v1.AgentConfig, Delta and SotW, against the real server
// fed by the PolicyDistributor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subscribeAgent, type AgentConfig } from '../../src/xds/index.js';
import { meshwardRules, PolicyDistributor, SnapshotCache, XdsServer } from '../../../control-plane/src/xds/index.js';
import { loadPolicies } from '../../../control-plane/src/policy/index.js';
import { WASM } from './support.js';

const POLICY = (mode: string) => `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: ${mode}
`;

const INVENTORY = [
  { namespace: 'shop', name: 'orders', labels: { app: 'orders' }, serviceAccount: 'orders', pods: [{ name: 'orders-1', node: 'node-1' }, { name: 'orders-2', node: 'node-2' }] },
  { namespace: 'shop', name: 'payments', labels: { app: 'payments' }, pods: [{ name: 'payments-1', node: 'node-1' }] },
];

for (const protocol of ['delta', 'sotw'] as const) {
  describe(`agent client (${protocol})`, { timeout: 30_000 }, () => {
    it("receives the compiled configurations of the workloads on its node, then their updates", async () => {
      const cache = new SnapshotCache({ rules: meshwardRules });
      const distributor = new PolicyDistributor({ cache, wasm: WASM });
      distributor.update({ policies: loadPolicies(POLICY('monitor')), inventory: INVENTORY });
      distributor.publish();
      const server = await XdsServer.start({ watcher: cache, nodeKey: distributor.nodeKey });
      const seen: AgentConfig[] = [];
      let next!: () => void;
      let wait = new Promise<void>((r) => (next = r));
      const sub = subscribeAgent({ server: server.address, nodeName: 'node-1', protocol, backoff: { baseMs: 20, maxMs: 200 } }, (config) => {
        seen.push(config);
        next();
        return { ok: true };
      });
      try {
        const first = await sub.ready;
        assert.equal(first.node, 'node-1');
        assert.deepEqual(first.workloads.map((w) => [w.name, w.pods]), [
          ['orders', ['orders-1']],
          ['payments', ['payments-1']],
        ]);
        assert.equal(JSON.parse(first.workloads[0].configuration).mode, 'monitor');
        assert.equal(first.workloads[0].serviceAccount, 'orders');
        wait = new Promise<void>((r) => (next = r));
        distributor.update({ policies: loadPolicies(POLICY('protect')) });
        distributor.publish();
        await wait;
        assert.equal(JSON.parse(seen.at(-1)!.workloads[0].configuration).mode, 'protect');
        assert.equal(JSON.parse(seen.at(-1)!.workloads[1].configuration).mode, 'discover');
        assert.equal(server.streams()[0].protocol, protocol);
      } finally {
        await sub.close();
        distributor.close();
        await server.close(100);
      }
    });
  });
}
