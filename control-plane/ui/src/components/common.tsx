// Small pieces every page uses: the error banner (role=alert, which the browser tests look for),
// the loading line, severity / action / tactic badges and mode chips.
import type { ReactNode } from 'react';

export function ErrorBanner({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const code = (error as Error & { code?: string }).code;
  return (
    <div className="error" role="alert" data-testid="error">
      {code ? <strong>{code}: </strong> : null}
      {error.message}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? <p className="muted">Loading…</p> : null;
}

export function Severity({ value }: { value: string }) {
  return <span className={`badge sev-${value}`}>{value}</span>;
}

export function Action({ value }: { value: string }) {
  return <span className={`badge act-${value}`}>{value}</span>;
}

export function Tactic({ value }: { value: string }) {
  return <span className="badge tactic">{value}</span>;
}

export function Mode({ value }: { value: string }) {
  return <span className={`badge mode-${value}`}>{value}</span>;
}

export function Card({ title, children, actions, testId, wide }: { title: string; children: ReactNode; actions?: ReactNode; testId?: string; wide?: boolean }) {
  return (
    <section className={wide ? 'card wide' : 'card'} data-testid={testId}>
      <header>
        <h2>{title}</h2>
        {actions ? <div className="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}
