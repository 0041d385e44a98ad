// The dashboard: a login by API token, then pages over the REST API.
import { useEffect, useState } from 'react';
import { getToken, setToken, setUnauthorizedHandler } from './api';
import { Layout } from './components/Layout';
import { Router, match, useRouter } from './router';
import { LoginPage } from './pages/LoginPage';
import { MapPage } from './pages/MapPage';
import { IncidentsPage } from './pages/IncidentsPage';
import { IncidentPage } from './pages/IncidentPage';
import { WorkloadsPage } from './pages/WorkloadsPage';
import { WorkloadPage } from './pages/WorkloadPage';
import { PoliciesPage } from './pages/PoliciesPage';
import { PolicyPage } from './pages/PolicyPage';
import { EventsPage } from './pages/EventsPage';

function Pages() {
  const { path, navigate } = useRouter();
  const [loggedIn, setLoggedIn] = useState(() => getToken() !== null);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setToken(null);
      setLoggedIn(false);
    });
  }, []);
  if (!loggedIn || path === '/login') {
    return (
      <LoginPage
        onLogin={(token) => {
          setToken(token);
          setLoggedIn(true);
          navigate(path === '/login' || path === '/' ? '/map' : path);
        }}
      />
    );
  }
  const logout = () => {
    setToken(null);
    setLoggedIn(false);
    navigate('/login');
  };
  let page;
  let p: Record<string, string> | undefined;
  if (path === '/' || path === '/map') page = <MapPage />;
  else if (path === '/incidents') page = <IncidentsPage />;
  else if ((p = match('/incidents/:id', path))) page = <IncidentPage id={p.id} />;
  else if (path === '/workloads') page = <WorkloadsPage />;
  else if ((p = match('/workloads/:namespace/:name', path))) page = <WorkloadPage namespace={p.namespace} name={p.name} />;
  else if (path === '/policies') page = <PoliciesPage />;
  else if ((p = match('/policies/:namespace/:name', path))) page = <PolicyPage namespace={p.namespace} name={p.name} />;
  else if (path === '/events') page = <EventsPage />;
  else page = <p className="muted">No such page: {path}</p>;
  return <Layout onLogout={logout}>{page}</Layout>;
}

export function App() {
  return (
    <Router>
      <Pages />
    </Router>
  );
}
