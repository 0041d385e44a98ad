// The network map's model, drawn only from what was observed: recorded flows (/v1/flows: events of
// discover and violations, and the filters' flow records of allowed requests in every mode) and the
// attacks and leaks among events. Nodes are workloads and the peers that called them; an edge
// carries the worst verdict seen on it (attack > blocked > violation > allowed). Layout: columns
// by distance from callers nobody calls (the outside), rows by name.
import type { EventItem, FlowRow, Workload } from './types';

export type Verdict = 'allowed' | 'violation' | 'blocked' | 'attack';
export const VERDICTS: Verdict[] = ['allowed', 'violation', 'blocked', 'attack'];

export interface MapNode {
  id: string;
  label: string;
  /** Namespace of a workload; '' for an address outside the inventory. */
  namespace: string;
  kind: 'workload' | 'peer';
  x: number;
  y: number;
}

export interface EdgeDetail {
  what: string;
  count: number;
  verdict: Verdict;
}

export interface MapEdge {
  id: string;
  from: string;
  to: string;
  verdict: Verdict;
  count: number;
  details: EdgeDetail[];
}

export interface MapModel {
  nodes: MapNode[];
  edges: MapEdge[];
  width: number;
  height: number;
}

const worse = (a: Verdict, b: Verdict): Verdict => (VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b);

function flowVerdict(actions: string[]): Verdict {
  if (actions.includes('block') || actions.includes('kill')) return 'blocked';
  if (actions.includes('alert')) return 'violation';
  return 'allowed';
}

function peerId(p: { namespace?: string; workload?: string; principal?: string; ip?: string }): { id: string; label: string; namespace: string } {
  if (p.namespace && p.workload) return { id: `${p.namespace}/${p.workload}`, label: p.workload, namespace: p.namespace };
  if (p.principal) {
    const m = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p.principal);
    if (m) return { id: `${m[1]}/${m[2]}`, label: m[2], namespace: m[1] };
    return { id: p.principal, label: p.principal, namespace: '' };
  }
  return { id: `ip:${p.ip ?? 'unknown'}`, label: p.ip ?? 'unknown', namespace: '' };
}

export const NODE_W = 180;
export const NODE_H = 46;
const COL_W = 280;
const ROW_H = 90;

export function buildMap(workloads: Workload[], flows: FlowRow[], attacks: EventItem[], namespace: string): MapModel {
  const nodes = new Map<string, Omit<MapNode, 'x' | 'y'>>();
  for (const w of workloads) nodes.set(`${w.namespace}/${w.name}`, { id: `${w.namespace}/${w.name}`, label: w.name, namespace: w.namespace, kind: 'workload' });
  const edges = new Map<string, MapEdge>();
  const addEdge = (src: ReturnType<typeof peerId>, dst: string, detail: EdgeDetail) => {
    if (!nodes.has(src.id)) nodes.set(src.id, { id: src.id, label: src.label, namespace: src.namespace, kind: 'peer' });
    const id = `${src.id}->${dst}`;
    let e = edges.get(id);
    if (!e) edges.set(id, (e = { id, from: src.id, to: dst, verdict: 'allowed', count: 0, details: [] }));
    e.count += detail.count;
    e.verdict = worse(e.verdict, detail.verdict);
    const same = e.details.find((d) => d.what === detail.what && d.verdict === detail.verdict);
    if (same) same.count += detail.count;
    else e.details.push(detail);
  };
  for (const f of flows) {
    const dst = `${f.namespace}/${f.workload}`;
    if (!nodes.has(dst)) nodes.set(dst, { id: dst, label: f.workload, namespace: f.namespace, kind: 'workload' });
    const src = peerId({ namespace: f.srcNamespace, workload: f.srcWorkload, principal: f.srcPrincipal, ip: f.srcIp });
    const status = f.maxStatus ? ` → ${Math.floor(f.maxStatus / 100)}xx` : '';
    addEdge(src, dst, { what: `${f.method || f.protocol} ${f.path}`.trim() + status, count: f.count, verdict: flowVerdict(f.actions) });
  }
  for (const { event: e } of attacks) {
    const dst = `${e.workload.namespace}/${e.workload.name}`;
    if (!nodes.has(dst)) nodes.set(dst, { id: dst, label: e.workload.name, namespace: e.workload.namespace, kind: 'workload' });
    const what = `${e.kind === 'dlp.leak' ? 'leak' : e.attack?.class ?? e.kind}: ${e.http?.method ?? ''} ${e.http?.path ?? ''}`.trim();
    addEdge(peerId(e.source ?? {}), dst, { what, count: 1, verdict: 'attack' });
  }

  // Namespace filter: that namespace's workloads and whoever they talk to.
  let keptEdges = [...edges.values()];
  let keptNodes = [...nodes.values()];
  if (namespace) {
    const inNs = (id: string) => nodes.get(id)?.namespace === namespace;
    keptEdges = keptEdges.filter((e) => inNs(e.from) || inNs(e.to));
    const ids = new Set(keptEdges.flatMap((e) => [e.from, e.to]));
    keptNodes = keptNodes.filter((n) => n.namespace === namespace || ids.has(n.id));
  }

  // Columns: longest distance from a node nobody calls; bounded passes so cycles end.
  const depth = new Map<string, number>(keptNodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < keptNodes.length; pass++) {
    let changed = false;
    for (const e of keptEdges) {
      if (e.from === e.to) continue;
      const d = (depth.get(e.from) ?? 0) + 1;
      if (d > (depth.get(e.to) ?? 0) && d < keptNodes.length) {
        depth.set(e.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  // Workloads nobody was seen calling stand beside the first column of workloads, not with outsiders.
  const connected = new Set(keptEdges.flatMap((e) => [e.from, e.to]));
  for (const n of keptNodes) if (!connected.has(n.id) && n.kind === 'workload') depth.set(n.id, 1);
  const columns = new Map<number, Array<Omit<MapNode, 'x' | 'y'>>>();
  for (const n of keptNodes) {
    const d = depth.get(n.id) ?? 0;
    if (!columns.has(d)) columns.set(d, []);
    columns.get(d)!.push(n);
  }
  const placed: MapNode[] = [];
  let maxRows = 1;
  const order = [...columns.keys()].sort((a, b) => a - b);
  order.forEach((d, col) => {
    const list = columns.get(d)!.sort((a, b) => a.id.localeCompare(b.id));
    maxRows = Math.max(maxRows, list.length);
    list.forEach((n, row) => placed.push({ ...n, x: 40 + col * COL_W, y: 40 + row * ROW_H }));
  });
  // Centre shorter columns vertically.
  const height = 40 + maxRows * ROW_H;
  for (const d of order) {
    const col = placed.filter((n) => (depth.get(n.id) ?? 0) === d);
    const used = col.length * ROW_H;
    const shift = (height - 40 - used) / 2;
    for (const n of col) n.y += shift;
  }
  return { nodes: placed, edges: keptEdges, width: 40 + Math.max(1, order.length) * COL_W, height: height + 20 };
}
