// One workload: its mode per concern (network, processes, files, ports), the baseline learned from
// what it did (callers and operations, SQL, Redis, egress, processes, listening ports) and its
// recent events.
import { api, qs } from '../api';
import { Action, Card, Empty, ErrorBanner, Loading, Mode, Severity } from '../components/common';
import { ago, clock, peer } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { Baseline, EventItem, Workload } from '../types';

interface PolicyDoc {
  policy: { spec: Record<string, { mode?: string } | undefined> & { mode?: string } };
}

interface WorkloadView {
  workload: Workload;
  baseline: Baseline | undefined;
  events: EventItem[];
  concerns: Array<[string, string, string]>;
}

const CONCERNS: Array<[string, string]> = [
  ['network', ''],
  ['processes', 'processes'],
  ['files', 'files'],
  ['ports', 'ports'],
  ['control channels', 'channels'],
];

async function load(namespace: string, name: string): Promise<WorkloadView> {
  const workload = await api<Workload>(`/v1/workloads/${namespace}/${name}`);
  const [baseline, events, policies] = await Promise.all([
    // Asked only when something was learned: the API answers 404 otherwise.
    workload.baseline ? api<Baseline>(`/v1/baselines/${namespace}/${name}`) : Promise.resolve(undefined),
    api<{ events: EventItem[] }>(`/v1/events${qs({ workload: `${namespace}/${name}`, limit: 25 })}`),
    Promise.all(workload.policies.map((key) => api<PolicyDoc>(`/v1/policies/${key}`))),
  ]);
  const concerns = CONCERNS.map(([label, section]): [string, string, string] => {
    if (!section) return [label, workload.mode, workload.state.modeReason ?? (workload.policies.length ? 'from its policy' : 'no policy selects it')];
    const set = policies.map((p) => p.policy.spec[section]?.mode).find((m) => m);
    return set ? [label, set, `spec.${section}.mode`] : [label, workload.mode, 'as network'];
  });
  return { workload, baseline, events: events.events, concerns };
}

function Counts({ title, values, testId }: { title: string; values: Record<string, number>; testId?: string }) {
  const entries = Object.entries(values).sort((a, b) => b[1] - a[1]);
  return (
    <Card title={title} testId={testId}>
      {entries.length === 0 ? (
        <Empty>None observed.</Empty>
      ) : (
        <table>
          <tbody>
            {entries.map(([k, n]) => (
              <tr key={k}>
                <td className="mono">{k}</td>
                <td className="num">{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function WorkloadPage({ namespace, name }: { namespace: string; name: string }) {
  const data = useLoad(() => load(namespace, name), [namespace, name], 5000);
  const v = data.data;
  return (
    <div className="page">
      <p>
        <Link to="/workloads">← Workloads</Link>
      </p>
      <div className="toolbar">
        <h1>
          {namespace}/{name}
        </h1>
        <span className="spacer" />
        <Link to={`/policies/${namespace}/${name}`} className="button">
          Policy and learning
        </Link>
      </div>
      <ErrorBanner error={data.error} />
      <Loading when={data.loading && !v} />
      {v ? (
        <div className="grid">
          <Card title="Modes" testId="modes">
            <table>
              <tbody>
                {v.concerns.map(([label, mode, why]) => (
                  <tr key={label}>
                    <td>{label}</td>
                    <td>
                      <Mode value={mode} />
                    </td>
                    <td className="muted small">{why}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted small">
              Labels {Object.entries(v.workload.labels).map(([k, val]) => `${k}=${val}`).join(', ') || '—'} · service account {v.workload.serviceAccount ?? 'default'} · policies {v.workload.policies.join(', ') || 'none'}
            </p>
          </Card>
          <Card title="Learned baseline" testId="baseline">
            {v.baseline ? (
              <>
                <p className="muted small">
                  {v.baseline.events} events, {ago(v.baseline.firstMs)} to {ago(v.baseline.lastMs)}; last new behaviour {ago(v.baseline.lastChangeMs)}
                  {v.baseline.overflow ? `; ${v.baseline.overflow} entries over the limits` : ''}
                </p>
                <table>
                  <thead>
                    <tr>
                      <th>Caller</th>
                      <th>Operations</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(v.baseline.callers).map(([key, c]) => (
                      <tr key={key}>
                        <td>{peer(c)}</td>
                        <td className="mono small">{Object.keys(c.operations).join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            ) : (
              <Empty>Nothing learned yet: a workload learns in discover mode.</Empty>
            )}
          </Card>
          {v.baseline ? (
            <>
              <Counts title="Processes" values={v.baseline.processes} testId="processes" />
              <Counts title="Listening ports" values={v.baseline.ports} testId="ports" />
              <Counts title="SQL statements" values={v.baseline.sql} />
              <Counts title="Redis commands" values={v.baseline.redis} />
              <Counts title="Egress" values={v.baseline.egress} />
            </>
          ) : null}
          <Card title="Recent events" testId="recent-events" wide>
            {v.events.length === 0 ? (
              <Empty>No events.</Empty>
            ) : (
              <table>
                <tbody>
                  {v.events.map(({ event: e }) => (
                    <tr key={e.id}>
                      <td>{clock(Date.parse(e.time))}</td>
                      <td>{e.kind}</td>
                      <td>
                        <Severity value={e.severity} />
                      </td>
                      <td>
                        <Action value={e.action} />
                      </td>
                      <td className="mono small">{e.http ? `${e.http.method ?? ''} ${e.http.path ?? ''}` : e.process?.exe ?? ''}</td>
                      <td>{peer(e.source)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      ) : null}
    </div>
  );
}
