// The SecurityPolicy CRD: generated from the schema in control-plane/src/policy/openapi.ts,
// committed under manifests/crds/, structural (as apiextensions.k8s.io/v1 requires), and in
// agreement with the validator: what the validator accepts, the CRD accepts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { loadPolicies, securityPolicyCrd, type OpenApiSchema } from '../../control-plane/src/index.js';
import { toYamlDocuments } from '../../cli/commands/istio.js';

const CRD_FILE = fileURLToPath(new URL('../../../manifests/crds/securitypolicies.meshward.io.yaml', import.meta.url));

/** A policy using every field of every section. */
const KITCHEN_SINK = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata:
  name: orders
  namespace: shop
  labels: {team: payments}
spec:
  selector: {matchLabels: {app: orders}}
  mode: protect
  ingress:
    - name: frontend-reads
      from:
        - principal: "spiffe://cluster.local/ns/shop/sa/frontend"
        - namespace: shop
          workload: frontend
        - ipBlock: 10.0.0.0/8
      http: [{methods: [GET, HEAD], paths: ["/api/orders", "/api/orders/*", "/static/**"], hosts: ["orders.shop", "*.example.com"]}]
    - name: admin
      from: [{principal: "spiffe://cluster.local/ns/shop/sa/admin"}]
      grpc: [{service: shop.v1.Orders, methods: ["*"]}, {service: "*"}]
  waf:
    action: block
    paranoia: 2
    threshold: 8
    exclusions:
      - paths: ["/api/search"]
        params: ["query.q", "body.json.comment*"]
        classes: [sqli, xss]
  dlp:
    action: alert
    sensors: [credit-card, iban, jwt]
    custom:
      - name: employee-id
        pattern: "EMP-[0-9]{6}"
        contexts: [body]
    requests: true
`;

/** What ajv should hold the CRD to: Kubernetes prunes unknown fields silently, so to catch a
 * field the validator knows but the CRD lacks, unknown fields are errors here. */
function strict(schema: OpenApiSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, strict(v)]));
    if (schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  }
  if (typeof schema.additionalProperties === 'object') out.additionalProperties = strict(schema.additionalProperties);
  if (schema.items) out.items = strict(schema.items);
  delete out['x-kubernetes-preserve-unknown-fields'];
  return out;
}

function crdSchema(): OpenApiSchema {
  const crd = securityPolicyCrd() as { spec: { versions: Array<{ schema: { openAPIV3Schema: OpenApiSchema } }> } };
  return crd.spec.versions[0].schema.openAPIV3Schema;
}

/** apiextensions.k8s.io/v1 wants a structural schema: every node typed (or preserving unknown
 * fields), no properties without type object. */
function structuralProblems(s: OpenApiSchema, path: string, out: string[]): string[] {
  if (!s.type && !s['x-kubernetes-preserve-unknown-fields']) out.push(`${path}: no type`);
  if (s.properties && s.type !== 'object') out.push(`${path}: properties without type object`);
  if (s.items && s.type !== 'array') out.push(`${path}: items without type array`);
  if (s.type === 'array' && !s.items) out.push(`${path}: array without items`);
  for (const [k, v] of Object.entries(s.properties ?? {})) structuralProblems(v, `${path}.${k}`, out);
  if (typeof s.additionalProperties === 'object') structuralProblems(s.additionalProperties, `${path}.*`, out);
  if (s.items) structuralProblems(s.items, `${path}[]`, out);
  return out;
}

describe('SecurityPolicy CRD', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(strict(crdSchema()));

  it('the committed file is what `meshward policy crd` prints', () => {
    assert.equal(readFileSync(CRD_FILE, 'utf8'), toYamlDocuments([securityPolicyCrd()]), 'stale CRD: run npm run manifests');
  });

  it('is a structural schema', () => {
    assert.deepEqual(structuralProblems(crdSchema(), 'openAPIV3Schema', []), []);
    const crd = parse(readFileSync(CRD_FILE, 'utf8')) as { apiVersion: string; spec: { group: string; names: { plural: string } } };
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(`${crd.spec.names.plural}.${crd.spec.group}`, 'securitypolicies.meshward.io');
  });

  it('accepts every field of every section that the validator accepts', () => {
    const [policy] = loadPolicies(KITCHEN_SINK); // the validator's verdict first
    assert.ok(policy);
    const ok = validate(parse(KITCHEN_SINK));
    assert.equal(ok, true, JSON.stringify(validate.errors, null, 2));
  });

  it('refuses what is malformed in shape, as the API server would', () => {
    const base = parse(KITCHEN_SINK) as { spec: Record<string, unknown> };
    const cases: Array<[string, (s: Record<string, unknown>) => void]> = [
      ['a mode that is not one', (s) => (s.mode = 'strict')],
      ['a method in lower case', (s) => ((s.ingress as Array<{ http: Array<{ methods: string[] }> }>)[0].http[0].methods = ['get'])],
      ['a rule without a name', (s) => delete (s.ingress as Array<Record<string, unknown>>)[1].name],
      ['paranoia 5', (s) => ((s.waf as Record<string, unknown>).paranoia = 5)],
      ['both selector forms', (s) => (s.selector = { matchLabels: { app: 'x' }, workloads: ['x'] })],
      ['an unknown section', (s) => (s.wafs = {})],
    ];
    for (const [what, mutate] of cases) {
      const doc = structuredClone(base);
      mutate(doc.spec);
      assert.equal(validate(doc), false, `the CRD accepted ${what}`);
    }
  });
});
