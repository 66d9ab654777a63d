import { projectsApi } from '../../api/deployments';
import { ErrorAlert } from '../../components/alert';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { formatRelative } from '../../lib/format';
import { useCursorList } from '../../lib/use-cursor-list';
import { Link } from '../../router/router';
import { canDeploy, useSession } from '../../session/session';
import { FRAMEWORK_LABEL } from './framework';

/** The organization's projects: repository, framework, age. */
export function ProjectsPage() {
  const { organization } = useSession();
  const orgId = organization?.organizationId ?? '';
  const canCreate = canDeploy(organization);
  const list = useCursorList(orgId || null, (cursor, signal) => projectsApi.list(orgId, cursor, signal));
  const add = canCreate ? (
    <Link to="/projects/new" className="button button--primary">
      New project
    </Link>
  ) : undefined;

  return (
    <>
      <PageHeader title="Projects" description="Applications built from a Git repository: Laravel, Symfony, Shopware, WordPress or any Dockerfile." actions={list.items.length > 0 ? add : undefined} />
      <ErrorAlert error={list.error} />
      {!list.loading && !list.error && list.items.length === 0 && (
        <EmptyState title="No projects yet" action={add}>
          {canCreate
            ? 'A project links a repository to environments such as production and staging. DevFlow detects the framework for you.'
            : 'Developers, admins and owners create projects. Once they do, you can follow their deployments here.'}
        </EmptyState>
      )}
      {list.items.length > 0 && (
        <div className="card">
          <table className="table table--stack">
            <caption className="visually-hidden">Projects of {organization?.organizationName}</caption>
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Framework</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((p) => (
                <tr key={p.id}>
                  <td data-label="Project">
                    <span className="server-name">
                      <Link to={`/projects/${encodeURIComponent(p.id)}`} className="server-name__link">
                        {p.name}
                      </Link>
                      <span className="server-name__address">{p.repositoryUrl}</span>
                    </span>
                  </td>
                  <td data-label="Framework">{p.framework ? FRAMEWORK_LABEL[p.framework] : <span className="muted">Not detected yet</span>}</td>
                  <td data-label="Created">{formatRelative(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.loading && (
        <p className="muted" role="status">
          Loading projects…
        </p>
      )}
      {list.hasMore && (
        <button type="button" className="button button--secondary" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      )}
    </>
  );
}
