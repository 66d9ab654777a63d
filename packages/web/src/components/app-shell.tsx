import { useEffect, useState, type ReactNode } from 'react';
import { useEvents } from '../hooks/use-events';
import { Link, navigate, NavLink } from '../router/router';
import { useMe, useSession } from '../session/session';
import { Logo } from './logo';
import { ThemeToggle } from './theme-toggle';

const ICONS = {
  dashboard: 'M4 13h6V4H4zm0 7h6v-5H4zm10 0h6v-9h-6zm0-16v5h6V4z',
  servers: 'M4 4h16v6H4zm0 10h16v6H4zM7 7h.01M7 17h.01',
  projects: 'M3 7l9-4 9 4-9 4zm0 5l9 4 9-4M3 17l9 4 9-4',
  certificates: 'M12 3l7 3v5c0 4.5-3 8.5-7 10-4-1.5-7-5.5-7-10V6zm-3 9l2 2 4-4',
  settings: 'M4 6h10m4 0h2M4 12h4m4 0h8M4 18h12m4 0h0M14 4v4M8 10v4M16 16v4',
  account: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 8a8 8 0 0 1 16 0',
} as const;

const NAV: { to: string; label: string; icon: keyof typeof ICONS; exact?: boolean }[] = [
  { to: '/', label: 'Dashboard', icon: 'dashboard', exact: true },
  { to: '/servers', label: 'Servers', icon: 'servers' },
  { to: '/projects', label: 'Projects', icon: 'projects' },
  { to: '/certificates', label: 'Certificates', icon: 'certificates' },
  { to: '/settings', label: 'Settings', icon: 'settings' },
  { to: '/account', label: 'Account', icon: 'account' },
];

function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" className="nav__icon">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

const STATUS_TEXT = { idle: 'Live updates off', connecting: 'Connecting…', open: 'Live', retrying: 'Reconnecting…' } as const;

/** The signed-in frame: top bar, navigation (a disclosure menu on small screens) and the page. */
export function AppShell({ children }: { children: ReactNode }) {
  const session = useSession();
  const me = useMe();
  const [menuOpen, setMenuOpen] = useState(false);
  const live = useEvents([], () => undefined);

  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setMenuOpen(false);
        document.getElementById('menu-button')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const signOut = async () => {
    await session.signOut();
    navigate('/login?signedOut=1', { replace: true });
  };

  const memberships = me.memberships;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          id="menu-button"
          type="button"
          className="button button--ghost button--small topbar__menu"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d={menuOpen ? 'M6 6l12 12M18 6L6 18' : 'M4 7h16M4 12h16M4 17h16'} stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <span className="visually-hidden">Menu</span>
        </button>
        <NavLink to="/" exact className="topbar__brand" aria-label="DevFlow Pro dashboard">
          <Logo />
        </NavLink>
        {memberships.length > 1 ? (
          <div className="topbar__org">
            <label htmlFor="org-switcher" className="visually-hidden">
              Organization
            </label>
            <select
              id="org-switcher"
              value={session.organization?.organizationId ?? ''}
              onChange={(e) => session.selectOrganization(e.target.value)}
            >
              {memberships.map((m) => (
                <option key={m.organizationId} value={m.organizationId}>
                  {m.organizationName}
                </option>
              ))}
            </select>
          </div>
        ) : (
          session.organization && <span className="topbar__org topbar__org--single">{session.organization.organizationName}</span>
        )}
        <div className="topbar__end">
          <ThemeToggle />
        </div>
      </header>

      <div className="shell__body">
        <nav id="primary-nav" className={menuOpen ? 'nav nav--open' : 'nav'} aria-label="Main">
          <div className="nav__inner">
            <ul className="nav__list" onClick={() => setMenuOpen(false)}>
              {NAV.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} exact={item.exact} className="nav__link">
                    <Icon d={ICONS[item.icon]} />
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
            <div className="nav__footer">
              <p className="nav__user">
                <span className="nav__user-name">{me.user.name}</span>
                <span className="nav__user-email">{me.user.email}</span>
              </p>
              <button type="button" className="button button--secondary button--small button--block" onClick={() => void signOut()}>
                Sign out
              </button>
              <p className={`live live--${live}`}>
                <span className="live__dot" aria-hidden="true" />
                {STATUS_TEXT[live]}
              </p>
            </div>
          </div>
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {me.twoFactorRequired && (
            <div className="alert alert--warning banner" role="status">
              <p>
                <strong>Two-factor authentication required.</strong> An organization you belong to asks every member to use an
                authenticator app. <Link to="/account">Set it up on your account page</Link> to open that organization; your
                other organizations work as before.
              </p>
            </div>
          )}
          {children}
        </main>
      </div>
    </div>
  );
}
