// Incidents, most recently active first: severity, the chain's title, tactics, where and when.
// Reloaded when the live stream delivers an event that may open or advance one (live.ts); polled
// every five seconds while the stream is down.
import { useEffect, useRef, useState } from 'react';
import { useEventStream } from '../live';
import { api, qs } from '../api';
import { Empty, ErrorBanner, Loading, Severity, Tactic } from '../components/common';
import { ago } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { Incident } from '../types';

export function IncidentsPage() {
  const [status, setStatus] = useState('open');
  const [streaming, setStreaming] = useState(false);
  const list = useLoad(() => api<{ incidents: Incident[] }>(`/v1/incidents${qs({ status: status || undefined, limit: 200 })}`), [status], streaming ? undefined : 5000);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // Correlation runs before the stream sees an event: a short pause gathers a burst.
  const live = useEventStream({ severity: 'low' }, () => {
    clearTimeout(pending.current);
    pending.current = setTimeout(() => list.reload(), 300);
  });
  useEffect(() => setStreaming(live.state === 'stream'), [live.state]);
  useEffect(() => () => clearTimeout(pending.current), []);
  const incidents = list.data?.incidents ?? [];
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Incidents</h1>
        <span className={`live ${streaming ? 'on' : ''}`} data-testid="incidents-live" data-state={live.state}>
          {streaming ? 'live' : 'polling'}
        </span>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="open">open</option>
            <option value="resolved">resolved</option>
            <option value="">all</option>
          </select>
        </label>
      </div>
      <ErrorBanner error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && incidents.length === 0 ? <Empty>No incidents. Run `meshward demo attack` against `meshward up` to see one.</Empty> : null}
      {incidents.length > 0 ? (
        <table className="list" data-testid="incidents">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Incident</th>
              <th>Tactics</th>
              <th>Workloads</th>
              <th>Events</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {incidents.map((i) => (
              <tr key={i.id} data-testid="incident-row" data-id={i.id}>
                <td>
                  <Severity value={i.severity} />
                </td>
                <td>
                  <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.title}</Link>
                  <div className="muted small">{i.id}{i.status === 'resolved' ? ' · resolved' : ''}</div>
                </td>
                <td>{i.tactics.map((t) => <Tactic key={t} value={t} />)}</td>
                <td>{i.workloads.join(', ')}</td>
                <td className="num">{i.eventCount}</td>
                <td>{ago(i.lastMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
