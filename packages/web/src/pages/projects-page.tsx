import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';

/** Projects (placeholder until the projects API lands). */
export function ProjectsPage() {
  return (
    <>
      <PageHeader title="Projects" description="Applications built from a Git repository: Laravel, Symfony, Shopware, WordPress or any Dockerfile." />
      <EmptyState title="No projects yet">
        A project links a repository to environments such as production and staging. Creating projects arrives in the next
        release of this dashboard.
      </EmptyState>
    </>
  );
}
