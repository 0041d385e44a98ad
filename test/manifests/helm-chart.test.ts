// The Helm chart, rendered (with the test's renderer of the chart's template subset: no Helm
// binary can run here) for its default values and its variants, every object validated against
// the Kubernetes schemas, and the control plane's arguments checked against the command's flags.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { ServiceAccount, Service } from 'kubernetes-models/v1';
import { Deployment, DaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { CONTROL_PLANE_USAGE } from '../../cli/commands/control-plane.js';
import { AGENT_USAGE } from '../../cli/commands/agent.js';
import { renderTemplate, type RenderContext } from '../support/helm-subset.js';

const CHART = fileURLToPath(new URL('../../../manifests/helm/meshward/', import.meta.url));
const CRD_FILE = fileURLToPath(new URL('../../../manifests/crds/securitypolicies.meshward.io.yaml', import.meta.url));

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

const MODELS: Record<string, { validate(obj: unknown): void }> = {
  'v1/ServiceAccount': { validate: (o) => new ServiceAccount(o as never).validate() },
  'v1/Service': { validate: (o) => new Service(o as never).validate() },
  'apps/v1/Deployment': { validate: (o) => new Deployment(o as never).validate() },
  'apps/v1/DaemonSet': { validate: (o) => new DaemonSet(o as never).validate() },
  'rbac.authorization.k8s.io/v1/ClusterRole': { validate: (o) => new ClusterRole(o as never).validate() },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { validate: (o) => new ClusterRoleBinding(o as never).validate() },
  'policy/v1/PodDisruptionBudget': { validate: (o) => new PodDisruptionBudget(o as never).validate() },
};

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' ? deepMerge(out[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function renderChart(overrides: Record<string, unknown> = {}): K8sObject[] {
  const chart = parse(readFileSync(CHART + 'Chart.yaml', 'utf8')) as { name: string; version: string; appVersion: string };
  const values = deepMerge(parse(readFileSync(CHART + 'values.yaml', 'utf8')) as Record<string, unknown>, overrides);
  const ctx: RenderContext = { Values: values, Release: { Name: 'meshward', Namespace: 'meshward-system' }, Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion } };
  const objects: K8sObject[] = [];
  for (const file of readdirSync(CHART + 'templates').filter((f) => f.endsWith('.yaml')).sort()) {
    const text = renderTemplate(readFileSync(CHART + 'templates/' + file, 'utf8'), ctx);
    for (const doc of parseAllDocuments(text)) {
      assert.deepEqual(doc.errors, [], `${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const obj = doc.toJS() as K8sObject | null;
      if (obj) objects.push(obj);
    }
  }
  return objects;
}

function validateAll(objects: K8sObject[]): void {
  for (const o of objects) {
    const model = MODELS[`${o.apiVersion}/${o.kind}`];
    assert.ok(model, `no schema for ${o.apiVersion} ${o.kind}`);
    model.validate(o);
  }
}

const controlPlaneArgs = (objects: K8sObject[]) => {
  const d = objects.find((o) => o.kind === 'Deployment')!;
  return ((d.spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0].args);
};

describe('Helm chart', () => {
  it('renders valid Kubernetes objects with its default values', () => {
    const objects = renderChart();
    validateAll(objects);
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    const d = objects.find((o) => o.kind === 'Deployment')!;
    assert.equal((d.spec as { replicas: number }).replicas, 2, 'two replicas by default');
    assert.match((d.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0].image, /:0\.1\.0$/);
  });

  it('passes the control plane only flags `meshward control-plane` has', () => {
    for (const overrides of [{}, { controlPlane: { mtls: { enabled: false }, failOpen: true } }]) {
      const args = controlPlaneArgs(renderChart(overrides));
      assert.equal(args[0], 'control-plane');
      for (const a of args.slice(1)) {
        const flag = a.split('=')[0];
        assert.ok(CONTROL_PLANE_USAGE.includes(flag), `${flag} is not a flag of meshward control-plane`);
      }
    }
    assert.ok(controlPlaneArgs(renderChart()).includes('--client-ca=/etc/meshward/istio-ca/root-cert.pem'));
    assert.ok(!controlPlaneArgs(renderChart({ controlPlane: { mtls: { enabled: false } } })).some((a) => a.startsWith('--tls-cert')));
  });

  it('lets replicas work as one: shared store, ingest key and API token from Secrets; events routed back to it', () => {
    for (const mtls of [true, false]) {
      const objects = renderChart({ controlPlane: { mtls: { enabled: mtls } } });
      validateAll(objects);
      const pod = (objects.find((o) => o.kind === 'Deployment')!.spec as { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional: boolean } } }>; volumeMounts: Array<{ name: string; mountPath: string }> }>; volumes: Array<{ name: string }> } } }).template.spec;
      const c = pod.containers[0];
      assert.deepEqual(c.env.map((e) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.optional]), [
        ['MESHWARD_STORE', 'meshward-store', true], ['MESHWARD_INGEST_KEY', 'meshward-ingest-key', true], ['MESHWARD_API_TOKEN', 'meshward-api-token', true],
      ]);
      assert.ok(CONTROL_PLANE_USAGE.includes('MESHWARD_STORE') && CONTROL_PLANE_USAGE.includes('MESHWARD_INGEST_KEY') && CONTROL_PLANE_USAGE.includes('MESHWARD_API_TOKEN'), 'the command reads them');
      assert.ok(c.args.includes('--events-cluster=outbound|7070||meshward-control-plane.meshward-system.svc.cluster.local'), 'sidecars post events through Istio\'s outbound cluster');
      assert.ok(c.args.includes('--agent-events=0.0.0.0:15020'));
      assert.ok(c.volumeMounts.some((m) => m.name === 'data' && m.mountPath === '/var/lib/meshward') && pod.volumes.some((v) => v.name === 'data'), 'a writable data folder under a read-only root');
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'meshward-control-plane')!.spec as { ports: Array<{ name: string; port: number }> };
      assert.ok(svc.ports.some((p) => p.name === 'grpc-agents' && p.port === 15020));
    }
  });

  it('renders the host agent DaemonSet when enabled, privileged and in the host PID namespace', () => {
    const objects = renderChart({ agent: { enabled: true } });
    validateAll(objects);
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    const pod = (ds.spec as { template: { spec: { hostPID: boolean; containers: Array<{ securityContext: { privileged: boolean } }> } } }).template.spec;
    assert.equal(pod.hostPID, true);
    assert.equal(pod.containers[0].securityContext.privileged, true);
    // The agent's arguments are flags `meshward agent` knows.
    for (const events of ['', 'meshward-control-plane.meshward.svc:15020']) {
      const spec = (renderChart({ agent: { enabled: true, events } }).find((o) => o.kind === 'DaemonSet')!.spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec;
      const args = spec.containers[0].args;
      assert.equal(args[0], 'agent');
      for (const a of args.slice(1)) assert.ok(AGENT_USAGE.includes(a.split('=')[0]), `${a} is not a flag of meshward agent`);
      assert.equal(args.some((a) => a.startsWith('--events=')), events !== '');
    }
  });

  it('ships the generated CRD, valid for apiextensions.k8s.io/v1', () => {
    const shipped = readFileSync(CHART + 'crds/securitypolicies.meshward.io.yaml', 'utf8');
    assert.equal(shipped, readFileSync(CRD_FILE, 'utf8'), 'the chart ships a stale CRD: run npm run manifests');
    new CustomResourceDefinition(parse(shipped) as never).validate();
  });

  it('the renderer refuses what is outside the subset instead of guessing', () => {
    const ctx: RenderContext = { Values: {}, Release: { Name: 'r', Namespace: 'n' }, Chart: { Name: 'c', Version: '1', AppVersion: '1' } };
    assert.throws(() => renderTemplate('{{ range .Values.x }}{{ end }}', ctx), /outside/);
    assert.throws(() => renderTemplate('{{ include "x" . }}', ctx), /outside/);
    assert.equal(renderTemplate('a {{- if .Values.x }} yes {{- else }} no {{- end }}', ctx), 'a no');
  });
});
