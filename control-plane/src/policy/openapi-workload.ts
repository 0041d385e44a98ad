// CRD schema fragments of the workload sections (see openapi.ts); the validator keeps the finer
// rules (path pattern shapes, duplicates).
import type { OpenApiSchema } from './openapi.js';
import { POLICY_MODES } from './types.js';
import { CHANNELS, INSPECTIONS, PORT_PROTOCOLS, PROCESS_ENFORCEMENTS } from './types-workload.js';

const pattern = (description: string): OpenApiSchema => ({ type: 'string', description, pattern: '^/', maxLength: 4096 });
const patterns = (description: string): OpenApiSchema => ({ type: 'array', description, minItems: 1, items: pattern('Absolute path; "*" within a segment, "**" any segments.') });
const mode: OpenApiSchema = { type: 'string', description: 'This concern\'s mode; left out: the policy\'s mode.', enum: POLICY_MODES };
const port: OpenApiSchema = { type: 'integer', description: 'Port.', minimum: 1, maximum: 65535 };
const fileRule: OpenApiSchema = {
  type: 'object',
  required: ['paths', 'processes'],
  properties: { paths: patterns('Paths.'), processes: patterns('Executables.') },
};

export const WORKLOAD_SECTION_SCHEMAS: Record<string, OpenApiSchema> = {
  processes: {
    type: 'object',
    description: 'Executables the workloads may run (host agent).',
    properties: {
      mode,
      allow: patterns('Allowed executables; left out: only what discover mode learned.'),
      enforcement: { type: 'string', description: 'protect: refuse the exec (default) or kill.', enum: PROCESS_ENFORCEMENTS },
    },
  },
  files: {
    type: 'object',
    description: 'Writers of binaries, libraries, /etc and cron; readers of secrets (host agent).',
    properties: {
      mode,
      writers: { type: 'array', description: 'Allowed writers.', minItems: 1, items: fileRule },
      readers: { type: 'array', description: 'Allowed readers of secrets.', minItems: 1, items: fileRule },
      watch: patterns('More paths whose writes are watched.'),
      secrets: patterns('More paths whose reads are watched.'),
    },
  },
  ports: {
    type: 'object',
    description: 'Listening sockets the workloads may open (host agent).',
    properties: {
      mode,
      allow: {
        type: 'array',
        description: 'Allowed listeners.',
        items: { type: 'object', required: ['port'], properties: { port, protocol: { type: 'string', description: 'tcp (default) or udp.', enum: PORT_PROTOCOLS }, processes: patterns('Executables; left out: any.') } },
      },
    },
  },
  channels: {
    type: 'object',
    description: 'Processes allowed to reach control channels (host agent).',
    properties: {
      mode,
      allow: {
        type: 'array',
        description: 'Allowed users of each channel.',
        items: { type: 'object', required: ['channel'], properties: { channel: { type: 'string', description: 'Channel.', enum: CHANNELS }, processes: patterns('Executables; left out: any.') } },
      },
    },
  },
  traffic: {
    type: 'object',
    description: 'The filter on traffic no sidecar sees (host agent).',
    required: ['inspection'],
    properties: {
      inspection: { type: 'string', description: 'off (default), passive (alerts) or inline (can block).', enum: INSPECTIONS },
      ports: { type: 'array', description: 'Inbound ports inspected; left out: all.', minItems: 1, items: port },
    },
  },
};
