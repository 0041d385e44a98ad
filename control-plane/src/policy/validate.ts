// One SecurityPolicy document: apiVersion, kind, metadata, then each section of spec.
// Every problem is reported; the policy is returned only when there were none.
import { describe, expectString, fieldsOf, stringMap, type Checker, type Fields } from './check.js';
import { checkDnsLabel, checkLabelKey, checkLabelValue } from './names.js';
import type { SpecSection } from './section.js';
import { SPEC_SECTIONS } from './sections.js';
import type { Position, TreeNode } from './tree.js';
import { API_VERSION, KIND, type PolicyMetadata, type SecurityPolicy, type SecurityPolicySpec } from './types.js';

/** Set by Kubernetes on objects read back from the API server. Accepted and ignored, so that
 * `kubectl get -o yaml` output validates; none of them changes what a policy does. */
const SERVER_METADATA = [
  'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'ownerReferences', 'finalizers', 'selfLink',
];
const METADATA_FIELDS = ['name', 'namespace', 'labels', 'annotations'];

export interface ValidatedPolicy {
  policy: SecurityPolicy;
  /** Where metadata.name was written, to point at when another document reuses the name. */
  namePos: Position | undefined;
}

export function validateDocument(root: TreeNode, c: Checker): ValidatedPolicy | undefined {
  const before = c.issues.length;
  // `status` is written by controllers, never by users; accepted for the same reason as
  // SERVER_METADATA.
  const f = fieldsOf(root, '', c, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  if (!f) return undefined;

  const apiVersionNode = f.required('apiVersion');
  const apiVersion = apiVersionNode && expectString(apiVersionNode, 'apiVersion', c);
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    c.report(apiVersionNode!.pos, 'apiVersion', 'enum', `${describe(apiVersionNode!)} is not a supported apiVersion (${API_VERSION})`);
  }
  const kindNode = f.required('kind');
  const kind = kindNode && expectString(kindNode, 'kind', c);
  if (kind !== undefined && kind !== KIND) {
    c.report(kindNode!.pos, 'kind', 'enum', `${describe(kindNode!)} is not a supported kind (${KIND})`);
  }

  const metadataNode = f.required('metadata');
  const metadata = metadataNode && readMetadata(metadataNode, c);
  const specNode = f.required('spec');
  const spec = specNode && readSpec(specNode, c);

  if (c.issues.length !== before || !metadata || !spec) return undefined;
  const nameEntry = metadataNode?.kind === 'map' ? metadataNode.entries.find((e) => e.key === 'name') : undefined;
  return {
    policy: { apiVersion: API_VERSION, kind: KIND, metadata: metadata.value, spec },
    namePos: nameEntry?.value.pos,
  };
}

function readMetadata(node: TreeNode, c: Checker): { value: PolicyMetadata } | undefined {
  const f = fieldsOf(node, 'metadata', c, METADATA_FIELDS, SERVER_METADATA);
  if (!f) return undefined;
  const before = c.issues.length;
  const metadata: PolicyMetadata = { name: '' };
  for (const key of ['name', 'namespace'] as const) {
    const valueNode = key === 'name' ? f.required(key) : f.optional(key);
    if (!valueNode) continue;
    const value = expectString(valueNode, f.pathOf(key), c);
    if (value === undefined) continue;
    const problem = checkDnsLabel(value);
    if (problem) c.report(valueNode.pos, f.pathOf(key), 'format', problem);
    metadata[key] = value;
  }
  const labels = f.optional('labels');
  if (labels) {
    metadata.labels = stringMap(labels, f.pathOf('labels'), c, (key, value) => {
      const keyProblem = checkLabelKey(key);
      if (keyProblem) return { rule: 'format', message: keyProblem, onKey: true };
      const valueProblem = checkLabelValue(value);
      return valueProblem ? { rule: 'format', message: valueProblem } : undefined;
    });
  }
  const annotations = f.optional('annotations');
  if (annotations) {
    metadata.annotations = stringMap(annotations, f.pathOf('annotations'), c, (key) => {
      const keyProblem = checkLabelKey(key);
      return keyProblem ? { rule: 'format', message: keyProblem.replace('label key', 'annotation key'), onKey: true } : undefined;
    });
  }
  return c.issues.length === before ? { value: metadata } : undefined;
}

function readSpec(node: TreeNode, c: Checker): SecurityPolicySpec | undefined {
  const f = fieldsOf(node, 'spec', c, SPEC_SECTIONS.map((s) => s.key));
  if (!f) return undefined;
  const spec: Partial<SecurityPolicySpec> = {};
  for (const section of SPEC_SECTIONS) readSection(section, f, spec, c);
  return spec.selector ? { ...spec, selector: spec.selector } : undefined;
}

function readSection<K extends keyof SecurityPolicySpec>(
  section: SpecSection<K>,
  f: Fields,
  spec: Partial<SecurityPolicySpec>,
  c: Checker,
): void {
  const node = section.required ? f.required(section.key) : f.optional(section.key);
  if (!node) return;
  const value = section.read(node, f.pathOf(section.key), c);
  if (value !== undefined) spec[section.key] = value;
}
