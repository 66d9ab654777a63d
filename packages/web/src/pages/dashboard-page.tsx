import { PageHeader } from '../components/page-header';
import { canAdminister, useMe, useSession } from '../session/session';
import { ProjectsOverview } from './dashboard/projects-overview';
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
        {organization && <ProjectsOverview organizationId={organization.organizationId} />}
        {organization && canAdminister(organization) && <RecentActivity organizationId={organization.organizationId} />}
      </div>
    </>
  );
}
