// Log in with the API token `meshward up` prints (or MESHWARD_API_TOKEN). A link with
// `#token=...` fills it in and logs in at once; the fragment never reaches the server.
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';

export function LoginPage({ onLogin }: { onLogin(token: string): void }) {
  const [token, setTokenText] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const tryToken = async (t: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await api('/v1/status', { token: t });
      onLogin(t);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'This token is not accepted by the control plane.' : `Cannot reach the control plane: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    const m = /(?:^|&)token=([^&]+)/.exec(window.location.hash.slice(1));
    if (m) {
      window.history.replaceState(null, '', window.location.pathname);
      void tryToken(decodeURIComponent(m[1]));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) void tryToken(token.trim());
  };
  return (
    <div className="login">
      <form onSubmit={submit} className="card">
        <h1>Meshward</h1>
        <p className="muted">Run-time security for your service mesh. Log in with the API token that `meshward up` printed.</p>
        <label>
          API token
          <input type="password" autoFocus value={token} onChange={(e) => setTokenText(e.target.value)} data-testid="token" autoComplete="current-password" />
        </label>
        {error ? (
          <div className="error" role="alert" data-testid="error">
            {error}
          </div>
        ) : null}
        <button type="submit" disabled={busy} data-testid="login">
          Log in
        </button>
      </form>
    </div>
  );
}
