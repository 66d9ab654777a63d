import { lazy, Suspense, type ReactNode } from 'react';
import { AppShell } from './components/app-shell';
import { Logo } from './components/logo';
import { DashboardPage } from './pages/dashboard-page';
import { InvitePage } from './pages/invite-page';
import { LoginPage } from './pages/login-page';
import { NotFoundPage } from './pages/not-found-page';
import { SetupPage } from './pages/setup-page';
import { Redirect, safeNext, useLocation } from './router/router';
import { useSession } from './session/session';

// Pages with heavier code (QR codes, tables, charts) load on first visit.
const AccountPage = lazy(() => import('./pages/account/account-page').then((m) => ({ default: m.AccountPage })));
const SettingsLayout = lazy(() => import('./pages/settings/settings-layout').then((m) => ({ default: m.SettingsLayout })));
const MembersPage = lazy(() => import('./pages/settings/members-page').then((m) => ({ default: m.MembersPage })));
const AuditPage = lazy(() => import('./pages/settings/audit-page').then((m) => ({ default: m.AuditPage })));
const ServersPage = lazy(() => import('./pages/servers/servers-page').then((m) => ({ default: m.ServersPage })));
const AddServerPage = lazy(() => import('./pages/servers/add-server-page').then((m) => ({ default: m.AddServerPage })));
const ServerDetailPage = lazy(() => import('./pages/servers/server-detail-page').then((m) => ({ default: m.ServerDetailPage })));
const ProjectsPage = lazy(() => import('./pages/projects/projects-page').then((m) => ({ default: m.ProjectsPage })));
const NewProjectPage = lazy(() => import('./pages/projects/new-project-page').then((m) => ({ default: m.NewProjectPage })));
const ProjectPage = lazy(() => import('./pages/projects/project-page').then((m) => ({ default: m.ProjectPage })));
const EnvironmentPage = lazy(() => import('./pages/projects/environment-page').then((m) => ({ default: m.EnvironmentPage })));
const CertificatesPage = lazy(() => import('./pages/certificates/certificates-page').then((m) => ({ default: m.CertificatesPage })));
const DeploymentPage = lazy(() => import('./pages/projects/deployment-page').then((m) => ({ default: m.DeploymentPage })));

/** `/<section>/<id>` → the id; null for any other path. */
function idOf(section: string, pathname: string): string | null {
  const m = new RegExp(`^/${section}/([^/]+)$`).exec(pathname);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

function Splash({ children }: { children?: ReactNode }) {
  return (
    <div className="splash">
      <Logo />
      {children ?? (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
    </div>
  );
}

/** The page of a signed-in path, or null for an unknown one. */
function page(pathname: string): ReactNode {
  switch (pathname) {
    case '/':
      return <DashboardPage />;
    case '/servers':
      return <ServersPage />;
    case '/servers/new':
      return <AddServerPage />;
    case '/projects':
      return <ProjectsPage />;
    case '/projects/new':
      return <NewProjectPage />;
    case '/certificates':
      return <CertificatesPage />;
    case '/account':
      return <AccountPage />;
    case '/settings':
      return <Redirect to="/settings/members" />;
    case '/settings/members':
      return (
        <SettingsLayout>
          <MembersPage />
        </SettingsLayout>
      );
    case '/settings/audit':
      return (
        <SettingsLayout>
          <AuditPage />
        </SettingsLayout>
      );
    default: {
      const serverId = idOf('servers', pathname);
      if (serverId) return <ServerDetailPage key={serverId} id={serverId} />;
      const projectId = idOf('projects', pathname);
      if (projectId) return <ProjectPage key={projectId} id={projectId} />;
      const environmentId = idOf('environments', pathname);
      if (environmentId) return <EnvironmentPage key={environmentId} id={environmentId} />;
      const deploymentId = idOf('deployments', pathname);
      if (deploymentId) return <DeploymentPage key={deploymentId} id={deploymentId} />;
      return <NotFoundPage />;
    }
  }
}

/** Routes by path and session: signed-out pages, or the app shell around a page. */
export function App() {
  const { pathname, search, href } = useLocation();
  const session = useSession();
  const { state } = session;
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;

  if (state.status === 'loading') return <Splash />;
  if (state.status === 'unavailable') {
    return (
      <Splash>
        <div className="alert alert--error" role="alert">
          <p>{state.error.detail}</p>
        </div>
        <button type="button" className="button button--primary" onClick={() => void session.refresh()}>
          Try again
        </button>
      </Splash>
    );
  }

  // Invitation links work signed in (join) and signed out (create an account).
  if (path === '/invite') return <InvitePage />;
  if (path === '/login' || path === '/setup') {
    if (state.status === 'authenticated') return <Redirect to={safeNext(search.get('next'))} />;
    return path === '/login' ? <LoginPage /> : <SetupPage />;
  }
  if (state.status === 'anonymous') {
    return <Redirect to={path === '/' ? '/login' : `/login?next=${encodeURIComponent(href)}`} />;
  }
  return (
    <AppShell>
      <Suspense
        fallback={
          <p className="muted" role="status">
            Loading…
          </p>
        }
      >
        {page(path)}
      </Suspense>
    </AppShell>
  );
}
