// The live event stream: newest first, pushed by GET /v1/events/stream (live.ts); when the stream
// is down, polled every two seconds instead (each poll asks only for what arrived since the
// newest event shown). Filterable by kind and severity, pausable.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useEventStream } from '../live';
import { api, qs } from '../api';
import { Action, ErrorBanner, Severity } from '../components/common';
import { clock, peer } from '../format';
import { Link } from '../router';
import type { EventItem } from '../types';

const KEEP = 500;

export function EventsPage() {
  const [events, setEvents] = useState<EventItem[]>([]);
  const [error, setError] = useState<Error>();
  const [paused, setPaused] = useState(false);
  const [kind, setKind] = useState('');
  const [severity, setSeverity] = useState('');
  const newest = useRef<number>(0);
  useEffect(() => {
    setEvents([]);
    newest.current = 0;
  }, [kind, severity]);
  const merge = useCallback((fresh: EventItem[]) => {
    setEvents((old) => {
      const seen = new Set(old.map((e) => e.event.id));
      const added = fresh.filter((e) => !seen.has(e.event.id));
      if (added.length === 0) return old;
      const all = [...added, ...old].sort((a, b) => Date.parse(b.event.time) - Date.parse(a.event.time)).slice(0, KEEP);
      if (all.length) newest.current = Math.max(newest.current, Date.parse(all[0].event.time));
      return all;
    });
  }, []);
  const live = useEventStream({ kind: kind || undefined, severity: severity || undefined, flows: kind.startsWith('flow.') ? '1' : undefined }, (item) => merge([item]), !paused);
  const streaming = live.state === 'stream';
  useEffect(() => {
    if (paused) return;
    let stop = false;
    // Once at start (and when the stream comes up: what arrived meanwhile), then every two
    // seconds while there is no stream.
    const poll = async () => {
      try {
        const since = newest.current ? new Date(newest.current).toISOString() : '1h';
        const r = await api<{ events: EventItem[] }>(`/v1/events${qs({ since, kind: kind || undefined, severity: severity || undefined, limit: 200 })}`);
        if (stop) return;
        setError(undefined);
        // Flow records are summaries, left out unless asked for (as the stream does).
        merge(kind ? r.events : r.events.filter((e) => !e.event.kind.startsWith('flow.')));
      } catch (err) {
        if (!stop) setError(err as Error);
      }
    };
    void poll();
    const t = streaming ? undefined : setInterval(() => void poll(), 2000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [paused, kind, severity, streaming, merge]);
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Live events</h1>
        <label>
          Kind{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">all</option>
            {['http.flow', 'flow.http', 'http.policy', 'http.attack', 'dlp.leak', 'tcp.policy', 'process.exec', 'file.write', 'port.listen', 'channel.violation'].map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity at least{' '}
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">any</option>
            {['low', 'medium', 'high', 'critical'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button onClick={() => setPaused((p) => !p)} data-testid="pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span className={`live ${paused ? '' : 'on'}`} data-testid="live-state" data-state={paused ? 'paused' : live.state}>
          {paused ? 'paused' : streaming ? 'live' : live.state === 'connecting' ? 'connecting…' : 'live (polling)'}
        </span>
        {live.dropped > 0 ? <span className="muted small">{live.dropped} not delivered (slow connection)</span> : null}
      </div>
      <ErrorBanner error={error} />
      <table className="list" data-testid="events">
        <thead>
          <tr>
            <th>Time</th>
            <th>Kind</th>
            <th>Severity</th>
            <th>Action</th>
            <th>Workload</th>
            <th>From</th>
            <th>What</th>
            <th>Incident</th>
          </tr>
        </thead>
        <tbody>
          {events.map(({ event: e, incident }) => (
            <tr key={e.id} data-testid="event-row">
              <td>{clock(Date.parse(e.time))}</td>
              <td>{e.kind}</td>
              <td>
                <Severity value={e.severity} />
              </td>
              <td>
                <Action value={e.action} />
              </td>
              <td>
                <Link to={`/workloads/${e.workload.namespace}/${e.workload.name}`}>
                  {e.workload.namespace}/{e.workload.name}
                </Link>
              </td>
              <td>{peer(e.source)}</td>
              <td className="mono small">
                {e.http ? `${e.http.method ?? ''} ${e.http.path ?? ''}` : e.process?.exe ?? ''}
                {e.attack?.class ? ` · ${e.attack.class}` : ''}
                {e.rule?.name ? ` · ${e.rule.name}` : ''}
              </td>
              <td>{incident ? <Link to={`/incidents/${encodeURIComponent(incident)}`}>open</Link> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
