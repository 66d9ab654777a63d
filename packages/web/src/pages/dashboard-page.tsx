import { PageHeader } from '../components/page-header';
import { Link } from '../router/router';
import { canAdminister, useMe, useSession } from '../session/session';
import { RecentActivity } from './dashboard/recent-activity';
import { ServersSummary } from './dashboard/servers-summary';

/** Overview of the organization: servers now; projects and deployments as they arrive. */
export function DashboardPage() {
  const me = useMe();
  const { organization } = useSession();
  return (
    <>
      <PageHeader title="Dashboard" description={organization ? `Welcome back, ${me.user.name}. This is ${organization.organizationName}.` : `Welcome, ${me.user.name}.`} />
      <ServersSummary />
      <div className="dash-grid">
        <section className="card section" aria-labelledby="dash-projects-title">
          <div className="section__head">
            <h2 id="dash-projects-title">Projects</h2>
            <Link to="/projects">All projects</Link>
          </div>
          <p className="muted">
            Projects and their deployments appear here once creating projects arrives in the dashboard: a Git repository, its
            environments, and each release.
          </p>
        </section>
        {organization && canAdminister(organization) && <RecentActivity organizationId={organization.organizationId} />}
      </div>
    </>
  );
}
