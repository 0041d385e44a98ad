// Learning and policy for one workload: the policy learned from its traffic, the difference from
// the policy in force, what a dry-run of the proposal over recorded traffic would have blocked,
// and the buttons to apply it and to switch the workload's mode.
import { useEffect, useState } from 'react';
import { api, qs } from '../api';
import { Card, Empty, ErrorBanner, Loading, Mode } from '../components/common';
import { diffLines } from '../diff';
import { peer, time } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { DryRunReport, Proposal, Workload } from '../types';

const MODES = ['discover', 'monitor', 'protect'];

interface PolicyView {
  workload: Workload;
  current: string;
  proposal: Proposal | undefined;
}

async function load(namespace: string, name: string, proposalMode: string): Promise<PolicyView> {
  const workload = await api<Workload>(`/v1/workloads/${namespace}/${name}`);
  const [docs, proposal] = await Promise.all([
    Promise.all(workload.policies.map((key) => api<{ yaml: string }>(`/v1/policies/${key}`))),
    // The API answers 404 until something was learned; only ask once there is a baseline.
    workload.baseline ? api<Proposal>(`/v1/baselines/${namespace}/${name}/proposal${qs({ mode: proposalMode })}`) : Promise.resolve(undefined),
  ]);
  return { workload, current: docs.map((d) => d.yaml).join('---\n'), proposal };
}

