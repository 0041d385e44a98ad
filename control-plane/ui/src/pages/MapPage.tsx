// The network map: workloads and their callers as observed, edges coloured by verdict; zoom with
// the wheel or the buttons, pan by dragging, filter by namespace and time window; click an edge
// for what crossed it.
import { useMemo, useRef, useState, type PointerEvent, type WheelEvent } from 'react';
import { api, qs } from '../api';
import { Card, Empty, ErrorBanner, Loading } from '../components/common';
import { useLoad } from '../hooks';
import { buildMap, NODE_H, NODE_W, VERDICTS, type MapEdge, type MapModel, type Verdict } from '../map-model';
import { Link } from '../router';
import type { EventItem, FlowRow, Workload } from '../types';

const WINDOWS: Array<[string, string]> = [
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['24h', 'last day'],
  ['7d', 'last week'],
];

export const VERDICT_COLOR: Record<Verdict, string> = {
  allowed: '#3f9d6b',
  violation: '#d9a400',
  blocked: '#d64545',
  attack: '#8e2bc9',
};

interface MapData {
  workloads: Workload[];
  flows: FlowRow[];
  attacks: EventItem[];
  /** Allowed requests the filters could not count in a flow record (their table was full). */
  overflow: number;
}

async function loadMap(since: string): Promise<MapData> {
  const [w, f, a, l] = await Promise.all([
    api<{ workloads: Workload[] }>('/v1/workloads'),
    api<{ flows: FlowRow[]; flowsOverflow?: Record<string, number> }>(`/v1/flows${qs({ since })}`),
    api<{ events: EventItem[] }>(`/v1/events${qs({ since, kind: 'http.attack', limit: 1000 })}`),
    api<{ events: EventItem[] }>(`/v1/events${qs({ since, kind: 'dlp.leak', limit: 1000 })}`),
  ]);
  const overflow = Object.values(f.flowsOverflow ?? {}).reduce((n, v) => n + v, 0);
  return { workloads: w.workloads, flows: f.flows, attacks: [...a.events, ...l.events], overflow };
}

function edgePath(m: MapModel, e: MapEdge): string {
  const a = m.nodes.find((n) => n.id === e.from)!;
  const b = m.nodes.find((n) => n.id === e.to)!;
  if (a.id === b.id) return `M ${a.x + NODE_W - 20} ${a.y} c 40 -50 80 0 20 ${NODE_H / 2}`;
  const x1 = a.x + NODE_W;
  const y1 = a.y + NODE_H / 2;
  const x2 = b.x - 6;
  const y2 = b.y + NODE_H / 2;
  const back = x2 < x1;
  // An edge that skips a column arcs over the nodes between instead of running behind them.
  if (!back && x2 - x1 > NODE_W) {
    const top = Math.min(y1, y2) - NODE_H - 30;
    return `M ${x1} ${y1} C ${x1 + 80} ${top}, ${x2 - 80} ${top}, ${x2} ${y2}`;
  }
  const dx = back ? 120 : Math.max(40, (x2 - x1) / 2);
  return `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`;
}

