// One incident: the kill chain it advanced through, its steps as a timeline with tactics and
// techniques, each with the events that make it, and a button to resolve it.
import { useState } from 'react';
import { api } from '../api';
import { Action, Card, ErrorBanner, Loading, Severity, Tactic } from '../components/common';
import { clock, peer, time } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';
import type { EventItem, Incident } from '../types';

const KILL_CHAIN = ['reconnaissance', 'initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion', 'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control', 'exfiltration', 'impact'];

export function IncidentPage({ id }: { id: string }) {
  const data = useLoad(() => api<{ incident: Incident; events: EventItem[] }>(`/v1/incidents/${encodeURIComponent(id)}`), [id], 5000);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<Error>();
  const incident = data.data?.incident;
  const events = new Map((data.data?.events ?? []).map((e) => [e.event.id, e]));
  const resolve = async () => {
    setBusy(true);
    try {
      await api(`/v1/incidents/${encodeURIComponent(id)}/resolve`, { method: 'POST' });
      setActionError(undefined);
      data.reload();
    } catch (err) {
      setActionError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="page">
      <p>
        <Link to="/incidents">← Incidents</Link>
      </p>
      <ErrorBanner error={data.error ?? actionError} />
      <Loading when={data.loading && !data.data} />
      {incident ? (
        <>
          <div className="toolbar">
            <h1 data-testid="incident-title">{incident.title}</h1>
            <Severity value={incident.severity} />
            <span className="badge">{incident.status}</span>
            <span className="spacer" />
            {incident.status === 'open' ? (
              <button onClick={resolve} disabled={busy} data-testid="resolve">
                Resolve
              </button>
            ) : null}
          </div>
          <p className="muted">
            {incident.id} · {time(incident.firstMs)} – {clock(incident.lastMs)} · {incident.eventCount} events · workloads {incident.workloads.join(', ')} · peers {incident.peers.join(', ') || '—'}
          </p>
          <div className="killchain" data-testid="killchain">
            {KILL_CHAIN.map((t) => (
              <span key={t} className={incident.tactics.includes(t) ? 'hit' : ''}>
                {t}
              </span>
            ))}
          </div>
          <Card title="Chain" testId="chain">
            <ol className="timeline">
              {incident.steps.map((s, n) => (
                <li key={n} data-testid="chain-step" data-tactic={s.tactic}>
                  <div className="when">{clock(s.firstMs)}</div>
                  <div className="what">
                    <div>
                      <Tactic value={s.tactic} /> <span className="mono">{s.technique}</span> <strong>{s.name}</strong> <Severity value={s.severity} />
                    </div>
                    <div className="muted small">
                      {s.kind} on {s.workload}
                      {s.count > 1 ? ` · ${s.count} times until ${clock(s.lastMs)}` : ''}
                    </div>
                    <ul className="step-events">
                      {s.eventIds.map((eid) => {
                        const e = events.get(eid)?.event;
                        return (
                          <li key={eid}>
                            {e ? (
                              <>
                                <Action value={e.action} /> <span className="mono">{e.http ? `${e.http.method ?? ''} ${e.http.path ?? ''}` : e.process?.exe ?? e.kind}</span> from {peer(e.source)}
                                {e.evidence && typeof e.evidence.match === 'string' ? <span className="muted"> · matched {e.evidence.match}</span> : null}
                              </>
                            ) : (
                              <span className="muted mono">{eid}</span>
                            )}
                          </li>
                        );
                      })}
                    </ul>
                  </div>
                </li>
              ))}
            </ol>
            {incident.stepsOverflow > 0 ? <p className="muted">{incident.stepsOverflow} more steps not kept (limit reached).</p> : null}
          </Card>
        </>
      ) : null}
    </div>
  );
}
