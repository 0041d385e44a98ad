// Every workload of the inventory: its mode, the policies that select it, what was learned.
import { api } from '../api';
import { ErrorBanner, Loading, Mode } from '../components/common';
import { ago } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { Workload } from '../types';

export function WorkloadsPage() {
  const list = useLoad(() => api<{ workloads: Workload[] }>('/v1/workloads'), [], 5000);
  return (
    <div className="page">
      <h1>Workloads</h1>
      <ErrorBanner error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <table className="list" data-testid="workloads">
          <thead>
            <tr>
              <th>Workload</th>
              <th>Mode</th>
              <th>Policies</th>
              <th>Learned</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.workloads.map((w) => (
              <tr key={`${w.namespace}/${w.name}`} data-testid="workload-row">
                <td>
                  <Link to={`/workloads/${w.namespace}/${w.name}`}>
                    {w.namespace}/{w.name}
                  </Link>
                </td>
                <td>
                  <Mode value={w.mode} />
                  {w.state.quarantined ? <span className="badge sev-critical">quarantined</span> : null}
                </td>
                <td>{w.policies.length ? w.policies.join(', ') : <span className="muted">none</span>}</td>
                <td>{w.baseline ? `${w.baseline.events} events from ${w.baseline.callers} callers, new behaviour ${ago(w.baseline.lastChangeMs)}` : <span className="muted">nothing yet</span>}</td>
                <td>
                  <Link to={`/policies/${w.namespace}/${w.name}`}>policy</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
