// The SecurityPolicy schema as the Kubernetes API server checks it: the CRD's structural
// OpenAPI v3 schema, one fragment per spec section (keyed like SPEC_SECTIONS). It carries the
// shape (types, enums, ranges, required fields) so `kubectl apply` refuses a malformed policy
// before anything reads it; the finer rules (DNS names, CIDRs, path patterns, unique rule
// names) stay in the validator, which also runs on every custom resource the control plane
// reads. A section without a fragment here fails the CRD test, so the two cannot drift apart.
import { SPEC_SECTIONS } from './sections.js';
import { WORKLOAD_SECTION_SCHEMAS } from './openapi-workload.js';
import { TCP_RULE_PROPERTIES, TCP_SECTION_SCHEMAS } from './openapi-tcp.js';
import { DETECT_ACTIONS, DLP_SENSOR_NAMES, HTTP_METHODS, POLICY_MODES, WAF_CLASSES } from './types.js';

export type OpenApiSchema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  required?: string[];
  enum?: readonly (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minProperties?: number;
  maxProperties?: number;
  pattern?: string;
  default?: unknown;
  oneOf?: OpenApiSchema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
};

const str = (description: string, extra: OpenApiSchema = {}): OpenApiSchema => ({ type: 'string', description, ...extra });
const list = (items: OpenApiSchema, description: string, extra: OpenApiSchema = {}): OpenApiSchema => ({ type: 'array', description, items, minItems: 1, ...extra });

const peer: OpenApiSchema = {
  type: 'object',
  description: 'A source; every field given must match.',
  minProperties: 1,
  properties: {
    principal: str('SPIFFE id of the peer; "*" alone, or one "*" at the start or the end.', { minLength: 1 }),
    namespace: str('Peer namespace.', { minLength: 1, maxLength: 63 }),
    workload: str('Peer workload name.', { minLength: 1, maxLength: 253 }),
    ipBlock: str('IPv4 or IPv6 CIDR with its prefix length.', { minLength: 3 }),
  },
};

const httpMatch: OpenApiSchema = {
  type: 'object',
  description: 'HTTP operations; a field left out matches anything.',
  minProperties: 1,
  properties: {
    methods: list(str('HTTP method (upper case).', { enum: HTTP_METHODS }), 'Methods.'),
    paths: list(str('Path pattern: "*" is one segment, "**" any number.', { pattern: '^/' }), 'Paths.'),
    hosts: list(str('DNS name, optionally "*."-prefixed, without port.', { minLength: 1 }), 'Hosts.'),
  },
};

const grpcMatch: OpenApiSchema = {
  type: 'object',
  description: 'gRPC operations.',
  required: ['service'],
  properties: {
    service: str('Fully-qualified service name, or "*".', { minLength: 1 }),
    methods: list(str('Method name, or "*".', { minLength: 1 }), 'Methods; left out: any.'),
  },
};

/** One fragment per section of `spec`, keyed like SPEC_SECTIONS. */
export const SECTION_SCHEMAS: Record<string, OpenApiSchema> = {
  ...WORKLOAD_SECTION_SCHEMAS,
  ...TCP_SECTION_SCHEMAS,
  selector: {
    type: 'object',
    description: 'The workloads, in the policy\'s namespace, the policy applies to: exactly one of matchLabels or workloads.',
    minProperties: 1,
    maxProperties: 1,
    properties: {
      matchLabels: { type: 'object', description: 'Labels a workload must all carry.', minProperties: 1, additionalProperties: { type: 'string' } },
      workloads: list(str('Workload name.', { minLength: 1, maxLength: 253 }), 'Workload names.'),
    },
  },
  mode: str('discover (allow and learn), monitor (allow and alert), protect (block). Default monitor.', { enum: POLICY_MODES }),
  ingress: {
    type: 'array',
    description: 'Requests the workloads accept; one that matches no rule is a violation.',
    items: {
      type: 'object',
      required: ['name'],
      properties: {
        name: str('Rule name, unique in the policy (DNS-1123 label).', { minLength: 1, maxLength: 63 }),
        from: list(peer, 'Sources; left out: any source.'),
        http: list(httpMatch, 'HTTP operations.'),
        grpc: list(grpcMatch, 'gRPC operations.'),
        ...TCP_RULE_PROPERTIES,
      },
    },
  },
  waf: {
    type: 'object',
    description: 'Attack detection in requests.',
    properties: {
      action: str('block, alert or off. Default block.', { enum: DETECT_ACTIONS }),
      paranoia: { type: 'integer', description: 'Paranoia level 1 (default, almost no false positives) to 4.', minimum: 1, maximum: 4 },
      threshold: { type: 'integer', description: 'Score at which a request is an attack.', minimum: 1, maximum: 1000 },
      exclusions: list(
        {
          type: 'object',
          minProperties: 1,
          properties: {
            paths: list(str('Path pattern.', { pattern: '^/' }), 'Paths the exclusion applies to.'),
            params: list(str('Location, e.g. query.q, header.x-token, body.json.comment; may end with "*".', { minLength: 1 }), 'Locations not inspected.'),
            classes: list(str('Attack class.', { enum: WAF_CLASSES }), 'Classes not reported.'),
          },
        },
        'Where detection is relaxed.',
        { maxItems: 32 },
      ),
    },
  },
  dlp: {
    type: 'object',
    description: 'Data leak detection in responses (and requests, for egress).',
    properties: {
      action: str('block, alert or off. Default block.', { enum: DETECT_ACTIONS }),
      sensors: list(str('Built-in sensor.', { enum: DLP_SENSOR_NAMES }), 'Built-in sensors; left out: all but jwt.'),
      custom: list(
        {
          type: 'object',
          required: ['name', 'pattern'],
          properties: {
            name: str('Sensor name (DNS-1123 label).', { minLength: 1, maxLength: 63 }),
            pattern: str('Pattern in the filter\'s pattern subset.', { minLength: 1 }),
            contexts: list(str('Where to look.', { enum: ['url', 'header', 'body'] }), 'Contexts; left out: all.'),
          },
        },
        'Custom sensors.',
      ),
      requests: { type: 'boolean', description: 'Also inspect requests (egress leaks).' },
    },
  },
};

/** The whole `spec` schema; throws if a section has no fragment. */
export function specSchema(): OpenApiSchema {
  const properties: Record<string, OpenApiSchema> = {};
  const required: string[] = [];
  for (const section of SPEC_SECTIONS) {
    const fragment = SECTION_SCHEMAS[section.key];
    if (!fragment) throw new Error(`policy section "${section.key}" has no CRD schema: add it to SECTION_SCHEMAS in control-plane/src/policy/openapi.ts`);
    properties[section.key] = fragment;
    if (section.required) required.push(section.key);
  }
  return { type: 'object', required, properties };
}

/** The CustomResourceDefinition of SecurityPolicy (meshward.io/v1alpha1). */
export function securityPolicyCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'securitypolicies.meshward.io', labels: { 'app.kubernetes.io/part-of': 'meshward' } },
    spec: {
      group: 'meshward.io',
      scope: 'Namespaced',
      names: { kind: 'SecurityPolicy', listKind: 'SecurityPolicyList', plural: 'securitypolicies', singular: 'securitypolicy', shortNames: ['msp'] },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'Who may do what to the selected workloads, and what Meshward does about everything else.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema(),
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
          subresources: { status: {} },
        },
      ],
    },
  };
}
