import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerFromPath, parseProcCgroup } from '../../src/attribution/cgroup.js';
import { InventorySource, parseAgentInventory, workloadFromPodName, ContainerResolver } from '../../src/attribution/resolver.js';

const ID = 'a'.repeat(64);
const UID = '0b6c2f1e-5d4a-4c3b-9a8f-7e6d5c4b3a21';

describe('attribution: cgroup paths', () => {
  const cases: Array<[string, Partial<ReturnType<typeof containerFromPath>> | undefined]> = [
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`, { runtime: 'containerd', driver: 'systemd', podUid: UID, qos: 'burstable' }],
    [`/kubepods.slice/kubepods-pod${UID.replace(/-/g, '_')}.slice/crio-${ID}.scope`, { runtime: 'cri-o', driver: 'systemd', podUid: UID, qos: 'guaranteed' }],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID.replace(/-/g, '_')}.slice/docker-${ID}.scope`, { runtime: 'docker', podUid: UID, qos: 'besteffort' }],
    [`/kubepods/burstable/pod${UID}/${ID}`, { driver: 'cgroupfs', podUid: UID, qos: 'burstable' }],
    [`/kubepods/pod${UID}/${ID}`, { driver: 'cgroupfs', podUid: UID, qos: 'guaranteed' }],
    [`/kubepods/besteffort/pod${UID}/crio-${ID}`, { runtime: 'cri-o', podUid: UID }],
    [`/system.slice/docker-${ID}.scope`, { runtime: 'docker', driver: 'systemd', podUid: undefined }],
    [`/docker/${ID}`, { runtime: 'docker', driver: 'cgroupfs' }],
    [`/default/${ID}`, { runtime: 'containerd', driver: 'cgroupfs' }],
    [`/machine.slice/libpod-${ID}.scope`, { runtime: 'podman' }],
    ['/user.slice/user-0.slice/session-1.scope', undefined],
    ['/', undefined],
  ];
  for (const [path, want] of cases) {
    it(path.slice(0, 70), () => {
      const got = containerFromPath(path);
      if (want === undefined) return assert.equal(got, undefined);
      assert.equal(got?.id, ID);
      for (const [k, v] of Object.entries(want)) assert.equal((got as unknown as Record<string, unknown>)[k], v, k);
    });
  }

  it('prefers the unified line of a hybrid /proc/<pid>/cgroup', () => {
    const text = `9:name=systemd:/\n4:memory:/process_api/x\n0::/kubepods/besteffort/pod${UID}/${ID}\n`;
    assert.equal(parseProcCgroup(text)?.podUid, UID);
    assert.equal(parseProcCgroup('0::/\n1:cpu:/\n'), undefined);
  });
});

describe('attribution: inventory and names', () => {
  it('reads the local inventory and refuses a bad one naming the field', async () => {
    const pods = parseAgentInventory(`pods:\n  - {namespace: shop, name: orders-7d9f-x2k4q, uid: ${UID}, containers: [{name: app, id: ${ID}}]}\n`);
    const inv = new InventorySource(pods);
    const r = new ContainerResolver([inv], (ns, pod) => (ns === 'shop' && pod === 'orders-7d9f-x2k4q' ? 'orders' : undefined));
    const a = await r.resolve({ id: ID, runtime: 'containerd', driver: 'systemd', cgroup: '/' });
    assert.deepEqual(a.workload, { namespace: 'shop', name: 'orders' });
    assert.equal(a.containerName, 'app');
    assert.throws(() => parseAgentInventory('pods:\n  - {namespace: shop, name: x, containers: [{name: a, id: nothex}]}\n', 'inv.yaml'), /inv.yaml: pods\[0\]\.containers\[0\]\.id: expected 64 hex digits/);
    assert.throws(() => parseAgentInventory('pods:\n  - {namespace: shop, nam: x}\n'), /pods\[0\]\.nam: unknown field/);
  });

  it('guesses a workload from a pod name last', () => {
    assert.equal(workloadFromPodName('orders-7d9f8c6b5-x2k4q'), 'orders');
    assert.equal(workloadFromPodName('db-0'), 'db');
    assert.equal(workloadFromPodName('agent-x2k4q'), 'agent');
  });
});
