// The frame around every page once logged in: navigation, the server, log out.
import type { ReactNode } from 'react';
import { Link, useRouter } from '../router';

const NAV: Array<[string, string]> = [
  ['/map', 'Map'],
  ['/incidents', 'Incidents'],
  ['/workloads', 'Workloads'],
  ['/policies', 'Policies'],
  ['/events', 'Live events'],
];

export function Layout({ children, onLogout }: { children: ReactNode; onLogout(): void }) {
  const { path } = useRouter();
  return (
    <div className="layout">
      <nav className="top">
        <Link to="/map" className="brand">
          Meshward
        </Link>
        {NAV.map(([to, label]) => (
          <Link key={to} to={to} className={path === to || path.startsWith(to + '/') || (to === '/map' && path === '/') ? 'active' : ''} testId={`nav-${label.toLowerCase().replace(' ', '-')}`}>
            {label}
          </Link>
        ))}
        <span className="spacer" />
        <button className="link" onClick={onLogout} data-testid="logout">
          Log out
        </button>
      </nav>
      <main>{children}</main>
    </div>
  );
}
