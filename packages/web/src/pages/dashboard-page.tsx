import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';
import { Link } from '../router/router';
import { useMe, useSession } from '../session/session';

/** Overview of the organization; grows with servers, projects and deployments. */
export function DashboardPage() {
  const me = useMe();
  const { organization } = useSession();
  return (
    <>
      <PageHeader title="Dashboard" description={organization ? `Welcome back, ${me.user.name}. This is ${organization.organizationName}.` : `Welcome, ${me.user.name}.`} />
      <section className="cards" aria-label="Summary">
        <div className="card stat">
          <p className="stat__label">Servers</p>
          <p className="stat__value">0</p>
        </div>
        <div className="card stat">
          <p className="stat__label">Projects</p>
          <p className="stat__value">0</p>
        </div>
        <div className="card stat">
          <p className="stat__label">Deployments today</p>
          <p className="stat__value">0</p>
        </div>
      </section>
      <EmptyState
        title="Nothing deployed yet"
        action={
          <Link to="/servers" className="button button--primary">
            Add a server
          </Link>
        }
      >
        Connect a server over SSH, then create a project from a Git repository to ship your first release.
      </EmptyState>
    </>
  );
}
