// The workload inventory as a YAML file (the embedded default, without Kubernetes): which
// workloads exist, their labels and service account, and their pods and nodes. In Kubernetes the
// same list comes from Pods and ServiceAccounts (kubernetes.ts).
//
//   workloads:
//     - namespace: shop
//       name: orders
//       labels: {app: orders}
//       serviceAccount: orders
//       pods: [{name: orders-7d9f, node: node-1}]
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { WorkloadEntry } from '../xds/inventory.js';

export class InventoryError extends Error {
  readonly code = 'INVENTORY_INVALID';
  constructor(readonly problems: string[]) {
    super(`inventory is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'InventoryError';
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type Path = Array<string | number>;

function pathText(path: Path): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** Validates an inventory document; every problem names file:line:column and the field. */
export function parseInventory(text: string, file = '<inventory>'): WorkloadEntry[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems: string[] = [];
  // A missing field has no node: point at the nearest enclosing one.
  const at = (path: Path): { text: string; line: number; col: number } => {
    for (let n = path.length; n >= 0; n--) {
      const node = (doc as Document).getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { text: `${file}:${pos.line}:${pos.col}`, line: pos.line, col: pos.col };
      }
    }
    return { text: file, line: 0, col: 0 };
  };
  const located: Array<{ line: number; col: number; text: string }> = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    problems.push(`${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`);
  }
  if (problems.length > 0) throw new InventoryError(problems);
  const root = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const fail = (path: Path, message: string) => {
    const pos = at(path);
    located.push({ line: pos.line, col: pos.col, text: `${pos.text}: ${pathText(path)}: ${message}` });
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const known = (v: Record<string, unknown>, path: Path, keys: string[]) => {
    for (const k of Object.keys(v)) if (!keys.includes(k)) fail([...path, k], `unknown field (${keys.join(', ')})`);
  };

  if (root === null || root === undefined) return [];
  if (!isObject(root)) {
    problems.push(`${file}: expected a mapping with a "workloads" list`);
    throw new InventoryError(problems);
  }
  known(root, [], ['workloads']);
  const list = root.workloads ?? [];
  if (!Array.isArray(list)) fail(['workloads'], 'must be a list');
  const out: WorkloadEntry[] = [];
  const seen = new Set<string>();
  (Array.isArray(list) ? list : []).forEach((w: unknown, i: number) => {
    const p: Path = ['workloads', i];
    if (!isObject(w)) return fail(p, 'must be a mapping');
    known(w, p, ['namespace', 'name', 'labels', 'serviceAccount', 'pods']);
    const str = (key: string, re: RegExp, required: boolean): string | undefined => {
      const v = w[key];
      if (v === undefined) {
        if (required) fail([...p, key], 'is required');
        return undefined;
      }
      if (typeof v !== 'string' || !re.test(v)) {
        fail([...p, key], `${JSON.stringify(v)} is not a lower-case DNS name`);
        return undefined;
      }
      return v;
    };
    const namespace = str('namespace', DNS_LABEL, true);
    const name = str('name', DNS_SUBDOMAIN, true);
    const serviceAccount = str('serviceAccount', DNS_SUBDOMAIN, false);
    const labels: Record<string, string> = {};
    if (w.labels !== undefined) {
      if (!isObject(w.labels)) fail([...p, 'labels'], 'must be a mapping of strings');
      else
        for (const [k, v] of Object.entries(w.labels)) {
          if (typeof v !== 'string') fail([...p, 'labels', k], 'must be a string');
          else labels[k] = v;
        }
    }
    const pods: Array<{ name: string; node?: string }> = [];
    if (w.pods !== undefined) {
      if (!Array.isArray(w.pods)) fail([...p, 'pods'], 'must be a list');
      else
        w.pods.forEach((pod: unknown, j: number) => {
          const pp: Path = [...p, 'pods', j];
          if (!isObject(pod)) return fail(pp, 'must be a mapping');
          known(pod, pp, ['name', 'node']);
          if (typeof pod.name !== 'string' || !DNS_SUBDOMAIN.test(pod.name)) return fail([...pp, 'name'], 'must be a pod name');
          if (pod.node !== undefined && typeof pod.node !== 'string') return fail([...pp, 'node'], 'must be a string');
          pods.push(pod.node === undefined ? { name: pod.name } : { name: pod.name, node: pod.node as string });
        });
    }
    if (!namespace || !name) return;
    const key = `${namespace}/${name}`;
    if (seen.has(key)) return fail([...p, 'name'], `workload ${key} is listed twice`);
    seen.add(key);
    out.push({ namespace, name, labels, ...(serviceAccount ? { serviceAccount } : {}), pods });
  });
  // In file order, as an editor lists them.
  located.sort((a, b) => a.line - b.line || a.col - b.col);
  problems.push(...located.map((l) => l.text));
  if (problems.length > 0) throw new InventoryError(problems);
  return out;
}

export function loadInventoryFile(path: string): WorkloadEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InventoryError([`${path}: cannot read: ${(err as Error).message}`]);
  }
  return parseInventory(text, path);
}