export function PolicyPage({ namespace, name }: { namespace: string; name: string }) {
  const [proposalMode, setProposalMode] = useState('monitor');
  const [targetMode, setTargetMode] = useState('monitor');
  const data = useLoad(() => load(namespace, name, proposalMode), [namespace, name, proposalMode]);
  const [dryRun, setDryRun] = useState<DryRunReport>();
  const [busy, setBusy] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [actionError, setActionError] = useState<Error>();
  const v = data.data;
  const proposalYaml = v?.proposal?.yaml;

  const act = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setActionError(undefined);
    setMessage(undefined);
    try {
      await fn();
    } catch (err) {
      setActionError(err as Error);
    } finally {
      setBusy(undefined);
    }
  };
  const runDryRun = (yaml: string) =>
    act('dry-run', async () => {
      setDryRun(await api<DryRunReport>('/v1/dry-run', { method: 'POST', json: { yaml, since: '24h' } }));
    });
  // The dry-run of the proposal is part of reviewing it: run it as soon as there is one.
  useEffect(() => {
    setDryRun(undefined);
    if (proposalYaml) void runDryRun(proposalYaml);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [proposalYaml]);
  const apply = () =>
    act('apply', async () => {
      const r = await api<{ applied: Array<{ namespace: string; name: string; created: boolean }> }>(`/v1/baselines/${namespace}/${name}/apply`, { method: 'POST', json: { mode: proposalMode } });
      setMessage(`Applied ${r.applied.map((a) => `${a.namespace}/${a.name}${a.created ? ' (new)' : ''}`).join(', ')} in ${proposalMode} mode. The sidecars have it within a second.`);
      data.reload();
    });
  const switchMode = () =>
    act('mode', async () => {
      await api(`/v1/workloads/${namespace}/${name}/mode`, { method: 'PUT', json: { mode: targetMode } });
      setMessage(`${namespace}/${name} is now in ${targetMode} mode.`);
      data.reload();
    });

  const diff = v && proposalYaml ? diffLines(v.current, proposalYaml) : [];
  const report = dryRun?.workloads.find((w) => w.namespace === namespace && w.name === name);
  return (
    <div className="page">
      <p>
        <Link to="/policies">← Policies</Link>
      </p>
      <div className="toolbar">
        <h1>
          Policy of {namespace}/{name}
        </h1>
        {v ? <Mode value={v.workload.mode} /> : null}
      </div>
      <ErrorBanner error={data.error ?? actionError} />
      {message ? (
        <div className="notice" role="status" data-testid="notice">
          {message}
        </div>
      ) : null}
      <Loading when={data.loading && !v} />
      {v ? (
        <div className="grid">
          <Card
            title="Learned proposal"
            testId="proposal"
            actions={
              <>
                <label>
                  as{' '}
                  <select value={proposalMode} onChange={(e) => setProposalMode(e.target.value)} data-testid="proposal-mode">
                    <option value="monitor">monitor</option>
                    <option value="protect">protect</option>
                  </select>
                </label>
                <button onClick={apply} disabled={!proposalYaml || busy !== undefined} data-testid="apply">
                  {busy === 'apply' ? 'Applying…' : 'Apply learned policy'}
                </button>
              </>
            }
          >
            {v.proposal ? (
              <>
                {v.proposal.notes.length ? (
                  <ul className="notes">
                    {v.proposal.notes.map((n, i) => (
                      <li key={i}>{n}</li>
                    ))}
                  </ul>
                ) : null}
                <pre className="yaml" data-testid="proposal-yaml">{v.proposal.yaml}</pre>
              </>
            ) : (
              <Empty>Nothing learned yet. Workloads learn in discover mode from the traffic they see.</Empty>
            )}
          </Card>
          <Card title={v.current ? 'Difference from the policy in force' : 'No policy in force yet: all of it is new'} testId="diff">
            {diff.length ? (
              <pre className="diff">
                {diff.map((l, i) => (
                  <div key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
                    {l.op} {l.text}
                  </div>
                ))}
              </pre>
            ) : (
              <pre className="yaml">{v.current || '—'}</pre>
            )}
          </Card>
          <Card title="Dry-run over the last 24 hours" testId="dry-run" actions={proposalYaml ? <button onClick={() => void runDryRun(proposalYaml)} disabled={busy !== undefined}>Run again</button> : undefined}>
            {busy === 'dry-run' ? <p className="muted">Replaying recorded traffic through the filter…</p> : null}
            {report ? (
              <>
                <p data-testid="dry-run-summary" data-clean={report.blockedFlows === 0 ? 'true' : 'false'}>
                  {report.flows} recorded flows ({report.requests} requests) replayed: {report.blockedFlows === 0 ? 'nothing would have been blocked.' : `${report.blockedFlows} flows (${report.blockedRequests} requests) would have been blocked.`}
                  {report.truncated ? ' Only the first flows were replayed.' : ''}
                </p>
                {report.blocked.map((b, i) => (
                  <div key={i}>
                    <strong>{peer(b.caller)}</strong>
                    <ul>
                      {b.flows.map((f, j) => (
                        <li key={j} className="mono small">
                          {f.method} {f.path} ×{f.count} — {f.reason}
                        </li>
                      ))}
                    </ul>
                  </div>
                ))}
              </>
            ) : !proposalYaml ? (
              <Empty>Nothing to dry-run yet.</Empty>
            ) : null}
            {v.workload.state.lastDryRun ? <p className="muted small">Last dry-run {time(v.workload.state.lastDryRun.atMs)}: {v.workload.state.lastDryRun.clean ? 'clean' : `${v.workload.state.lastDryRun.blockedFlows} flows blocked`}</p> : null}
          </Card>
          <Card title="Mode" testId="mode">
            <p>
              Now <Mode value={v.workload.mode} /> {v.workload.state.modeReason ? <span className="muted small">({v.workload.state.modeReason})</span> : null}
            </p>
            <p className="muted small">discover: allow and learn · monitor: allow and alert on violations · protect: block violations and attacks (after a clean dry-run).</p>
            <label>
              Switch to{' '}
              <select value={targetMode} onChange={(e) => setTargetMode(e.target.value)} data-testid="target-mode">
                {MODES.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>{' '}
            <button onClick={switchMode} disabled={busy !== undefined} data-testid="switch-mode">
              Switch mode
            </button>
          </Card>
        </div>
      ) : null}
    </div>
  );
}