export function MapPage() {
  const [since, setSince] = useState('1h');
  const [namespace, setNamespace] = useState('');
  const [selected, setSelected] = useState<string>();
  const [view, setView] = useState({ scale: 1, x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | undefined>(undefined);
  const data = useLoad(() => loadMap(since), [since], 5000);
  const model = useMemo(() => (data.data ? buildMap(data.data.workloads, data.data.flows, data.data.attacks, namespace) : undefined), [data.data, namespace]);
  const namespaces = useMemo(() => [...new Set((data.data?.workloads ?? []).map((w) => w.namespace))].sort(), [data.data]);
  const edge = model?.edges.find((e) => e.id === selected);

  const zoom = (factor: number, cx = 0, cy = 0) =>
    setView((v) => {
      const scale = Math.min(4, Math.max(0.25, v.scale * factor));
      const k = scale / v.scale;
      return { scale, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k };
    });
  const onWheel = (e: WheelEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  };
  const onDown = (e: PointerEvent<SVGSVGElement>) => {
    if ((e.target as Element).closest('[data-edge],[data-node]')) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (d) setView((v) => ({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }));
  };
  const onUp = () => (drag.current = undefined);

  return (
    <div className="page map-page">
      <div className="toolbar">
        <h1>Network map</h1>
        <label>
          Namespace{' '}
          <select value={namespace} onChange={(e) => setNamespace(e.target.value)} data-testid="map-namespace">
            <option value="">all</option>
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Seen in the{' '}
          <select value={since} onChange={(e) => setSince(e.target.value)}>
            {WINDOWS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <span className="zoom">
          <button onClick={() => zoom(1.25)} aria-label="zoom in" data-testid="zoom-in">
            +
          </button>
          <button onClick={() => zoom(0.8)} aria-label="zoom out" data-testid="zoom-out">
            −
          </button>
          <button onClick={() => setView({ scale: 1, x: 0, y: 0 })}>reset</button>
        </span>
        <span className="legend">
          {VERDICTS.map((v) => (
            <span key={v}>
              <i style={{ background: VERDICT_COLOR[v] }} /> {v}
            </span>
          ))}
        </span>
      </div>
      <ErrorBanner error={data.error} />
      {data.data && data.data.overflow > 0 ? (
        <p className="muted small" data-testid="flows-overflow">
          {data.data.overflow} allowed requests were not counted: a filter's flow table was full (raise spec.reporting.maxFlows).
        </p>
      ) : null}
      <Loading when={data.loading && !data.data} />
      {model && model.nodes.length === 0 ? <Empty>No traffic observed in this window.</Empty> : null}
      {model && model.nodes.length > 0 ? (
        <div className="map-body">
          <svg
            className="map"
            data-testid="map"
            data-scale={view.scale.toFixed(2)}
            viewBox={`0 0 ${Math.max(model.width, 700)} ${Math.max(model.height, 360)}`}
            onWheel={onWheel}
            onPointerDown={onDown}
            onPointerMove={onMove}
            onPointerUp={onUp}
          >
            <defs>
              {VERDICTS.map((v) => (
                <marker key={v} id={`arrow-${v}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                  <path d="M 0 0 L 10 5 L 0 10 z" fill={VERDICT_COLOR[v]} />
                </marker>
              ))}
            </defs>
            <g transform={`translate(${view.x} ${view.y}) scale(${view.scale})`}>
              {model.edges.map((e) => (
                <g
                  key={e.id}
                  data-edge
                  data-testid="edge"
                  data-from={e.from}
                  data-to={e.to}
                  data-verdict={e.verdict}
                  className={`edge ${selected === e.id ? 'selected' : ''}`}
                  onClick={() => setSelected(e.id)}
                >
                  <title>{`${e.from} → ${e.to}: ${e.verdict} (${e.count})`}</title>
                  <path d={edgePath(model, e)} className="hit" />
                  <path d={edgePath(model, e)} stroke={VERDICT_COLOR[e.verdict]} strokeWidth={Math.min(6, 1.5 + Math.log2(1 + e.count))} fill="none" markerEnd={`url(#arrow-${e.verdict})`} />
                </g>
              ))}
              {model.nodes.map((n) => (
                <g key={n.id} data-node data-testid="node" data-id={n.id} transform={`translate(${n.x} ${n.y})`} className={`node ${n.kind}`}>
                  <rect width={NODE_W} height={NODE_H} rx={8} />
                  <text x={12} y={19} className="name">
                    {n.label}
                  </text>
                  <text x={12} y={36} className="ns">
                    {n.kind === 'workload' ? n.namespace : n.namespace || 'outside the mesh'}
                  </text>
                </g>
              ))}
            </g>
          </svg>
          <aside className="edge-panel" data-testid="edge-panel">
            {edge ? (
              <Card title={`${edge.from} → ${edge.to}`}>
                <p>
                  Verdict: <strong style={{ color: VERDICT_COLOR[edge.verdict] }}>{edge.verdict}</strong>, {edge.count} requests
                </p>
                <table>
                  <tbody>
                    {edge.details.map((d, i) => (
                      <tr key={i}>
                        <td>
                          <span className="dot" style={{ background: VERDICT_COLOR[d.verdict] }} />
                          {d.verdict}
                        </td>
                        <td className="mono">{d.what}</td>
                        <td className="num">{d.count}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {edge.to.includes('/') ? <Link to={`/workloads/${edge.to}`}>Open {edge.to}</Link> : null}
              </Card>
            ) : (
              <p className="muted">Click an edge to see what crossed it.</p>
            )}
          </aside>
        </div>
      ) : null}
    </div>
  );
}
