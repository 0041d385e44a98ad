// Incidents, most recently active first: severity, the chain's title, tactics, where and when.
import { useState } from 'react';
import { api, qs } from '../api';
import { Empty, ErrorBanner, Loading, Severity, Tactic } from '../components/common';
import { ago } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { Incident } from '../types';

export function IncidentsPage() {
  const [status, setStatus] = useState('open');
  const list = useLoad(() => api<{ incidents: Incident[] }>(`/v1/incidents${qs({ status: status || undefined, limit: 200 })}`), [status], 5000);
  const incidents = list.data?.incidents ?? [];
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Incidents</h1>
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
