// spec.dlp: data loss prevention for the selected workloads: which built-in sensors look at
// response bodies, custom sensors (patterns with the contexts they look at), and what to do.
import { describe, expectString, fieldsOf, listOf, stringList, type Checker } from './check.js';
import { checkDnsLabel } from './names.js';
import { readAction } from './section-waf.js';
import type { SpecSection } from './section.js';
import { didYouMean } from './suggest.js';
import { DLP_SENSOR_NAMES, type CustomSensorSpec, type DlpSensorName, type DlpSpec } from './types.js';
import type { TreeNode } from './tree.js';

const DLP_FIELDS = ['action', 'sensors', 'custom', 'requests'] as const;
const SENSOR_FIELDS = ['name', 'pattern', 'contexts'] as const;
const CONTEXTS = ['url', 'header', 'body'] as const;

function checkSensor(value: string): string | undefined {
  if ((DLP_SENSOR_NAMES as readonly string[]).includes(value)) return undefined;
  return `${JSON.stringify(value)} is not a sensor (${DLP_SENSOR_NAMES.join(', ')})${didYouMean(value, DLP_SENSOR_NAMES)}`;
}

function checkContext(value: string): string | undefined {
  if ((CONTEXTS as readonly string[]).includes(value)) return undefined;
  return `${JSON.stringify(value)} is not a context (${CONTEXTS.join(', ')})${didYouMean(value, CONTEXTS)}`;
}

/** The pattern subset filter/assembly/dlp/pattern.ts matches; the same checks. */
export function checkPattern(value: string): string | undefined {
  const q = JSON.stringify(value);
  if (value === '') return 'must not be empty';
  let i = value.startsWith('(?i)') ? 4 : 0;
  let atom = false;
  while (i < value.length) {
    const ch = value[i];
    if (ch === '\\') {
      if (i + 1 >= value.length) return `${q} ends with a backslash`;
      i += 2;
      atom = true;
      continue;
    }
    if (ch === '[') {
      let j = i + 1;
      if (value[j] === '^') j++;
      if (value[j] === ']') j++;
      while (j < value.length && value[j] !== ']') j += value[j] === '\\' ? 2 : 1;
      if (j >= value.length) return `${q}: a character class is not closed`;
      i = j + 1;
      atom = true;
      continue;
    }
    if (ch === '(' || ch === ')') return `${q}: groups are not supported (use | between whole alternatives)`;
    if (ch === '*' || ch === '+' || ch === '?') {
      if (!atom) return `${q}: "${ch}" follows nothing to repeat`;
      atom = false;
      i++;
      continue;
    }
    if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(value.slice(i));
      if (!atom || !m) return `${q}: a {n,m} quantifier is malformed`;
      i += m[0].length;
      atom = false;
      continue;
    }
    atom = ch !== '|' && ch !== '^' && ch !== '$';
    i++;
  }
  return undefined;
}

export const dlpSection: SpecSection<'dlp'> = {
  key: 'dlp',
  required: false,
  read(node: TreeNode, path: string, c: Checker): DlpSpec | undefined {
    const f = fieldsOf(node, path, c, DLP_FIELDS);
    if (!f) return undefined;
    const before = c.issues.length;
    const dlp: DlpSpec = {};
    const action = f.optional('action');
    if (action) dlp.action = readAction(action, f.pathOf('action'), c);
    const sensors = f.optional('sensors');
    if (sensors) {
      dlp.sensors = stringList(sensors, f.pathOf('sensors'), c, 'enum', checkSensor,
        { emptyHint: ': omit "sensors" for the defaults, or set action: off' }) as DlpSensorName[] | undefined;
    }
    const custom = f.optional('custom');
    if (custom) {
      const names = new Map<string, string>();
      dlp.custom = listOf(custom, f.pathOf('custom'), c, (n, p) => {
        const s = readSensor(n, p, c);
        if (s) {
          const earlier = names.get(s.name);
          if (earlier) {
            c.report(n.pos, `${p}.name`, 'duplicate', `sensor name ${JSON.stringify(s.name)} is already used by ${earlier}`);
            return undefined;
          }
          names.set(s.name, p);
        }
        return s;
      }, { emptyHint: ': omit "custom" for none' });
    }
    const requests = f.optional('requests');
    if (requests) {
      if (requests.kind === 'scalar' && typeof requests.value === 'boolean') dlp.requests = requests.value;
      else c.report(requests.pos, f.pathOf('requests'), 'type', `expected true or false, found ${describe(requests)}`);
    }
    return c.issues.length === before ? dlp : undefined;
  },
};

function readSensor(node: TreeNode, path: string, c: Checker): CustomSensorSpec | undefined {
  const f = fieldsOf(node, path, c, SENSOR_FIELDS);
  if (!f) return undefined;
  const before = c.issues.length;
  const nameNode = f.required('name');
  const name = nameNode && expectString(nameNode, f.pathOf('name'), c);
  if (name !== undefined) {
    const problem = checkDnsLabel(name);
    if (problem) c.report(nameNode!.pos, f.pathOf('name'), 'format', problem);
  }
  const patternNode = f.required('pattern');
  const pattern = patternNode && expectString(patternNode, f.pathOf('pattern'), c);
  if (pattern !== undefined) {
    const problem = checkPattern(pattern);
    if (problem) c.report(patternNode!.pos, f.pathOf('pattern'), 'format', problem);
  }
  const out: CustomSensorSpec = { name: name ?? '', pattern: pattern ?? '' };
  const contexts = f.optional('contexts');
  if (contexts) {
    out.contexts = stringList(contexts, f.pathOf('contexts'), c, 'enum', checkContext,
      { emptyHint: ': omit "contexts" for [body]' }) as CustomSensorSpec['contexts'];
  }
  return c.issues.length === before ? out : undefined;
}
