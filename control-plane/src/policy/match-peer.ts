// A `from` entry: who may send. Shared by every section that names peers.
import { expectString, fieldsOf, type Checker } from './check.js';
import { checkCidr } from './cidr.js';
import { checkDnsLabel, checkDnsSubdomain } from './names.js';
import type { PeerSpec } from './types.js';
import type { TreeNode } from './tree.js';

const PEER_FIELDS = ['principal', 'namespace', 'workload', 'ipBlock'] as const;

export function readPeer(node: TreeNode, path: string, c: Checker): PeerSpec | undefined {
  const f = fieldsOf(node, path, c, PEER_FIELDS);
  if (!f) return undefined;
  if (!PEER_FIELDS.some((k) => f.has(k))) {
    c.report(f.map.pos, path, 'one-of',
      `a source needs at least one of ${PEER_FIELDS.join(', ')} (omit "from" to admit any source)`);
    return undefined;
  }
  const peer: PeerSpec = {};
  let ok = true;
  for (const key of PEER_FIELDS) {
    const valueNode = f.optional(key);
    if (!valueNode) continue;
    const p = f.pathOf(key);
    const value = expectString(valueNode, p, c);
    const problem = value === undefined ? undefined : PEER_CHECKS[key](value);
    if (value === undefined || problem) {
      if (problem) c.report(valueNode.pos, p, 'format', problem);
      ok = false;
      continue;
    }
    peer[key] = value;
  }
  return ok ? peer : undefined;
}

const PEER_CHECKS: Record<(typeof PEER_FIELDS)[number], (value: string) => string | undefined> = {
  principal: checkPrincipal,
  namespace: checkDnsLabel,
  workload: checkDnsSubdomain,
  ipBlock: checkCidr,
};

/** A SPIFFE id or pattern: `*` alone (any authenticated peer), or one `*` at the start or end. */
export function checkPrincipal(value: string): string | undefined {
  const q = JSON.stringify(value);
  if (value === '') return `principal must not be empty`;
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return `${q} contains white space or control characters`;
  if (value === '*') return undefined;
  const stars = value.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !value.startsWith('*') && !value.endsWith('*'))) {
    return `${q}: '*' may appear once, at the start (suffix match) or at the end (prefix match)`;
  }
  return undefined;
}

