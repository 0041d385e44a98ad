// The CRD schema fragments of the TCP parts of a policy: the fields an ingress rule gains
// (ports, protocols, postgres, mysql, redis) and the sections egress and tcp (openapi.ts holds
// the rest and merges these in).
import type { OpenApiSchema } from './openapi.js';
import { DETECT_ACTIONS, PROTOCOL_NAMES, STATEMENT_KINDS } from './types.js';

const str = (description: string, extra: OpenApiSchema = {}): OpenApiSchema => ({ type: 'string', description, ...extra });
const list = (items: OpenApiSchema, description: string, extra: OpenApiSchema = {}): OpenApiSchema => ({ type: 'array', description, items, minItems: 1, ...extra });
const ports = (description: string): OpenApiSchema => list({ type: 'integer', minimum: 1, maximum: 65535 }, description);

const sqlEntry: OpenApiSchema = {
  type: 'object',
  description: 'Statements admitted: every kind of a statement must be listed, every table it names must match.',
  required: ['statements'],
  properties: {
    statements: list(str('Statement kind, or "*".', { enum: [...STATEMENT_KINDS, '*'] }), 'Statement kinds.'),
    tables: list(str('Table: name, schema.name, prefix* or *.', { minLength: 1 }), 'Tables; left out: any.'),
  },
};

/** Properties added to an ingress rule. */
export const TCP_RULE_PROPERTIES: Record<string, OpenApiSchema> = {
  ports: ports('Destination ports the rule applies to; left out: any.'),
  protocols: list(str('Identified protocol.', { enum: PROTOCOL_NAMES }), 'Protocols admitted (identified from the bytes, not the port).'),
  postgres: list(sqlEntry, 'PostgreSQL statements admitted.'),
  mysql: list(sqlEntry, 'MySQL/MariaDB statements admitted.'),
  redis: list(
    {
      type: 'object',
      required: ['commands'],
      properties: {
        commands: list(str('Command name, @category or "*".', { minLength: 1 }), 'Commands.'),
        keys: list(str('Key, prefix* or *.', { minLength: 1 }), 'Keys; left out: any.'),
      },
    },
    'Redis commands admitted.',
  ),
};

export const TCP_SECTION_SCHEMAS: Record<string, OpenApiSchema> = {
  egress: {
    type: 'array',
    description: 'Outbound connections admitted, by TLS server name (SNI) and port; left out: egress is not restricted.',
    items: {
      type: 'object',
      required: ['name', 'to'],
      properties: {
        name: str('Rule name, unique in the policy (DNS-1123 label).', { minLength: 1, maxLength: 63 }),
        to: list(
          {
            type: 'object',
            required: ['fqdn'],
            properties: {
              fqdn: str('Host name or *.domain, matched against the TLS server name.', { minLength: 1 }),
              ports: ports('Destination ports; left out: any.'),
            },
          },
          'Destinations.',
        ),
      },
    },
  },
  tcp: {
    type: 'object',
    description: 'Network filter settings.',
    properties: {
      threats: str('SQL injection shapes, dangerous Redis commands, TLS downgrade, SSH v1: block, alert or off. Default block.', { enum: DETECT_ACTIONS }),
      maxStatementBytes: { type: 'integer', description: 'Longest statement judged whole.', minimum: 64, maximum: 16777216 },
      maxIdentifyBytes: { type: 'integer', description: 'Bytes held while identifying a protocol.', minimum: 16, maximum: 1048576 },
    },
  },
  reporting: {
    type: 'object',
    description: 'Reports of allowed traffic (docs/flows.md).',
    properties: {
      flows: str('Aggregated allowed-flow records in every mode: on or off. Default on.', { enum: ['on', 'off'] }),
      maxFlows: { type: 'integer', description: 'Distinct flow records held between two ticks; more are counted as overflow. Default 1024.', minimum: 1, maximum: 65536 },
    },
  },
};
