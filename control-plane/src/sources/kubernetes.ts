// Sources in Kubernetes: SecurityPolicy custom resources and the workload inventory, both from
// the API server through @kubernetes/client-node informers (list, then watch). A workload is
// named as Istio names it (the canonical-name label, else app.kubernetes.io/name, else app,
// else the Deployment behind the pod's ReplicaSet, else the pod); its service account is the
// pods' spec.serviceAccountName, which is what the SPIFFE identity carries.
import * as k8s from '@kubernetes/client-node';
import { PolicyError } from '../policy/errors.js';
import { validatePolicyObject } from '../policy/load.js';
import type { SecurityPolicy } from '../policy/types.js';
import type { PodEntry, WorkloadEntry } from '../xds/inventory.js';
import type { SourceHandlers, SourceState, Sources } from './local-sources.js';

export const POLICY_GROUP = 'meshward.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_PLURAL = 'securitypolicies';

interface PolicyObject extends k8s.KubernetesObject {
  spec?: unknown;
}

export interface KubernetesSourceOptions {
  /** Defaults to the in-cluster service account or ~/.kube/config. */
  kubeConfig?: k8s.KubeConfig;
  /** Quiet time after a change before the new state is handed on. */
  quietMs?: number;
}

const objectKey = (o: k8s.KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The workload a pod belongs to, by the labels and owners Istio uses for the same question. */
export function workloadName(pod: k8s.V1Pod): string {
  const labels = pod.metadata?.labels ?? {};
  const fromLabel = labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels.app;
  if (fromLabel) return fromLabel;
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (owner) {
    // A ReplicaSet made by a Deployment is named <deployment>-<pod-template-hash>.
    const hash = labels['pod-template-hash'];
    if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
    return owner.name;
  }
  return pod.metadata?.name ?? 'unknown';
}

/** Pods grouped into workloads. Finished pods (Succeeded, Failed) are left out. */
export function inventoryFromPods(pods: readonly k8s.V1Pod[]): WorkloadEntry[] {
  const byKey = new Map<string, WorkloadEntry & { pods: PodEntry[] }>();
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = workloadName(pod);
    const key = `${namespace}/${name}`;
    let entry = byKey.get(key);
    if (!entry) {
      const labels = { ...(pod.metadata?.labels ?? {}) };
      delete labels['pod-template-hash']; // differs per rollout, so never part of a workload's identity
      entry = { namespace, name, labels, serviceAccount: pod.spec?.serviceAccountName ?? 'default', pods: [] };
      byKey.set(key, entry);
    }
    entry.pods.push(pod.spec?.nodeName ? { name: pod.metadata?.name ?? '', node: pod.spec.nodeName } : { name: pod.metadata?.name ?? '' });
  }
  return [...byKey.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

export async function startKubernetesSources(options: KubernetesSourceOptions, handlers: SourceHandlers): Promise<Sources> {
  const kc = options.kubeConfig ?? (() => {
    const c = new k8s.KubeConfig();
    c.loadFromDefault();
    return c;
  })();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const policyInformer = k8s.makeInformer<PolicyObject>(
    kc,
    `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`,
    () => custom.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL }) as Promise<k8s.KubernetesListObject<PolicyObject>>,
  );
  const podInformer = k8s.makeInformer<k8s.V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());

  // The last valid version of each policy object: a bad edit to one object is reported and that
  // object's previous version stays, instead of the policy vanishing (which would loosen or
  // tighten enforcement by accident).
  const lastGood = new Map<string, SecurityPolicy>();
  const rejected = new Set<string>();
  let state: SourceState = { policies: [], inventory: [] };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const rebuild = () => {
    const seen = new Set<string>();
    for (const obj of policyInformer.list()) {
      const key = objectKey(obj);
      seen.add(key);
      try {
        lastGood.set(key, validatePolicyObject(obj, `securitypolicy ${key}`));
        rejected.delete(key);
      } catch (err) {
        if (!rejected.has(key)) {
          rejected.add(key);
          const detail = err instanceof PolicyError ? err.message : String(err);
          handlers.error(new Error(`SecurityPolicy ${key} rejected, ${lastGood.has(key) ? 'keeping its previous version' : 'ignored'}: ${detail}`));
        }
      }
    }
    for (const key of [...lastGood.keys()]) if (!seen.has(key)) lastGood.delete(key);
    const policies = [...lastGood.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
    state = { policies, inventory: inventoryFromPods(podInformer.list()) };
    handlers.update(state);
  };
  const changed = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(rebuild, options.quietMs ?? 100);
  };
  for (const informer of [policyInformer, podInformer] as Array<k8s.Informer<k8s.KubernetesObject>>) {
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('error', (err: unknown) => {
      if (stopped) return;
      handlers.error(new Error(`kubernetes watch failed, retrying: ${(err as Error)?.message ?? String(err)}`));
      // The informer stops on error; start it again after a pause, as client-go's reflector does.
      setTimeout(() => {
        if (!stopped) informer.start().catch(() => undefined);
      }, 1000).unref();
    });
  }
  await Promise.all([policyInformer.start(), podInformer.start()]);
  rebuild();
  return {
    current: () => state,
    close: () => {
      stopped = true;
      clearTimeout(timer);
      void policyInformer.stop();
      void podInformer.stop();
    },
  };
}
