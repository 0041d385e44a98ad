// The policies in force, and every workload with a link to its learning and policy page.
import { api } from '../api';
import { Card, ErrorBanner, Loading, Mode } from '../components/common';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { PolicySummary, Workload } from '../types';

export function PoliciesPage() {
  const data = useLoad(async () => {
    const [p, w] = await Promise.all([api<{ policies: PolicySummary[] }>('/v1/policies'), api<{ workloads: Workload[] }>('/v1/workloads')]);
    return { policies: p.policies, workloads: w.workloads };
  }, [], 5000);
  return (
    <div className="page">
      <h1>Policies</h1>
      <ErrorBanner error={data.error} />
      <Loading when={data.loading && !data.data} />
      {data.data ? (
        <div className="grid">
          <Card title="Workloads: learn, review, apply" testId="policy-workloads">
            <table className="list">
              <tbody>
                {data.data.workloads.map((w) => (
                  <tr key={`${w.namespace}/${w.name}`}>
                    <td>
                      <Link to={`/policies/${w.namespace}/${w.name}`} testId={`policy-link-${w.namespace}-${w.name}`}>
                        {w.namespace}/{w.name}
                      </Link>
                    </td>
                    <td>
                      <Mode value={w.mode} />
                    </td>
                    <td className="muted small">{w.baseline ? `${w.baseline.events} events learned` : 'nothing learned'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <Card title="In force">
            <table className="list" data-testid="policies">
              <tbody>
                {data.data.policies.map((p) => (
                  <tr key={`${p.namespace}/${p.name}`}>
                    <td className="mono">
                      {p.namespace}/{p.name}
                    </td>
                    <td>
                      <Mode value={p.mode} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        </div>
      ) : null}
    </div>
  );
}
